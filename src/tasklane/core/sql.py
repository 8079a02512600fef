"""The one way SQL runs: statements compiled once by SQLAlchemy, run on the driver's connection.

SQLAlchemy builds and compiles every statement (models, migrations and the repositories'
statement builders are SQLAlchemy's); this module runs the compiled text on the pooled driver
connection (asyncmy, asyncpg or aiosqlite) itself, without SQLAlchemy's execution layer (its
connection proxies, greenlet hops, execution contexts and result objects cost a fifth of a
request's CPU, see docs/benchmarks.md). What the rest of the code relies on is kept here:

- a compiled form per statement shape and dialect, found by SQLAlchemy's own cache key, with
  its bind and result type processing (every column type converts as it did), expanding
  ``IN`` parameters and positional parameter order;
- rows that read by position, by attribute and through ``_mapping``, as SQLAlchemy's do;
- statement logging (``DB_ECHO``) and :attr:`Executor.listeners`, which the tests use to count
  and EXPLAIN the statements a request runs;
- driver errors mapped to :class:`DatabaseError` and :class:`IntegrityError`, with
  ``connection_invalidated`` set when the connection broke;
- a connection that broke, timed out or was cancelled mid-statement is never reused: the pool
  (:class:`Pool`) discards it.

SQLite: connections run in autocommit mode and write transactions begin with ``BEGIN
IMMEDIATE`` (two deferred transactions that both read then write would fail with SQLITE_BUSY
instead of waiting for each other).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import keyword
import logging
import operator
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Protocol, TypeVar

import aiosqlite
import asyncmy
import asyncmy.errors
import asyncpg
from sqlalchemy import ClauseElement
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.sql.compiler import SQLCompiler

logger = logging.getLogger("tasklane.db.sql")

T = TypeVar("T")

#: Compiled forms kept per dialect (statement shapes: a few hundred in this code base).
PLAN_CACHE_SIZE = 2000
#: Prepared statements kept per PostgreSQL connection.
PREPARED_CACHE_SIZE = 200


# --- errors -------------------------------------------------------------------------------------


class DatabaseError(Exception):
    """A statement the database refused or could not run. ``orig`` is the driver's error,
    ``code`` MariaDB/MySQL's error number, ``sqlstate`` PostgreSQL's code;
    ``connection_invalidated``: the connection broke (it is discarded, never reused)."""

    def __init__(
        self,
        orig: BaseException,
        statement: str | None = None,
        *,
        code: int | None = None,
        sqlstate: str | None = None,
        connection_invalidated: bool = False,
    ) -> None:
        super().__init__(f"({type(orig).__module__}.{type(orig).__name__}) {orig}")
        self.orig = orig
        self.statement = statement
        self.code = code
        self.sqlstate = sqlstate
        self.connection_invalidated = connection_invalidated


class IntegrityError(DatabaseError):
    """A unique, foreign key or check constraint refused the statement."""


class PoolTimeout(TimeoutError):
    """No connection became free within the pool's timeout."""


# --- rows and results ---------------------------------------------------------------------------


class Row(tuple[Any, ...]):
    """A row: a tuple, whose values also read by column name (``row.title``, ``row._mapping``).
    Each result shape has its own subclass holding the names."""

    __slots__ = ()
    _keys: ClassVar[dict[str, int]] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._keys[name]]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return {name: self[index] for name, index in self._keys.items()}

    def _asdict(self) -> dict[str, Any]:
        return {name: self[index] for name, index in self._keys.items()}

    @property
    def _fields(self) -> tuple[str, ...]:
        return tuple(self._keys)


def row_class(names: Sequence[str]) -> type[Row]:
    """The row class of a result with these column names (the first of a repeated name wins).
    Each name is a property reading its position (a C-level lookup, no Python call)."""
    keys: dict[str, int] = {}
    for index, name in enumerate(names):
        keys.setdefault(name, index)
    namespace: dict[str, Any] = {"__slots__": (), "_keys": keys}
    for name, index in keys.items():
        if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_"):
            namespace[name] = property(operator.itemgetter(index))
    return type("Row", (Row,), namespace)


