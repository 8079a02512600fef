"""Who wrote recently: what decides whether a read may go to a replica.

With read replicas configured (``TASKLANE_DATABASE_REPLICA_URLS``), ``Database.reader()``
sends a read to a replica only when it belongs to a GET (or HEAD/OPTIONS) request, or to no
request at all, and the calling user has not written within the read-your-writes window. The
rest — the reads of a POST, PATCH or DELETE, and every read of a user who just wrote — go to
the primary, so nobody sees their own change vanish behind replication lag. The request's
method and user come from the edge (``core.caller``).

A ``WriteTracker`` remembers that a user wrote, for ``read_your_writes_seconds``. The worker
processes of one instance share theirs through the instance store
(``InstanceWriteTracker``), so a write taken by one worker sends the user's next reads on
every worker to the primary; several instances behind a load balancer share one through Redis
(``core.shared.SharedWriteTracker``). ``LocalWriteTracker`` is one process's memory (a
``Database`` made without a tracker). Plug one in with ``Database(settings,
write_tracker=...)`` or by assigning ``db.write_tracker``.

The window must outlast the replicas' lag: ``Database`` stops reading from a replica more
than ``database_replica_max_lag_seconds`` behind, and the settings require the window to
exceed that limit by the time a lag measurement may take to arrive, so a user who wrote longer
ago than the window finds their write on any replica still read from.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from tasklane.core.cache import InstanceStore, TTLCache


class WriteTracker(Protocol):
    """Who wrote recently. Both calls sit on the request path: keep them fast, and let them
    fail by raising (the caller then uses the primary; a failed mark is logged)."""

    async def mark_write(self, user_id: uuid.UUID) -> None:
        """``user_id`` just committed a write: send their reads to the primary for the window."""

    async def recently_wrote(self, user_id: uuid.UUID) -> bool:
        """Whether ``user_id`` committed a write within the window."""


class LocalWriteTracker:
    """The in-process ``WriteTracker``: one instance's memory, bounded and expiring."""

    def __init__(self, window_seconds: float, max_entries: int = 100_000) -> None:
        self.window_seconds = window_seconds
        self._recent: TTLCache[uuid.UUID, bool] = TTLCache(max_entries=max_entries)

    async def mark_write(self, user_id: uuid.UUID) -> None:
        self._recent.set(user_id, True, self.window_seconds)

    async def recently_wrote(self, user_id: uuid.UUID) -> bool:
        return self._recent.get(user_id) is not None


class InstanceWriteTracker:
    """The ``WriteTracker`` of the worker processes of one instance: the write times live in
    the instance store, which every worker maps, so a write taken by one worker counts on all
    of them (two users sharing a slot only send an extra read to the primary)."""

    def __init__(self, store: InstanceStore, window_seconds: float) -> None:
        self.store = store
        self.window_seconds = window_seconds

    async def mark_write(self, user_id: uuid.UUID) -> None:
        self.store.mark_write(user_id)

    async def recently_wrote(self, user_id: uuid.UUID) -> bool:
        return self.store.wrote_within(user_id, self.window_seconds)
