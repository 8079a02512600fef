"""The pools' two shortcuts stay safe: a connection is rolled back before reuse unless its
transaction committed, and one that the server dropped while it sat idle is replaced before
a request uses it (core/sql.py: Pool.release, Pool._fresh)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from tasklane.core.db import Database
from tasklane.core.sql import DatabaseError
from tasklane.settings import Settings


@pytest.fixture
async def one_connection(settings: Settings) -> AsyncIterator[Database]:
    """A database whose every engine has exactly one connection: each checkout reuses it."""
    db = Database(settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0}))
    async with db.write_engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE pool_probe (n INTEGER)")
    try:
        yield db
    finally:
        async with db.write_engine.begin() as conn:
            await conn.exec_driver_sql("DROP TABLE pool_probe")
        await db.dispose()


async def test_only_unfinished_transactions_are_rolled_back_on_return(
    one_connection: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = one_connection
    driver = db.write_engine.driver
    rollbacks: list[int] = []
    real_rollback = driver.rollback

    async def counting(raw: Any) -> None:
        rollbacks.append(1)
        await real_rollback(raw)

    monkeypatch.setattr(driver, "rollback", counting)

    for n in range(3):
        async with db.transaction() as conn:
            await conn.execute(text("INSERT INTO pool_probe (n) VALUES (:n)"), {"n": n})
    assert rollbacks == []  # three commits, no ROLLBACK after any of them

    async def fail_half_way() -> None:
        async with db.transaction() as conn:
            await conn.execute(text("INSERT INTO pool_probe (n) VALUES (99)"))
            raise RuntimeError("the request failed half-way")

    with pytest.raises(RuntimeError):
        await fail_half_way()
    assert rollbacks  # the unfinished transaction was rolled back before the pool reuses it
    # The same (only) connection, reused: it holds nothing of the failed transaction.
    async with db.write_engine.connect() as conn:
        values = (await conn.execute(text("SELECT n FROM pool_probe ORDER BY n"))).scalars()
        assert list(values) == [0, 1, 2]


_SERVER_SIDE = {
    "mysql": ("SELECT CONNECTION_ID()", "KILL {}"),
    "postgresql": ("SELECT pg_backend_pid()", "SELECT pg_terminate_backend({})"),
}


async def _drop_the_read_connection(db: Database, admin: Database, dialect: str) -> int:
    """End the read pool's (only) connection from the server side, as a restart would."""
    ask_id, kill = _SERVER_SIDE[dialect]
    async with db.reader() as conn:
        connection_id = int((await conn.execute(text(ask_id))).scalar_one())
    async with admin.reader() as conn:
        await conn.execute(text(kill.format(connection_id)))
    await asyncio.sleep(0.3)  # longer than the idle threshold below
    return connection_id


@pytest.mark.parametrize("ping_after_idle", [0.05, 3600.0])
async def test_a_connection_dropped_while_idle_is_replaced_before_use(
    settings: Settings, dialect: str, ping_after_idle: float
) -> None:
    if dialect == "sqlite":
        pytest.skip("SQLite has no server to drop a connection")
    pooled = {"db_pool_size": 1, "db_max_overflow": 0}
    idle = {"db_pool_ping_after_idle": ping_after_idle}
    db = Database(settings.model_copy(update={**pooled, **idle}))
    admin = Database(settings)
    try:
        ask_id = _SERVER_SIDE[dialect][0]
        dropped = await _drop_the_read_connection(db, admin, dialect)
        if ping_after_idle < 0.3:
            # Idle longer than the threshold: pinged at checkout, found dead, replaced.
            async with db.reader() as conn:
                assert int((await conn.execute(text(ask_id))).scalar_one()) != dropped
        else:
            # The contrast: not pinged, so the request itself meets the dead connection.
            with pytest.raises(DatabaseError):
                async with db.reader() as conn:
                    await conn.execute(text(ask_id))
    finally:
        await db.dispose()
        await admin.dispose()
