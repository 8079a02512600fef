"""What the notification service exposes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: Literal["reminder"]
    task_id: uuid.UUID | None
    title: str
    body: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class UnreadCount(BaseModel):
    unread: int


class Unsubscribed(BaseModel):
    detail: str
