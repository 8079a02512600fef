"""Engines and the per-request connection.

Two engines per process: a *write* engine whose connections run one transaction per request,
and an *autocommit read* engine, so a GET never pays for an implicit transaction (BEGIN and
ROLLBACK round trips) on MariaDB/MySQL or PostgreSQL.

Read replicas (``database_replica_urls``) each get one more autocommit engine. ``reader()``
(and the ``DbRead`` dependency) picks one of the usable replicas in turn when the read may be
stale by a little: a GET whose user has not written lately (see ``core.routing``). Writes,
reads within a write request and reads of a user who just wrote use the primary, and so does
``primary_reader()`` always. Without replicas every read goes to the primary's read engine.

A replica is *usable* when all of these hold:

- it gave its last connection within ``database_replica_connect_timeout``: the whole of taking
  it (the pool's wait, the TCP connect, the handshake, the ping) is bounded by the client, so
  a frozen server (which still accepts TCP connections) cannot hold a read; a replica that
  timed out or refused is skipped for ``database_replica_retry_seconds`` and the primary
  serves instead;
- a *check* of it (:meth:`Database.check_replicas`, every
  ``database_replica_check_interval_seconds`` in each process, bounded the same way) answered
  within the last :data:`MEASUREMENT_MAX_AGE` seconds, its replication is running and it is at
  most ``database_replica_max_lag_seconds`` behind the primary. The figure is the server's
  own (MariaDB/MySQL ``Seconds_Behind_Master``, the age of the oldest change not applied yet;
  PostgreSQL the age of the last transaction replayed, 0 once all it received is replayed).

``read_your_writes_seconds`` exceeds the lag limit by ``settings.REPLICA_LAG_SLACK``, so a user
whose reads go back to a replica after the window finds their writes there. The states are
read by ``/readyz`` and the metrics through :meth:`Database.replica_states`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import orjson
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tasklane.core import encoding
from tasklane.core.caller import current_caller
from tasklane.core.errors import OutcomeUnknown
from tasklane.core.routing import LocalWriteTracker, WriteTracker
from tasklane.core.sql import (
    Connection,
    DatabaseError,
    Engine,
    Executor,
    Pool,
    make_dialect,
    make_driver,
)
from tasklane.settings import Settings

logger = logging.getLogger("tasklane.db")

#: What a replica that is down, unreachable, refusing us or too slow raises when asked for a
#: connection (a refused or failed connect is a DatabaseError or a bare OSError; the client's
#: own bound and the pool's wait raise TimeoutError).
_CONNECT_ERRORS = (DatabaseError, OSError, TimeoutError)

#: How a replica stands at its last check (see :class:`Replica`).
ReplicaState = Literal["ok", "lagging", "stopped", "unreachable", "unknown"]

#: Seconds a replica's lag figure is trusted after the check that measured it began.
MEASUREMENT_MAX_AGE = 1.0


def _pool_sizes(settings: Settings, engine: str = "write") -> tuple[int, int]:
    """``(size, overflow)`` of one pool: ``write``, ``read`` (the primary's autocommit reads)
    or ``replica``; the read and replica pools fall back to the write pool's sizes."""
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
    return size, overflow


def _json_dumps(value: Any) -> str:
    # The API's own encoding: timestamps as RFC 3339 text, the same stored and read on every driver.
    return encoding.dumps(value).decode()


def database_url(settings: Settings, raw: str | None = None) -> str:
    """The URL of the primary (or of ``raw``, a replica of it) as the drivers get it."""
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


def _safe_name(url: str) -> str:
    """host:port/database of ``url``, without credentials."""
    return make_url(url).render_as_string(hide_password=True).split("@")[-1]


@dataclass(eq=False)
class Replica:
    """One read replica: its engines, whether it is being skipped, and its last check."""

    name: str  # host:port/database, no credentials: safe to log
    engine: Engine
    #: The checks' own engine: a check measures the server, not the requests' pool.
    check_engine: Engine
    down_until: float = 0.0
    #: What the last check found: ``ok``, ``lagging``, ``stopped`` (replication is not
    #: running), ``unreachable`` or ``unknown`` (not checked yet, or its status not readable).
    state: ReplicaState = "unknown"
    lag_seconds: float | None = None
    #: When the last check that answered began (monotonic).
    checked_at: float = float("-inf")
    max_lag: float = 0.0

    @property
    def healthy(self) -> bool:
        """Not being skipped after a failed connection."""
        return self.down_until <= time.monotonic()

    @property
    def usable(self) -> bool:
        """Reads may go here: healthy, checked lately, replicating and not too far behind."""
        now = time.monotonic()
        return (
            self.down_until <= now
            and self.state == "ok"
            and now - self.checked_at <= MEASUREMENT_MAX_AGE
        )


@dataclass(frozen=True)
class ReplicaStatus:
    """One replica as ``/readyz`` and the metrics show it."""

    index: int  # 1-based, in the order of TASKLANE_DATABASE_REPLICA_URLS
    name: str  # host:port/database
    state: ReplicaState
    lag_seconds: float | None
    in_use: bool  # reads go there now


@lru_cache(maxsize=1024)
def _word_start(term: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|\W)" + re.escape(term), re.IGNORECASE)


def word_prefix(title: str | None, description: str | None, term: str) -> int:
    """1 when a word of the title or description starts with ``term`` (case-insensitive).
    SQLite has no word-prefix search of its own short of FTS; the other dialects use their
    full-text indexes."""
    pattern = _word_start(term)
    return int(bool(pattern.search(title or "") or pattern.search(description or "")))


class Database:
    """The connection pools of one process, and the one :class:`~tasklane.core.sql.Executor`
    that runs every statement on them (``executor.listeners`` sees each one)."""

    def __init__(self, settings: Settings, *, write_tracker: WriteTracker | None = None) -> None:
        self.settings = settings
        self.dialect = settings.dialect
        url = database_url(settings)
        dialect = make_dialect(url, json_serializer=_json_dumps, json_deserializer=orjson.loads)
        self.executor = Executor(dialect, echo=settings.db_echo)

        engine = self._engine
        # Writes: one transaction per request. Reads: autocommit, so a GET never pays for a
        # BEGIN and a ROLLBACK. Both ping a connection that sat idle (a database restart, a
        # proxy's idle cut-off) before handing it out, not one in steady use.
        idle = settings.db_pool_ping_after_idle
        self.write_engine = engine(
            url,
            "write",
            autocommit=False,
            connect_timeout=settings.db_connect_timeout,
            ping_after_idle=idle,
        )
        self.read_engine = engine(
            url,
            "read",
            autocommit=True,
            connect_timeout=settings.db_connect_timeout,
            ping_after_idle=idle,
        )
        # Replicas: a pool each, pinged at every checkout, so a dead replica is found there (and
        # skipped) rather than by the request's first query; and one connection kept for the
        # checks (a spare or two if checks overlap): a check measures the server, never the
        # requests' pool.
        replica_timeout = settings.database_replica_connect_timeout
        self.replicas = []
        for raw in settings.database_replica_urls:
            replica_url = database_url(settings, raw)
            self.replicas.append(
                Replica(
                    name=_safe_name(replica_url),
                    engine=engine(
                        replica_url,
                        "replica",
                        autocommit=True,
                        connect_timeout=replica_timeout,
                        pre_ping=True,
                    ),
                    check_engine=engine(
                        replica_url,
                        "replica",
                        autocommit=True,
                        connect_timeout=replica_timeout,
                        pre_ping=True,
                        size=1,
                        overflow=2,
                    ),
                    max_lag=settings.database_replica_max_lag_seconds,
                )
            )
        self._turn = itertools.count()
        self._checks: asyncio.Task[None] | None = None
        self._first_check: asyncio.Task[None] | None = None
        #: The replication status statement, once one was accepted (MariaDB/MySQL).
        self._status_statement: str | None = None
        self._denied_logged = False
        #: Who wrote lately (read-your-writes); in-process unless a shared one is plugged in.
        self.write_tracker: WriteTracker = write_tracker or LocalWriteTracker(
            settings.read_your_writes_seconds
        )

    def _engine(
        self,
        raw_url: str,
        purpose: str,
        *,
        autocommit: bool,
        connect_timeout: float,
        connect_args: dict[str, Any] | None = None,
        **pool: Any,
    ) -> Engine:
        settings = self.settings
        driver = make_driver(
            raw_url,
            self.executor.dialect,
            connect_args={**_connect_args(settings, connect_timeout), **(connect_args or {})},
            json_loads=orjson.loads,
            word_prefix=word_prefix,
        )
        size, overflow = _pool_sizes(settings, purpose)
        options: dict[str, Any] = {
            "size": size,
            "overflow": overflow,
            "timeout": settings.db_pool_timeout,
            "recycle": settings.db_pool_recycle,
            **pool,
        }
        return Engine(
            _safe_name(raw_url),
            self.executor,
            driver,
            Pool(driver, autocommit=autocommit, **options),
        )

    def bulk_engine(self, **connect_args: Any) -> Engine:
        """Connections to the primary for a bulk load (``tasklane seed``), with the driver
        options it needs (MariaDB: ``local_infile``), apart from the requests' pools. The
        caller disposes of it."""
        return self._engine(
            database_url(self.settings),
            "write",
            autocommit=False,
            connect_timeout=self.settings.db_connect_timeout,
            connect_args=connect_args,
            size=1,
            overflow=2,
        )

    def _bounded(self) -> asyncio.Timeout:
        """The bound on one use of a connection (taking it, a handshake, its statements):
        ``db_statement_timeout``, kept by the client, so it holds when the server is frozen
        and cannot enforce a timeout of its own. A connection cancelled mid-statement is
        discarded, never reused; the block raises TimeoutError."""
        return asyncio.timeout(self.settings.db_statement_timeout)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A write transaction, committed when the block exits normally. With replicas, the
        request's user is then remembered as a writer (read-your-writes) before the block
        returns, so before any response tells the client the write is done. A COMMIT the
        database did not confirm (a timeout, a dropped connection) raises OutcomeUnknown."""
        committing = False
        try:
            async with self._bounded(), self.write_engine.connect() as conn:
                await conn.begin()
                yield conn
                committing = True  # the block is done: the COMMIT goes out now
                await conn.commit()
        except (DatabaseError, TimeoutError) as error:
            lost = isinstance(error, TimeoutError) or (
                isinstance(error, DatabaseError) and error.connection_invalidated
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
    async def reader(self) -> AsyncIterator[Connection]:
        """Autocommit reads that may be a little stale: a replica when one is configured,
        healthy and allowed for this request (see the module docstring), else the primary."""
        if self.replicas and await self._replica_allowed():
            self._ensure_checks()
            if self._first_check is not None and not self._first_check.done():
                # Only the first reads of a process wait; a failed check leaves the replicas
                # unused (the primary serves), never the read failed.
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._first_check)
            for replica in self._in_turn():
                try:
                    async with asyncio.timeout(self.settings.database_replica_connect_timeout):
                        pooled = await replica.engine.acquire()
                except _CONNECT_ERRORS as error:
                    self._mark_down(replica, error)
                    continue
                try:
                    async with self._bounded(), replica.engine.use(pooled) as conn:
                        yield conn
                except TimeoutError as error:  # the replica stopped answering mid-request
                    self._mark_down(replica, error)
                    raise
                except DatabaseError as error:
                    if error.connection_invalidated:  # it went away during the request
                        self._mark_down(replica, error)
                    raise
                return
        async with self._bounded(), self.read_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def primary_reader(self) -> AsyncIterator[Connection]:
        """Autocommit reads that must see the latest commit (cache fills, session checks):
        always the primary, never a replica."""
        self._ensure_checks()
        async with self._bounded(), self.read_engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        """One round trip to the primary. Bound it with ``asyncio.timeout``: a connection
        cancelled mid-statement is discarded, not returned to the pool."""
        self._ensure_checks()
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        for task in (self._checks, self._first_check):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.write_engine.dispose()
        await self.read_engine.dispose()
        for replica in self.replicas:
            await replica.engine.dispose()
            await replica.check_engine.dispose()

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
        """The usable replicas, starting with the next one in round-robin order."""
        start = next(self._turn) % len(self.replicas)
        ordered = self.replicas[start:] + self.replicas[:start]
        return [replica for replica in ordered if replica.usable]

    # --- replica checks ---------------------------------------------------------------------

    def replica_states(self) -> list[ReplicaStatus]:
        """Each replica's last known state and lag, and whether reads go there now (for
        ``/readyz`` and the metrics; no I/O)."""
        return [
            ReplicaStatus(
                index=index,
                name=replica.name,
                state=replica.state if replica.healthy else "unreachable",
                lag_seconds=replica.lag_seconds if replica.healthy else None,
                in_use=replica.usable,
            )
            for index, replica in enumerate(self.replicas, start=1)
        ]

    def _ensure_checks(self) -> None:
        """Start this process's replica checks, at its first use of the database (the engines
        are made outside any event loop); reads that may use a replica wait for the first
        round."""
        if self._checks is None and self.replicas:
            self._first_check = asyncio.create_task(self.check_replicas())
            self._checks = asyncio.create_task(self._check_forever())

    async def _check_forever(self) -> None:
        interval = self.settings.database_replica_check_interval_seconds
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check_replicas()
            except Exception:  # a check never ends the loop
                logger.exception("replica check failed")

    async def check_replicas(self) -> None:
        """Check every replica at once: reachable within the connect bound, replicating, and
        how far behind. A replica that does not answer in time is marked down like one that
        failed a read."""
        await asyncio.gather(*(self._check(replica) for replica in self.replicas))

    async def _check(self, replica: Replica) -> None:
        began = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.database_replica_connect_timeout):
                async with replica.check_engine.connect() as conn:
                    state, lag = await self._replication(conn)
        except _CONNECT_ERRORS as error:
            replica.state, replica.lag_seconds = "unreachable", None
            self._mark_down(replica, error)
            return
        except Exception:  # an answer not understood: not used until one is
            logger.exception("read replica %s: its status could not be read", replica.name)
            replica.state, replica.lag_seconds = "unknown", None
            return
        if state == "ok" and lag is not None and lag > replica.max_lag:
            state = "lagging"
        if state != replica.state and "ok" in (state, replica.state):
            log = logger.info if state == "ok" else logger.warning
            log("read replica %s: %s (lag %s s)", replica.name, state, lag)
        replica.state, replica.lag_seconds, replica.checked_at = state, lag, began

    async def _replication(self, conn: Connection) -> tuple[ReplicaState, float | None]:
        """``(state, lag in seconds)`` of the replica ``conn`` is on."""
        if self.dialect == "postgresql":
            row = (await conn.execute(text(_PG_REPLICATION))).one()
            if not row.standby:
                return "stopped", None  # promoted, or not a standby at all
            if row.paused:
                return "stopped", None
            return "ok", max(0.0, float(row.lag or 0.0))
        fields = await self._mysql_status(conn)
        if fields is None:
            return "unknown", None
        if fields.get("sql_running") != "Yes" or fields.get("io_running") != "Yes":
            return "stopped", None
        behind = fields.get("behind")
        if behind is None:
            return "stopped", None
        return "ok", float(behind)

    async def _mysql_status(self, conn: Connection) -> dict[str, Any] | None:
        """The replica's IO and SQL threads and Seconds_Behind_Master; None when the status
        cannot be read (no privilege) or the server replicates from nothing."""
        statements = (
            [self._status_statement]
            if self._status_statement
            else ["SHOW REPLICA STATUS", "SHOW SLAVE STATUS"]
        )
        for statement in statements:
            try:
                result = await conn.exec_driver_sql(statement)
            except DatabaseError as error:
                code = error.code
                if code == _MYSQL_SYNTAX_ERROR:  # an older server: the other spelling
                    continue
                if code in _MYSQL_DENIED:
                    self._log_denied(error)
                    return None
                raise
            self._status_statement = statement
            row = result.mappings().first()
            if row is None:
                return None
            return {
                "io_running": row.get("Slave_IO_Running", row.get("Replica_IO_Running")),
                "sql_running": row.get("Slave_SQL_Running", row.get("Replica_SQL_Running")),
                "behind": row.get("Seconds_Behind_Master", row.get("Seconds_Behind_Source")),
            }
        return None

    def _log_denied(self, error: DatabaseError) -> None:
        if not self._denied_logged:
            self._denied_logged = True
            logger.error(
                "cannot read the replicas' replication status (%s): they are not read from. "
                "Grant the app's user SLAVE MONITOR (MariaDB) or REPLICATION CLIENT (MySQL)",
                error.orig,
            )

    def _mark_down(self, replica: Replica, error: Exception) -> None:
        if replica.healthy:
            logger.warning(
                "read replica %s failed (%s: %s); reading from the primary for %.0f s",
                replica.name,
                type(error).__name__,
                error,
                self.settings.database_replica_retry_seconds,
            )
        replica.down_until = time.monotonic() + self.settings.database_replica_retry_seconds


#: PostgreSQL: whether the server is a standby, whether replay is paused, and the age of the
#: last replayed transaction (0 when everything received has been replayed: an idle primary
#: sends nothing new, and its replica is then not behind).
_PG_REPLICATION = """
SELECT pg_is_in_recovery() AS standby,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS paused,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS lag
"""
#: MariaDB/MySQL error codes: a syntax error (SHOW REPLICA STATUS on an older server), and
#: access denied (the status needs a privilege the app's user may lack).
_MYSQL_SYNTAX_ERROR = 1064
_MYSQL_DENIED = (1227, 1142, 1045)


class UnitOfWork:
    """One write transaction, and the work that must wait until it has committed.

    Handlers own it (``async with ctx.db.unit_of_work() as uow``) and pass ``uow.conn`` to the
    services, which never open or commit a transaction themselves. Rows that must commit with
    the change are written through ``uow.conn``; what must happen only once the change is
    stored (dropping a cache entry, announcing a revoked session) goes to
    :meth:`after_commit`: done earlier, a concurrent reader could cache the old value again,
    or a rolled-back change would still be announced."""

    __slots__ = ("_after", "conn")

    def __init__(self, conn: Connection) -> None:
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
