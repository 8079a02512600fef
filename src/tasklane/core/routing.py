"""Who wrote recently: what decides whether a read may go to a replica.

With read replicas configured (``TASKLANE_DATABASE_REPLICA_URLS``), ``Database.reader()``
sends a read to a replica only when it belongs to a GET (or HEAD/OPTIONS) request, or to no
request at all, and the calling user has not written within the read-your-writes window. The
rest — the reads of a POST, PATCH or DELETE, and every read of a user who just wrote — go to
the primary, so nobody sees their own change vanish behind replication lag. The request's
method and user come from the edge (``core.caller``).

A ``WriteTracker`` remembers that a user wrote, for ``read_your_writes_seconds``. The default
``LocalWriteTracker`` is in-process, which is enough for one instance; several instances
behind a load balancer need a shared one (Redis) so that a write on one instance sends the
user's next reads on any instance to the primary. Plug it in with
``Database(settings, write_tracker=...)`` or by assigning ``db.write_tracker``.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from tasklane.core.cache import TTLCache


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