class Result:
    """All rows of a statement, fetched; ``rowcount`` as the driver counts it (rows matched
    by an UPDATE on MariaDB/MySQL, which connects with FOUND_ROWS)."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def all(self) -> list[Row]:
        return self.rows

    def first(self) -> Row | None:
        return self.rows[0] if self.rows else None

    fetchone = first

    def one(self) -> Row:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def one_or_none(self) -> Row | None:
        if len(self.rows) > 1:
            raise LookupError(f"expected at most one row, got {len(self.rows)}")
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalars(self) -> Scalars:
        return Scalars([row[0] for row in self.rows])

    def mappings(self) -> Mappings:
        return Mappings([row._mapping for row in self.rows])


class Scalars(list[Any]):
    """The first column of every row."""

    def all(self) -> list[Any]:
        return list(self)

    def first(self) -> Any:
        return self[0] if self else None


class Mappings(list[dict[str, Any]]):
    """Every row as a dict by column name."""

    def all(self) -> list[dict[str, Any]]:
        return list(self)

    def first(self) -> dict[str, Any] | None:
        return self[0] if self else None


# --- compiled statements ------------------------------------------------------------------------

_Processor = Callable[[Any], Any]


class Plan:
    """A statement shape compiled for one dialect: its SQL, the order of its parameters, and
    the conversions of parameters and result columns."""

    __slots__ = ("binds", "compiled", "expanding", "order", "results", "row", "sql")

    def __init__(self, compiled: SQLCompiler, dialect: Dialect) -> None:
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Python-side column defaults are SQLAlchemy's execution layer's to run; the models
            # here set every value explicitly or leave defaults to the database.
            raise TypeError("statements with Python-side column defaults are not supported")
        self.compiled = compiled
        self.sql = compiled.string
        self.order: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.binds: Mapping[str, _Processor] = compiled._bind_processors  # type: ignore[assignment]
        self.expanding = bool(compiled.post_compile_params or compiled.literal_execute_params)
        columns = compiled._result_columns
        self.results: tuple[_Processor | None, ...] = tuple(
            entry.type._cached_result_processor(dialect, None) for entry in columns
        )
        self.row: type[Row] | None = (
            row_class([entry.keyname for entry in columns]) if columns else None
        )

    def parameters(
        self, params: Mapping[str, Any] | None, extracted: Sequence[Any] | None
    ) -> tuple[str, list[Any]]:
        """The SQL text and positional parameters for one execution."""
        values = self.compiled.construct_params(
            params, extracted_parameters=extracted, escape_names=False
        )
        sql, order, binds = self.sql, self.order, self.binds
        if self.expanding:
            expanded = self.compiled._process_parameters_for_postcompile(values)
            sql, order = expanded.statement, tuple(expanded.positiontup or ())
            if expanded.processors:
                binds = {**binds, **expanded.processors}
        return sql, [binds[key](values[key]) if key in binds else values[key] for key in order]

    def rows(self, raw: Sequence[Sequence[Any]], names: Sequence[str] | None) -> list[Row]:
        cls = self.row
        if cls is None:
            return [_text_row(names or ())(row) for row in raw] if raw else []
        processors = self.results
        if not any(processors):
            return [cls(row) for row in raw]
        return [
            cls(
                [
                    value if p is None or value is None else p(value)
                    for p, value in zip(processors, row, strict=True)
                ]
            )
            for row in raw
        ]


_text_rows: dict[tuple[str, ...], type[Row]] = {}


def _text_row(names: Sequence[str]) -> type[Row]:
    key = tuple(names)
    cls = _text_rows.get(key)
    if cls is None:
        cls = _text_rows[key] = row_class(key)
    return cls


class Compiler:
    """Compiled forms of statements for one dialect, cached by SQLAlchemy's cache key."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._plans: collections.OrderedDict[Any, Plan] = collections.OrderedDict()

    def plan(
        self, statement: ClauseElement, params: Mapping[str, Any] | None = None, many: bool = False
    ) -> tuple[Plan, Sequence[Any] | None]:
        """The compiled form of ``statement`` and the values SQLAlchemy extracted from it. The
        names of ``params`` take part, as in SQLAlchemy: an INSERT without ``values()`` gets
        its columns from them."""
        # The names given only shape an INSERT or UPDATE (its columns); a SELECT needs no sort.
        columns = tuple(sorted(params)) if params and statement.is_dml else ()
        key = statement._generate_cache_key()
        if key is None:  # not cacheable (a textual statement with values in it): compile each time
            return Plan(self._compile(statement, None, columns, many), self.dialect), None
        found = (key.key, columns, many)
        plan = self._plans.get(found)
        if plan is None:
            plan = Plan(self._compile(statement, key, columns, many), self.dialect)
            self._plans[found] = plan
            if len(self._plans) > PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)
        return plan, key.bindparams

    def _compile(
        self, statement: ClauseElement, key: Any, columns: tuple[str, ...], many: bool
    ) -> SQLCompiler:
        compiled = statement.compile(
            dialect=self.dialect,
            cache_key=key,
            column_keys=list(columns),
            for_executemany=many,
        )
        assert isinstance(compiled, SQLCompiler)
        return compiled


