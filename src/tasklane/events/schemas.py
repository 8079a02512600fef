"""Domain events as the bus and the consumers see them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Event:
    id: uuid.UUID
    kind: str
    user_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
    project_id: uuid.UUID | None = None  # whose members see it (a task's project)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": str(self.id),
                "kind": self.kind,
                "user_id": str(self.user_id) if self.user_id else None,
                "subject_id": str(self.subject_id) if self.subject_id else None,
                "payload": self.payload,
                "created_at": self.created_at.isoformat(),
                "project_id": str(self.project_id) if self.project_id else None,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        data = orjson.loads(raw)
        return cls(
            id=uuid.UUID(data["id"]),
            kind=data["kind"],
            user_id=uuid.UUID(data["user_id"]) if data["user_id"] else None,
            subject_id=uuid.UUID(data["subject_id"]) if data["subject_id"] else None,
            payload=data["payload"],
            created_at=datetime.fromisoformat(data["created_at"]),
            project_id=uuid.UUID(data["project_id"]) if data.get("project_id") else None,
        )
