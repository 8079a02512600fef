"""The types of idempotency records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyId:
    """What identifies a record: the key is scoped to the user and the route."""

    user_id: uuid.UUID
    route: str
    key: str