# --- drivers ------------------------------------------------------------------------------------


class Driver(Protocol):
    """What the executor needs of one database driver."""

    name: str

    async def connect(self, autocommit: bool) -> Any: ...
    async def run(
        self, raw: Any, sql: str, args: Sequence[Any] | None
    ) -> tuple[list[Any], list[str] | None, int]: ...
    async def run_many(self, raw: Any, sql: str, args: Sequence[Sequence[Any]]) -> None: ...
    async def begin(self, raw: Any) -> None: ...
    async def commit(self, raw: Any) -> None: ...
    async def rollback(self, raw: Any) -> None: ...
    async def close(self, raw: Any) -> None: ...
    def terminate(self, raw: Any) -> None: ...
    def error(self, error: BaseException, sql: str | None) -> DatabaseError | None: ...


async def _drained(cursor: Any) -> tuple[list[Any], list[str] | None, int]:
    """The rows, column names and row count of a DB-API cursor that ran a statement; closed."""
    try:
        description = cursor.description
        rows = list(await cursor.fetchall()) if description else []
        return rows, [d[0] for d in description] if description else None, cursor.rowcount
    finally:
        await cursor.close()


class _MySQL:
    """asyncmy: autocommit off for writes (a transaction begins with the first statement)."""

    name = "mysql"
    #: Client errors meaning the connection is gone (server gone, lost, out of sync, ...).
    _GONE = frozenset({2006, 2013, 2014, 2045, 2055})

    def __init__(self, url: URL, dialect: Dialect, connect_args: Mapping[str, Any]) -> None:
        self._module = asyncmy
        self._errors = asyncmy.errors
        _, params = dialect.create_connect_args(url)
        self._params = {**params, **connect_args}

    async def connect(self, autocommit: bool) -> Any:
        return await self._module.connect(**self._params, autocommit=autocommit)

    async def run(
        self, raw: Any, sql: str, args: Sequence[Any] | None
    ) -> tuple[list[Any], list[str] | None, int]:
        cursor = raw.cursor()
        try:
            await cursor.execute(sql, args)
        except BaseException:
            await cursor.close()
            raise
        return await _drained(cursor)

    async def run_many(self, raw: Any, sql: str, args: Sequence[Sequence[Any]]) -> None:
        cursor = raw.cursor()  # an INSERT's rows go as one multi-row statement
        try:
            await cursor.executemany(sql, args)
        finally:
            await cursor.close()

    async def begin(self, raw: Any) -> None:
        return None  # autocommit is off: the first statement begins the transaction

    async def commit(self, raw: Any) -> None:
        await raw.commit()

    async def rollback(self, raw: Any) -> None:
        await raw.rollback()

    async def close(self, raw: Any) -> None:
        await raw.ensure_closed()

    def terminate(self, raw: Any) -> None:
        raw.close()

    def error(self, error: BaseException, sql: str | None) -> DatabaseError | None:
        errors = self._errors
        if not isinstance(error, errors.Error):
            return None
        code = error.args[0] if error.args and isinstance(error.args[0], int) else None
        gone = isinstance(error, errors.InterfaceError) or code in self._GONE
        kind = IntegrityError if isinstance(error, errors.IntegrityError) else DatabaseError
        return kind(error, sql, code=code, connection_invalidated=gone)


