"""Domain events: recorded with the change, relayed to the bus, handled once by each consumer.

A change and its event commit in one transaction (the transactional outbox): an event exists
if and only if its change is stored. The relay hands unpublished events to the bus and marks
them published; if it dies before that commit, they are handed over again. Delivery is
therefore at least once, and every consumer records what it handled in the transaction of its
effect, so a redelivered event has no second effect: exactly once in effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
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


#: Events that change who is a member of the project they are about (``subject_id``).
MEMBERSHIP_KINDS = frozenset({"project.member_added", "project.member_removed", "project.deleted"})
#: Events that take a project away from members, who are named in the payload: they see it go
#: although they are no longer members when it is read.
FAREWELL_KINDS = frozenset({"project.member_removed", "project.deleted"})


def farewell_to(event: Event) -> set[uuid.UUID]:
    """Who loses the project with ``event`` (a removed member, a deleted project's members)."""
    if event.kind not in FAREWELL_KINDS:
        return set()
    named = [event.payload.get("member_id"), *event.payload.get("member_ids", ())]
    return {uuid.UUID(value) for value in named if value}


async def of_reader_after(
    conn: Connection,
    user_id: uuid.UUID,
    memberships: Mapping[uuid.UUID, datetime],
    after: uuid.UUID,
    limit: int = 500,
) -> list[Event]:
    """What a stream's reader sees after ``after`` (its Last-Event-ID), oldest first, by its
    membership now (``memberships``: each project and when the reader joined it): the user's
    own events, those of its projects from when it joined them, and the farewells naming it.
    A removed member gets nothing more of the project; a new one gets its events from the
    joining on, not the ones before."""
    settled = [p for p, joined in memberships.items() if _lowest_id_at(joined) <= after]
    joined = [(p, _lowest_id_at(at)) for p, at in memberships.items() if _lowest_id_at(at) > after]
    rows = await repo.of_reader_after(conn, user_id, settled, joined, after, limit)
    found = {row.id: _event(row) for row in rows}
    # A full page ends at its last row: a farewell past it comes with the next catch-up.
    last = rows[-1].id if len(rows) >= limit else None
    for row in await repo.of_kinds_after(conn, sorted(FAREWELL_KINDS), after, limit):
        event = _event(row)
        if user_id in farewell_to(event) and (last is None or event.id <= last):
            found.setdefault(event.id, event)
    return [found[event_id] for event_id in sorted(found)][:limit]
