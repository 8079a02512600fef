"""Engines and the per-request connection.

Two engines per process: a *write* engine whose connections run one transaction per request,
and an *autocommit read* engine, so a GET never pays for an implicit transaction (BEGIN and
ROLLBACK round trips) on MariaDB/MySQL or PostgreSQL.

Read replicas (``database_replica_urls``) each get one more autocommit engine. ``reader()``
(and the ``DbRead`` dependency) picks one of the healthy replicas in turn when the read may be
stale by a little: a GET whose user has not written lately (see ``core.routing``). Writes,
reads within a write request and reads of a user who just wrote use the primary, and so does
``primary_reader()`` always. A replica that cannot give a connection is skipped for
``database_replica_retry_seconds`` and the primary serves instead. Without replicas every read
goes to the primary's read engine, as before.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolResetState

from tasklane.core import encoding
from tasklane.core.caller import current_caller
from tasklane.core.errors import OutcomeUnknown
from tasklane.core.routing import LocalWriteTracker, WriteTracker
from tasklane.settings import Settings

logger = logging.getLogger("tasklane.db")

#: What a replica that is down, unreachable or refusing us raises when asked for a connection
#: (drivers report a refused or timed-out connect as a DBAPIError or a bare OSError).
_CONNECT_ERRORS = (DBAPIError, OSError)


def _engine_kwargs(settings: Settings, engine: str = "write") -> dict[str, Any]:
    """Pool settings of one engine: ``write``, ``read`` (the primary's autocommit reads) or
    ``replica``; the read and replica pools fall back to the write pool's sizes."""
    size, overflow = settings.db_pool_size, settings.db_max_overflow
    if engine == "read":
        size = settings.db_read_pool_size or size
        overflow = (
            overflow if settings.db_read_max_overflow is None else settings.db_read_max_overflow
        )
    elif engine == "replica":
        size = settings.db_replica_pool_size or size
        overflow = (
            overflow
            if settings.db_replica_max_overflow is None
            else settings.db_replica_max_overflow
        )
    return {
        "pool_size": size,
        "max_overflow": overflow,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": settings.db_pool_recycle,
        "echo": settings.db_echo,
        # JSON columns (a task's tags) through orjson rather than the standard library.
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }


def _json_dumps(value: Any) -> str:
    # The API's own encoding: timestamps as RFC 3339 text, the same stored and read on every driver.
    return encoding.dumps(value).decode()


#: ``connection_record.info`` keys: when the connection was last returned to the pool, and
#: that the transaction it ran was committed (nothing left to roll back).
_IDLE_SINCE = "tasklane_idle_since"
_COMMITTED = "tasklane_committed"


def _ping_after_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only when it sat idle longer than ``idle_seconds``
    (SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip a request).
    A connection in steady use is not pinged; one that idled (through a database restart, a
    proxy's idle cut-off) is, and a failed ping replaces it and every older pooled connection
    before the request sees an error."""
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since <= idle_seconds:
            return  # new, or in steady use
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # gone: the pool reconnects and retries the checkout
            raise exc.InvalidatePoolError(f"ping after idle failed: {error}") from error


def _discard_after_timeouts(engine: AsyncEngine) -> None:
    """A statement given up on by the driver's timeout leaves its connection in an unknown
    state (asyncpg may still have the statement running, or the server may be frozen):
    count it as a disconnect, so the pool discards the connection instead of reusing it."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: Any) -> None:
        if isinstance(context.original_exception, TimeoutError):
            context.is_disconnect = True


def _rollback_only_if_needed(engine: AsyncEngine) -> None:
    """The pool's reset-on-return sends ROLLBACK on every connection returned, even right after
    a COMMIT: a round trip per write for nothing. ``transaction()`` marks a connection whose
    transaction committed; every other connection (an error, a cancelled request, a failed
    COMMIT) is still rolled back before anyone else gets it. The custom reset scheme of
    SQLAlchemy's pooling documentation (``reset_on_return=None`` and a ``reset`` listener)."""

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
        committed = record.info.pop(_COMMITTED, False) if record is not None else False
        if committed or state.transaction_was_reset or state.terminate_only:
            return
        if state.asyncio_safe:
            dbapi_connection.rollback()


def database_url(settings: Settings, raw: str | None = None) -> str:
    """The URL of the primary (or of ``raw``, a replica of it) as the engine gets it."""
    url = make_url(raw or settings.database_url)
    if settings.dialect == "mysql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url.render_as_string(hide_password=False)


def _connect_args(settings: Settings, connect_timeout: float) -> dict[str, Any]:
    """The drivers' own bounds on opening a connection (and PostgreSQL's on one statement).
    The bound that holds whatever the server does is :meth:`Database._bounded`'s. (asyncmy's
    ``read_timeout`` would bound each read too, but it runs every packet through
    ``asyncio.wait_for``: a sixth more Python calls on a read request.)"""
    if settings.dialect == "mysql":
        return {"connect_timeout": connect_timeout}
    if settings.dialect == "postgresql":
        return {"timeout": connect_timeout, "command_timeout": settings.db_statement_timeout}
    return {}  # SQLite: in process; a lock waits at most busy_timeout


@dataclass(eq=False)
class Replica:
    """One read replica: its engine (and pool) and whether it is being skipped."""

    name: str  # host:port/database, no credentials: safe to log
    engine: AsyncEngine
    down_until: float = 0.0

    @property
    def healthy(self) -> bool:
        return self.down_until <= time.monotonic()


@lru_cache(maxsize=1024)
def _word_start(term: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|\W)" + re.escape(term), re.IGNORECASE)


def word_prefix(title: str | None, description: str | None, term: str) -> int:
    """1 when a word of the title or description starts with ``term`` (case-insensitive).
    SQLite has no word-prefix search of its own short of FTS; the other dialects use their
    full-text indexes."""
    pattern = _word_start(term)
    return int(bool(pattern.search(title or "") or pattern.search(description or "")))


def _configure_sqlite(engine: AsyncEngine, *, writer: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.create_function("tasklane_word_prefix", 3, word_prefix, deterministic=True)

    if writer:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Take the write lock up front: two deferred transactions that both read and then
            # write would otherwise fail with SQLITE_BUSY instead of waiting for each other.
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engines of one process."""

    def __init__(self, settings: Settings, *, write_tracker: WriteTracker | None = None) -> None:
        self.settings = settings
        self.dialect = settings.dialect
        url = database_url(settings)
        connect_args = _connect_args(settings, settings.db_connect_timeout)
        self.write_engine = create_async_engine(
            url,
            pool_reset_on_return=None,
            connect_args=connect_args,
            **_engine_kwargs(settings, "write"),
        )
        _rollback_only_if_needed(self.write_engine)
        self.read_engine = create_async_engine(
            url,
            isolation_level="AUTOCOMMIT",
            skip_autocommit_rollback=True,
            connect_args=connect_args,
            **_engine_kwargs(settings, "read"),
        )
        for engine in (self.write_engine, self.read_engine):
            _ping_after_idle(engine, settings.db_pool_ping_after_idle)
            _discard_after_timeouts(engine)
        if self.dialect == "sqlite":
            _configure_sqlite(self.write_engine, writer=True)
            _configure_sqlite(self.read_engine, writer=False)
        # Replicas: a pool each; pre-ping always, so a dead replica is found at checkout (and
        # skipped) rather than by the request's first query.
        replica_kwargs = {**_engine_kwargs(settings, "replica"), "pool_pre_ping": True}
        self.replicas = [
            Replica(
                name=make_url(raw).render_as_string(hide_password=True).split("@")[-1],
                engine=create_async_engine(
                    database_url(settings, raw),
                    isolation_level="AUTOCOMMIT",
                    skip_autocommit_rollback=True,
                    connect_args=_connect_args(settings, settings.database_replica_connect_timeout),
                    **replica_kwargs,
                ),
            )
            for raw in settings.database_replica_urls
        ]
        for replica in self.replicas:
            _discard_after_timeouts(replica.engine)
        self._turn = itertools.count()
        #: Who wrote lately (read-your-writes); in-process unless a shared one is plugged in.
        self.write_tracker: WriteTracker = write_tracker or LocalWriteTracker(
            settings.read_your_writes_seconds
        )

    def _bounded(self) -> asyncio.Timeout:
        """The bound on one use of a connection (taking it, a handshake, its statements):
        ``db_statement_timeout``, kept by the client, so it holds when the server is frozen
        and cannot enforce a timeout of its own. A connection cancelled mid-statement is
        discarded by the pool, never reused; the block raises TimeoutError."""
        return asyncio.timeout(self.settings.db_statement_timeout)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block exits normally. With replicas, the
        request's user is then remembered as a writer (read-your-writes) before the block
        returns, so before any response tells the client the write is done. A COMMIT the
        database did not confirm (a timeout, a dropped connection) raises OutcomeUnknown."""
        committing = False
        try:
            async with self._bounded(), self.write_engine.connect() as conn:
                async with conn.begin():
                    yield conn
                    committing = True  # the block is done: leaving it sends the COMMIT
                conn.info[_COMMITTED] = True  # the pool need not roll it back (see above)
        except (DBAPIError, TimeoutError) as error:
            lost = isinstance(error, TimeoutError) or (
                isinstance(error, DBAPIError) and error.connection_invalidated
            )
            if committing and lost:  # no answer to the COMMIT: stored or not, unknown
                raise OutcomeUnknown from error
            raise  # refused, or failed before the COMMIT: nothing was stored
        if self.replicas:
            await self._note_write()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """A write transaction as a :class:`UnitOfWork`: committed when the block exits
        normally, then its ``after_commit`` work runs; rolled back if the block raises."""
        async with self.transaction() as conn:
            uow = UnitOfWork(conn)
            yield uow
        await uow.committed()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncConnection]:
        """Autocommit reads that may be a little stale: a replica when one is configured,
        healthy and allowed for this request (see the module docstring), else the primary."""
        if self.replicas and await self._replica_allowed():
            for replica in self._in_turn():
                conn = replica.engine.connect()
                try:
                    await conn.start()
                except _CONNECT_ERRORS as error:
                    self._mark_down(replica, error)
                    continue
                try:
                    async with self._bounded():
                        yield conn
                except DBAPIError as error:
                    if error.connection_invalidated:  # it went away during the request
                        self._mark_down(replica, error)
                    raise
                finally:
                    await conn.close()
                return
        async with self._bounded(), self.read_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def primary_reader(self) -> AsyncIterator[AsyncConnection]:
        """Autocommit reads that must see the latest commit (cache fills, session checks):
        always the primary, never a replica."""
        async with self._bounded(), self.read_engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        """One round trip to the primary. Bound it with ``asyncio.timeout``: a connection
        cancelled mid-statement is discarded, not returned to the pool."""
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        await self.read_engine.dispose()
        for replica in self.replicas:
            await replica.engine.dispose()

    # --- replica routing --------------------------------------------------------------------

    async def _replica_allowed(self) -> bool:
        caller = current_caller()
        if caller is None:  # outside a request: a plain read
            return True
        if not caller.safe:  # the reads of a write request see what it is changing
            return False
        user_id = caller.user_id
        if user_id is None:
            return True
        try:
            return not await self.write_tracker.recently_wrote(user_id)
        except Exception as error:  # no answer: the primary is never wrong
            logger.warning("read-your-writes lookup failed, reading from the primary: %s", error)
            return False

    async def _note_write(self) -> None:
        caller = current_caller()
        if caller is None or caller.marked_write:
            return
        user_id = caller.user_id
        if user_id is None:
            return
        caller.marked_write = True
        try:
            await self.write_tracker.mark_write(user_id)
        except Exception as error:  # committed already: the request must not fail now
            logger.warning("could not record a write for read-your-writes: %s", error)

    def _in_turn(self) -> list[Replica]:
        """The healthy replicas, starting with the next one in round-robin order."""
        start = next(self._turn) % len(self.replicas)
        ordered = self.replicas[start:] + self.replicas[:start]
        return [replica for replica in ordered if replica.healthy]

    def _mark_down(self, replica: Replica, error: Exception) -> None:
        if replica.healthy:
            logger.warning(
                "read replica %s failed (%s); reading from the primary for %.0f s",
                replica.name,
                error,
                self.settings.database_replica_retry_seconds,
            )
        replica.down_until = time.monotonic() + self.settings.database_replica_retry_seconds


class UnitOfWork:
    """One write transaction, and the work that must wait until it has committed.

    Handlers own it (``async with ctx.db.unit_of_work() as uow``) and pass ``uow.conn`` to the
    services, which never open or commit a transaction themselves. Rows that must commit with
    the change are written through ``uow.conn``; what must happen only once the change is
    stored (dropping a cache entry, announcing a revoked session) goes to
    :meth:`after_commit`: done earlier, a concurrent reader could cache the old value again,
    or a rolled-back change would still be announced."""

    __slots__ = ("_after", "conn")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._after: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` once the transaction has committed, before the handler returns (so
        before the response is sent). Not run if the transaction rolls back."""
        self._after.append(hook)

    async def committed(self) -> None:
        """Called by ``Database.unit_of_work`` once the transaction has committed."""
        for hook in self._after:
            await hook()