class _PostgreSQL:
    """asyncpg: statements prepared once per connection; JSON decoded by the driver."""

    name = "postgresql"
    _COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+|MERGE) (\d+)")

    def __init__(
        self,
        url: URL,
        dialect: Dialect,
        connect_args: Mapping[str, Any],
        json_loads: Callable[[str | bytes], Any],
    ) -> None:
        self._module = asyncpg
        _, params = dialect.create_connect_args(url)
        self._params = {**params, **connect_args}
        self._loads = json_loads

    async def connect(self, autocommit: bool) -> Any:
        raw = await self._module.connect(**self._params, connection_class=_PgConnection)
        loads = self._loads
        # SQLAlchemy serialises JSON parameters to text; the driver decodes results.
        await raw.set_type_codec(
            "json",
            encoder=str.encode,
            decoder=loads,
            schema="pg_catalog",
            format="binary",
        )
        await raw.set_type_codec(
            "jsonb",
            encoder=lambda value: b"\x01" + value.encode(),
            decoder=lambda value: loads(value[1:]),
            schema="pg_catalog",
            format="binary",
        )
        return raw

    async def run(
        self, raw: Any, sql: str, args: Sequence[Any] | None
    ) -> tuple[list[Any], list[str] | None, int]:
        if args is None:  # driver-level SQL: no parameters, no prepared statement kept
            records = await raw.fetch(sql)
            return records, list(records[0].keys()) if records else None, -1
        cache: collections.OrderedDict[str, Any] = raw.prepared
        prepared = cache.get(sql)
        if prepared is None:
            prepared = cache[sql] = await raw.prepare(sql)
            if len(cache) > PREPARED_CACHE_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(sql)
        try:
            records = await prepared.fetch(*args)
        except self._module.exceptions.InvalidCachedStatementError:
            cache.pop(sql, None)  # the schema changed under it: prepare again, once
            prepared = cache[sql] = await raw.prepare(sql)
            records = await prepared.fetch(*args)
        attributes = prepared.get_attributes()
        names = [attribute.name for attribute in attributes] if attributes else None
        return records, names, self._rowcount(prepared.get_statusmsg())

    def _rowcount(self, status: str | None) -> int:
        match = self._COUNT.match(status or "")
        return int(match.group(1)) if match else -1

    async def run_many(self, raw: Any, sql: str, args: Sequence[Sequence[Any]]) -> None:
        await raw.executemany(sql, args)

    async def begin(self, raw: Any) -> None:
        await raw.execute("BEGIN")

    async def commit(self, raw: Any) -> None:
        await raw.execute("COMMIT")

    async def rollback(self, raw: Any) -> None:
        await raw.execute("ROLLBACK")

    async def close(self, raw: Any) -> None:
        await raw.close(timeout=2)

    def terminate(self, raw: Any) -> None:
        raw.terminate()

    def error(self, error: BaseException, sql: str | None) -> DatabaseError | None:
        exceptions = self._module.exceptions
        if isinstance(error, exceptions.PostgresError):
            kind = (
                IntegrityError
                if isinstance(error, exceptions.IntegrityConstraintViolationError)
                else DatabaseError
            )
            return kind(error, sql, sqlstate=error.sqlstate)
        if isinstance(error, exceptions.InterfaceError | exceptions.InternalClientError):
            return DatabaseError(error, sql, connection_invalidated=True)
        return None


