"""A server given as a read replica that is not replicating is never read from: the replica
checks run on the suite's own server (MariaDB or PostgreSQL), which is no replica of anything.
Lagging, stopped and frozen replicas of a real primary are tests/test_replicas.py's."""

from __future__ import annotations

import os

import pytest

from tasklane.core.db import Database
from tasklane.settings import Settings

KIND = os.environ.get("TASKLANE_TEST_DATABASE", "sqlite")
pytestmark = pytest.mark.skipif(KIND == "sqlite", reason="SQLite has no replicas")


async def test_a_server_that_replicates_nothing_is_not_read_from(settings: Settings) -> None:
    as_replica = settings.model_copy(update={"database_replica_urls": [settings.database_url]})
    db = Database(as_replica)
    try:
        await db.check_replicas()
        (status,) = db.replica_states()
        # PostgreSQL: not in recovery ("stopped"); MariaDB: no replication status ("unknown").
        assert status.state == ("stopped" if KIND == "postgresql" else "unknown")
        assert status.in_use is False
        assert status.lag_seconds is None
        assert db._in_turn() == []  # every read goes to the primary
    finally:
        await db.dispose()
