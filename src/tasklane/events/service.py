"""Domain events: recorded with the change, relayed to the bus, handled once by each consumer.

A change and its event commit in one transaction (the transactional outbox): an event exists
if and only if its change is stored. The relay hands unpublished events to the bus and marks
them published; if it dies before that commit, they are handed over again. Delivery is
therefore at least once, and every consumer records what it handled in the transaction of its
effect, so a redelivered event has no second effect: exactly once in effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.events import repository as repo
from tasklane.events.schemas import Event


async def record(
    conn: Connection,
    kind: str,
    user_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    payload: dict[str, Any],
    *,
    project_id: uuid.UUID | None = None,
) -> None:
    """Write an event in ``conn``'s transaction (the change's own). With ``project_id``, the
    streams of all that project's members carry it, not only ``user_id``'s."""
    await repo.insert_event(
        conn,
        {
            "id": uuid7(),
            "kind": kind,
            "user_id": user_id,
            "subject_id": subject_id,
            "project_id": project_id,
            # Written once by the engine's JSON serializer (timestamps as RFC 3339 text).
            "payload": payload,
            "created_at": utcnow(),
        },
    )


def _event(row: AnyRow) -> Event:
    return Event(
        row.id, row.kind, row.user_id, row.subject_id, row.payload, row.created_at, row.project_id
    )


async def unpublished(conn: Connection, limit: int, *, lock: bool) -> list[Event]:
    return [_event(row) for row in await repo.unpublished(conn, limit, lock=lock)]


async def mark_published(conn: Connection, events: Sequence[Event]) -> None:
    if events:
        await repo.mark_published(conn, [event.id for event in events], utcnow())


async def first_time(conn: Connection, consumer: str, event: Event) -> bool:
    """True the first time ``consumer`` handles ``event`` (in the transaction of its effect);
    False for a redelivery, whose effect is already stored."""
    return await repo.record_handled(conn, consumer, event.id, utcnow())


async def prune(conn: Connection, keep: timedelta) -> None:
    """Forget published events and handled records older than ``keep``."""
    before = utcnow() - keep
    await repo.prune_published(conn, before)
    await repo.prune_handled(conn, before)


def _lowest_id_at(moment: datetime) -> uuid.UUID:
    """The smallest UUIDv7 of ``moment``'s millisecond: ids from it on are that recent."""
    millis = int(moment.timestamp() * 1000)
    return uuid.UUID(int=(millis & ((1 << 48) - 1)) << 80)


async def recent(
    conn: Connection, since: datetime, limit: int = 1000, *, after: uuid.UUID | None = None
) -> list[Event]:
    """Events made from ``since`` on (by their ids' time), oldest first; with ``after``, only
    those past that id (the next page: ids are unique where timestamps are not)."""
    if after is not None:
        rows = await repo.since(conn, after, limit, inclusive=False)
    else:
        rows = await repo.since(conn, _lowest_id_at(since), limit, inclusive=True)
    return [_event(row) for row in rows]


async def of_reader_after(
    conn: Connection,
    user_id: uuid.UUID,
    project_ids: Sequence[uuid.UUID],
    after: uuid.UUID,
    limit: int = 500,
) -> list[Event]:
    """What a stream's reader sees after ``after`` (its Last-Event-ID), oldest first: the
    user's own events and those of the projects it is a member of now (``project_ids``)."""
    rows = await repo.of_reader_after(conn, user_id, project_ids, after, limit)
    return [_event(row) for row in rows]


#: Events that change who is a member of the project they are about (``subject_id``).
MEMBERSHIP_KINDS = frozenset({"project.member_added", "project.member_removed", "project.deleted"})