class _PgConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg's connection with this module's prepared statements (by SQL, least recently
    used dropped first)."""

    __slots__ = ("prepared",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: collections.OrderedDict[str, Any] = collections.OrderedDict()


class _SQLite:
    """aiosqlite in autocommit mode; write transactions begin IMMEDIATE."""

    name = "sqlite"

    def __init__(
        self, url: URL, dialect: Dialect, word_prefix: Callable[[str | None, str | None, str], int]
    ) -> None:
        self._module = aiosqlite
        args, params = dialect.create_connect_args(url)
        self._args, self._params = args, params
        self._word_prefix = word_prefix

    async def connect(self, autocommit: bool) -> Any:
        raw = await self._module.connect(*self._args, **self._params, isolation_level=None)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=5000",
            "PRAGMA synchronous=NORMAL",
        ):
            await raw.execute(pragma)
        await raw.create_function("tasklane_word_prefix", 3, self._word_prefix, deterministic=True)
        return raw

    async def run(
        self, raw: Any, sql: str, args: Sequence[Any] | None
    ) -> tuple[list[Any], list[str] | None, int]:
        return await _drained(await raw.execute(sql, args or ()))

    async def run_many(self, raw: Any, sql: str, args: Sequence[Sequence[Any]]) -> None:
        await raw.executemany(sql, args)

    async def begin(self, raw: Any) -> None:
        await raw.execute("BEGIN IMMEDIATE")

    async def commit(self, raw: Any) -> None:
        if raw.in_transaction:
            await raw.execute("COMMIT")

    async def rollback(self, raw: Any) -> None:
        if raw.in_transaction:
            await raw.execute("ROLLBACK")

    async def close(self, raw: Any) -> None:
        await raw.close()

    def terminate(self, raw: Any) -> None:
        # A statement may still run in the driver's thread: stop it, then close behind it.
        with contextlib.suppress(Exception):
            raw._conn.interrupt()
        _background(raw.close())

    def error(self, error: BaseException, sql: str | None) -> DatabaseError | None:
        if isinstance(error, sqlite3.IntegrityError):
            return IntegrityError(error, sql, code=error.sqlite_errorcode)
        if isinstance(error, sqlite3.Error):
            return DatabaseError(error, sql, code=getattr(error, "sqlite_errorcode", None))
        if isinstance(error, ValueError) and "no active connection" in str(error):
            return DatabaseError(error, sql, connection_invalidated=True)
        return None


def _mapped(driver: Driver, error: Exception, sql: str | None) -> DatabaseError | None:
    """``error`` as a :class:`DatabaseError`: the driver's own mapping, and a connection
    reset or refused under any driver as a broken connection."""
    mapped = driver.error(error, sql)
    if mapped is None and isinstance(error, ConnectionError):
        mapped = DatabaseError(error, sql, connection_invalidated=True)
    return mapped


_closing: set[asyncio.Task[Any]] = set()


def _background(coroutine: Any) -> None:
    """Run a clean-up without waiting for it (a discarded connection's close)."""
    try:
        task = asyncio.get_running_loop().create_task(coroutine)
    except RuntimeError:
        coroutine.close()
        return
    _closing.add(task)
    task.add_done_callback(_closing.discard)


# --- the pool -----------------------------------------------------------------------------------


class _Pooled:
    """A driver connection and what the pool knows of it."""

    __slots__ = ("born", "committed", "idle_since", "in_transaction", "raw")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.born = time.monotonic()
        self.idle_since = self.born
        self.in_transaction = False
        self.committed = False


class Pool:
    """Driver connections for one purpose (writes, autocommit reads, one replica).

    ``size`` connections are kept; up to ``overflow`` more are opened under load and closed
    when returned. A checkout waits at most ``timeout`` seconds (:class:`PoolTimeout`). A
    connection older than ``recycle`` seconds is replaced; one idle longer than
    ``ping_after_idle`` seconds is pinged first (``pre_ping``: always), and replaced with every
    other idle connection if the ping fails. A returned connection whose transaction did not
    commit is rolled back first; one that broke is discarded."""

    def __init__(
        self,
        driver: Driver,
        *,
        autocommit: bool,
        size: int,
        overflow: int,
        timeout: float,
        recycle: float = -1,
        ping_after_idle: float = float("inf"),
        pre_ping: bool = False,
    ) -> None:
        self.driver = driver
        self.autocommit = autocommit
        self.size = size
        self.capacity = float("inf") if overflow < 0 else size + overflow
        self.timeout = timeout
        self.recycle = recycle
        self.ping_after_idle = 0.0 if pre_ping else ping_after_idle
        self._idle: collections.deque[_Pooled] = collections.deque()
        self._open = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._all: set[_Pooled] = set()  # every open connection, idle or in use
        #: Called with the seconds a checkout that found no idle connection took (metrics).
        self.on_wait: Callable[[float], None] | None = None

    def checkedout(self) -> int:
        """Connections in use now."""
        return self._open - len(self._idle)

    async def acquire(self) -> _Pooled:
        if self._idle or self.on_wait is None:
            return await self._acquire()
        started = time.perf_counter()
        try:
            return await self._acquire()
        finally:
            self.on_wait(time.perf_counter() - started)

    async def _acquire(self) -> _Pooled:
        deadline = time.monotonic() + self.timeout
        while True:
            while self._idle:
                pooled = self._idle.pop()
                if await self._fresh(pooled):
                    return pooled
            if self._open < self.capacity:
                self._open += 1
                try:
                    pooled = _Pooled(await self.driver.connect(self.autocommit))
                    self._all.add(pooled)
                    return pooled
                except Exception as error:
                    self._open -= 1
                    self._wake()
                    mapped = _mapped(self.driver, error, None)
                    if mapped is None:
                        raise
                    mapped.connection_invalidated = True
                    raise mapped from error
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PoolTimeout(f"no database connection free within {self.timeout} s")
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(remaining):
                    await waiter
            except TimeoutError:
                raise PoolTimeout(f"no database connection free within {self.timeout} s") from None
            finally:
                if not waiter.done():
                    waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    async def _fresh(self, pooled: _Pooled) -> bool:
        """Whether an idle connection may be handed out; closes it if not."""
        now = time.monotonic()
        if 0 <= self.recycle < now - pooled.born:
            self._discard(pooled)
            return False
        if now - pooled.idle_since > self.ping_after_idle:
            try:
                await self.driver.run(pooled.raw, "SELECT 1", None)
            except Exception as error:
                logger.info("a pooled connection failed its ping (%s); reconnecting", error)
                self._discard(pooled)
                while self._idle:  # the server went away: the older ones are gone too
                    self._discard(self._idle.pop())
                return False
        return True

    async def release(self, pooled: _Pooled, *, broken: bool = False) -> None:
        """Return a connection: rolled back unless it committed; discarded if it broke, if the
        rollback fails, or if the pool holds ``size`` idle connections already."""
        if not broken and pooled.in_transaction and not pooled.committed:
            try:
                async with asyncio.timeout(self.timeout):
                    await self.driver.rollback(pooled.raw)
            except BaseException:
                broken = True
        pooled.in_transaction = pooled.committed = False
        if broken or len(self._idle) >= self.size:
            self._discard(pooled)
        else:
            pooled.idle_since = time.monotonic()
            self._idle.append(pooled)
        self._wake()

    def _discard(self, pooled: _Pooled) -> None:
        self._open -= 1
        self._all.discard(pooled)
        try:
            self.driver.terminate(pooled.raw)
        except Exception:  # already gone
            logger.debug("closing a discarded connection failed", exc_info=True)

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def dispose(self) -> None:
        """Close every connection: the idle ones cleanly; one still in use (a request that
        outlived the process's shutdown) is cut off."""
        while self._idle:
            pooled = self._idle.pop()
            self._open -= 1
            self._all.discard(pooled)
            try:
                await self.driver.close(pooled.raw)
            except Exception:
                self.driver.terminate(pooled.raw)
        for pooled in list(self._all):
            self._discard(pooled)


# --- the executor and its connection ------------------------------------------------------------

#: ``listener(sql, parameters)``, called before each statement runs.
Listener = Callable[[str, Sequence[Any] | None], None]


class Executor:
    """Runs statements for one database and its replicas: the dialect they are compiled for,
    the compiled forms, statement logging and the listeners."""

    def __init__(self, dialect: Dialect, *, echo: bool = False) -> None:
        self.dialect = dialect
        self.compiler = Compiler(dialect)
        self.echo = echo
        self.listeners: list[Listener] = []
        self.described = False

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[str]]:
        """The SQL of every statement run inside the block (for tests and EXPLAIN checks)."""
        seen: list[str] = []

        def listener(sql: str, _args: Sequence[Any] | None) -> None:
            seen.append(sql)

        self.listeners.append(listener)
        try:
            yield seen
        finally:
            self.listeners.remove(listener)

    async def run_many(
        self,
        driver: Driver,
        raw: Any,
        statement: ClauseElement,
        params: Sequence[Mapping[str, Any]],
    ) -> Result:
        """One statement for each parameter set (an INSERT of many rows)."""
        plan, extracted = self.compiler.plan(statement, params[0] if params else None, True)
        if plan.expanding:
            raise TypeError("expanding parameters cannot run for many parameter sets")
        args = [plan.parameters(one, extracted)[1] for one in params]
        return await self.run_text_many(driver, raw, plan.sql, args)

    async def run_text(
        self, driver: Driver, raw: Any, sql: str, params: Sequence[Any] | None
    ) -> Result:
        """Driver-level SQL with positional parameters (or none)."""
        self._announce(sql, params)
        raw_rows, names, rowcount = await self._call(driver, sql, driver.run(raw, sql, params))
        return Result([_text_row(names)(row) for row in raw_rows] if names else [], rowcount)

    async def run_text_many(
        self, driver: Driver, raw: Any, sql: str, rows: Sequence[Sequence[Any]]
    ) -> Result:
        self._announce(sql, rows)
        await self._call(driver, sql, driver.run_many(raw, sql, rows))
        return Result([], len(rows))

    def _announce(self, sql: str, args: Sequence[Any] | None) -> None:
        if self.echo:
            logger.info("%s %r", sql, args)
        for listener in self.listeners:
            listener(sql, args)

    async def _call(self, driver: Driver, sql: str, running: Awaitable[T]) -> T:
        """``running``'s result, a driver's error mapped to :class:`DatabaseError`."""
        try:
            return await running
        except (asyncio.CancelledError, TimeoutError):
            raise
        except Exception as error:
            mapped = _mapped(driver, error, sql)
            if mapped is None:
                raise
            raise mapped from error

    async def run(
        self,
        driver: Driver,
        raw: Any,
        statement: ClauseElement | str,
        params: Mapping[str, Any] | None = None,
    ) -> Result:
        if isinstance(statement, str):  # driver-level SQL, no parameters
            return await self.run_text(driver, raw, statement, None)
        plan, extracted = self.compiler.plan(statement, params)
        sql, args = plan.parameters(params, extracted)
        self._announce(sql, args)
        raw_rows, names, rowcount = await self._call(driver, sql, driver.run(raw, sql, args))
        return Result(plan.rows(raw_rows, names), rowcount)


class Connection:
    """A pooled connection as repositories and services use it: ``await conn.execute(stmt)``.

    ``dialect`` is SQLAlchemy's dialect (``conn.dialect.name``); ``invalidated`` once the
    connection broke or a statement on it was cancelled: it will not be reused."""

    __slots__ = ("_engine", "_pooled", "_savepoints", "dialect", "invalidated")

    def __init__(self, engine: Engine, pooled: _Pooled) -> None:
        self._engine = engine
        self._pooled = pooled
        self._savepoints = 0
        self.dialect = engine.dialect
        self.invalidated = False

    @property
    def driver_connection(self) -> Any:
        """The driver's own connection (bulk loading uses its native protocol)."""
        return self._pooled.raw

    async def execute(
        self,
        statement: ClauseElement | str,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Result:
        """Run one statement (with ``params``: a dict, or a list of dicts to run it for each)."""
        if self.invalidated:
            raise DatabaseError(
                RuntimeError("the connection broke earlier in this request"),
                connection_invalidated=True,
            )
        engine, raw = self._engine, self._pooled.raw
        if isinstance(params, Sequence) and not isinstance(statement, str):
            return await self._guarded(
                engine.executor.run_many(engine.driver, raw, statement, params)
            )
        assert params is None or isinstance(params, Mapping)
        return await self._guarded(engine.executor.run(engine.driver, raw, statement, params))

    async def scalar(
        self, statement: ClauseElement | str, params: Mapping[str, Any] | None = None
    ) -> Any:
        """The first column of the first row, or None."""
        return (await self.execute(statement, params)).scalar()

    async def _guarded(self, running: Awaitable[T]) -> T:
        """``running``'s result; the connection is marked broken if it broke, or if the
        statement was cancelled or timed out half-way (its state is then unknown). On a
        connection outside autocommit (MariaDB's begins a transaction with any statement), what
        ran since the last COMMIT is rolled back when the connection goes back to the pool."""
        if not self._engine.pool.autocommit:
            self._pooled.in_transaction = True
            self._pooled.committed = False
        try:
            return await running
        except DatabaseError as error:
            if error.connection_invalidated:
                self.invalidated = True
            raise
        except BaseException:
            self.invalidated = True
            raise

    async def exec_driver_sql(self, sql: str, params: Sequence[Any] | None = None) -> Result:
        """SQL text run as the driver gets it, with no conversions; ``params``: positional,
        in the driver's own style (``%s``, ``$1``, ``?``)."""
        engine, raw = self._engine, self._pooled.raw
        return await self._guarded(engine.executor.run_text(engine.driver, raw, sql, params))

    async def exec_driver_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """SQL text run once for each of ``rows`` (a bulk INSERT), as :meth:`exec_driver_sql`."""
        engine, raw = self._engine, self._pooled.raw
        await self._guarded(engine.executor.run_text_many(engine.driver, raw, sql, rows))

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        """A savepoint inside the transaction: rolled back to if the block raises."""
        self._savepoints += 1
        name = f"tasklane_sp_{self._savepoints}"
        await self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            if not self.invalidated:
                await self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            raise
        await self.execute(f"RELEASE SAVEPOINT {name}")

    async def begin(self) -> None:
        """Begin a transaction (SQLite: IMMEDIATE); it is rolled back when the connection
        goes back to the pool unless :meth:`commit` ran."""
        await self._control(self._engine.driver.begin, "BEGIN")
        self._pooled.in_transaction = True
        self._pooled.committed = False

    async def commit(self) -> None:
        """Commit. A COMMIT the server refused raises :class:`DatabaseError` (nothing was
        stored); one left without an answer (the connection broke, a timeout) leaves the
        connection invalidated, never reused, and whether it committed is unknown."""
        await self._control(self._engine.driver.commit, "COMMIT")
        self._pooled.committed = True

    async def rollback(self) -> None:
        await self._control(self._engine.driver.rollback, "ROLLBACK")
        self._pooled.in_transaction = False

    async def _control(self, step: Callable[[Any], Any], sql: str) -> None:
        engine = self._engine
        for listener in engine.executor.listeners:
            listener(sql, None)
        try:
            await step(self._pooled.raw)
        except (asyncio.CancelledError, TimeoutError):
            self.invalidated = True
            raise
        except Exception as error:
            mapped = _mapped(engine.driver, error, sql)
            if mapped is None:
                raise
            if mapped.connection_invalidated:
                self.invalidated = True
            raise mapped from error


class Engine:
    """A :class:`Pool` of one server's connections and the :class:`Executor` that runs
    statements on them: ``async with engine.connect() as conn`` (autocommit, or a transaction
    begun with ``conn.begin()``) and ``async with engine.begin() as conn`` (a transaction,
    committed when the block ends normally)."""

    def __init__(self, name: str, executor: Executor, driver: Driver, pool: Pool) -> None:
        self.name = name  # host:port/database, without credentials: safe to log
        self.executor = executor
        self.driver = driver
        self.pool = pool
        self.dialect = executor.dialect

    async def acquire(self) -> _Pooled:
        pooled = await self.pool.acquire()
        if not self.executor.described:
            await describe_server(self.dialect, self.driver, pooled.raw)
            self.executor.described = True
        return pooled

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        async with self.use(await self.acquire()) as conn:
            yield conn

    @asynccontextmanager
    async def use(self, pooled: _Pooled) -> AsyncIterator[Connection]:
        """A connection already taken from the pool, returned to it when the block ends:
        rolled back unless it committed, discarded if it broke or the block was cancelled."""
        conn = Connection(self, pooled)
        broken = True  # until the block ends normally or with an ordinary error
        try:
            yield conn
            broken = conn.invalidated
        except Exception:
            broken = conn.invalidated
            raise
        finally:
            await _release(self.pool, pooled, broken)

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Connection]:
        async with self.connect() as conn:
            await conn.begin()
            yield conn
            await conn.commit()

    async def dispose(self) -> None:
        await self.pool.dispose()


async def _release(pool: Pool, pooled: _Pooled, broken: bool) -> None:
    """Return a connection even when the request was cancelled: a broken one is discarded at
    once (no I/O); a rollback runs shielded, so a cancellation cannot leave it half-returned."""
    if broken:
        await pool.release(pooled, broken=True)
        return
    release = asyncio.ensure_future(pool.release(pooled))
    try:
        await asyncio.shield(release)
    except asyncio.CancelledError:
        await release
        raise


def make_dialect(
    url: str,
    *,
    json_serializer: Callable[[Any], str],
    json_deserializer: Callable[[Any], Any],
) -> Dialect:
    """SQLAlchemy's dialect of ``url``, used to compile statements (never to run them)."""
    cls: Any = make_url(url).get_dialect()
    dialect: Dialect = cls(
        dbapi=cls.import_dbapi(),
        json_serializer=json_serializer,
        json_deserializer=json_deserializer,
    )
    return dialect


def make_driver(
    url: str,
    dialect: Dialect,
    *,
    connect_args: Mapping[str, Any],
    json_loads: Callable[[Any], Any],
    word_prefix: Callable[[str | None, str | None, str], int],
) -> Driver:
    """The driver of ``url``'s dialect: asyncmy, asyncpg or aiosqlite."""
    parsed = make_url(url)
    if dialect.name == "mysql":
        return _MySQL(parsed, dialect, connect_args)
    if dialect.name == "postgresql":
        return _PostgreSQL(parsed, dialect, connect_args, json_loads)
    if dialect.name == "sqlite":
        return _SQLite(parsed, dialect, word_prefix)
    raise ValueError(f"unsupported database: {dialect.name}")


async def describe_server(dialect: Dialect, driver: Driver, raw: Any) -> None:
    """Tell the dialect which server it compiles for (what SQLAlchemy learns on its first
    connection): MariaDB or MySQL and their versions decide some of the SQL it writes."""
    if dialect.name == "mysql":
        rows, _, _ = await driver.run(raw, "SELECT VERSION()", None)
        version_text = str(rows[0][0])
        numbers = tuple(int(part) for part in re.findall(r"\d+", version_text)[:3])
        is_mariadb = "mariadb" in version_text.lower()
        dialect._set_mariadb(is_mariadb, numbers)  # type: ignore[attr-defined]
        dialect.server_version_info = numbers
        if is_mariadb:
            dialect._initialize_mariadb(None)  # type: ignore[attr-defined]
        else:
            dialect._initialize_mysql(None)  # type: ignore[attr-defined]
    elif dialect.name == "postgresql":
        dialect.server_version_info = tuple(raw.get_server_version()[:3])
