"""``tasklane seed``: realistic users and tasks, loaded in bulk.

Every seeded account gets the same password (hashed once), so a benchmark can log any of them
in. Titles, descriptions and tag sets are drawn once into pools; the hot loop only picks from
them and formats ids and timestamps from integers (a few microseconds a task).

What the database is given, by dialect:

- SQLite: one transaction, ``executemany`` per batch (the next batch is generated while
  SQLite writes one); on the seeding connection only, ``synchronous=OFF``, a large page
  cache, in-memory sorts and no foreign key lookups.
- MariaDB/MySQL: one transaction of multi-row INSERTs whose values are SQL literals made
  once per pool entry (the driver's ``executemany`` escapes every value in Python, and
  asyncmy 0.2.18 cannot send ``LOAD DATA LOCAL INFILE`` files: it passes the file name as
  bytes where it takes a str); ``unique_checks`` and ``foreign_key_checks`` off for the
  seeding session.
- PostgreSQL: one transaction, ``executemany`` per batch (speed there is not a target).

A large load into an (almost) empty ``tasks`` table drops the secondary indexes of ``tasks``
and ``task_tags`` first (the MariaDB FULLTEXT index above all: maintaining it row by row costs
more than building it once) and recreates them afterwards, exactly as they were, even when the
load fails. PostgreSQL keeps its indexes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

import asyncmy.connection
import asyncmy.errors
import orjson
from sqlalchemy import insert, text

from tasklane.core.context import AppContext
from tasklane.core.sql import Connection, Engine
from tasklane.core.types import AnyRow, uuid7
from tasklane.projects.models import project_members, projects
from tasklane.settings import Settings
from tasklane.users.models import users
from tasklane.users.schemas import Preferences

logger = logging.getLogger("tasklane.seed")

SEED_PASSWORD = "seeded account password"  # noqa: S105  # nosec B105 - documented test data
EMAIL_TEMPLATE = "seed-{n}@example.com"

#: From this many new tasks on (and when ``tasks`` holds no more rows than are being added),
#: the secondary indexes are dropped before the load and rebuilt after it.
INDEX_REBUILD_MIN_TASKS = 50_000

_VERBS = tuple(
    "buy call email write review fix plan book clean order pay renew prepare send update "
    "check draft schedule organise return pick read finish test deploy refactor measure "
    "cancel confirm collect repair water sort archive print sign file".split()
)
_NOUNS = tuple(
    "milk bread report invoice dentist appointment flight tickets garden kitchen budget "
    "slides proposal contract laptop charger passport library books car insurance taxes "
    "newsletter meeting agenda presentation dashboard release notes backup database server "
    "garage bike tyres plants groceries birthday present gift card letter parcel blog post "
    "interview notes roadmap benchmark results onboarding checklist quarterly review".split()
)
_FILLER = tuple(
    "before the weekend with the team after lunch for the client next week as discussed "
    "remember to include the latest figures and ask about the deadline ideally in the morning "
    "if possible otherwise on friday keep it short and attach the draft".split()
)
_TAGS = tuple(
    "home work errands health finance family travel reading admin urgent-ish someday "
    "project-x q4 ops learning".split()
)


@dataclass
class SeedResult:
    users: int
    tasks: int
    seconds: float

    @property
    def tasks_per_second(self) -> float:
        return self.tasks / self.seconds if self.seconds else 0.0


_STATUS_CUTS = ((0.45, "todo"), (0.60, "in_progress"), (1.01, "done"))
_PRIORITY_CUTS = ((0.25, 1), (0.70, 2), (0.92, 3), (1.01, 4))
_TAG_COUNT_CUTS = ((0.30, 0), (0.70, 1), (0.90, 2), (1.01, 3))


def _pick(cuts: tuple[tuple[float, Any], ...], r: float) -> Any:
    for cut, value in cuts:
        if r < cut:
            return value
    return cuts[-1][1]


def _table(cuts: tuple[tuple[float, Any], ...], bits: int) -> list[Any]:
    """``cuts`` as a lookup table indexed by ``bits`` random bits (one ``getrandbits`` call a
    pick instead of a float and a loop)."""
    size = 1 << bits
    return [_pick(cuts, (i + 0.5) / size) for i in range(size)]


_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _TextStamps:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) of microseconds since the epoch, from tables of the
    days in range and of the 86,400 times of day: SQLAlchemy's SQLite storage format, and what
    MariaDB's DATETIME(6) parses. Five times cheaper than ``datetime.isoformat``."""

    def __init__(self, first_us: int, last_us: int, quote: str = "") -> None:
        self.first_day = first_us // _DAY_US
        self.days = [
            quote + (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d ")
            for day in range(self.first_day, last_us // _DAY_US + 1)
        ]
        self.quote = quote
        self.times = [
            f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)
        ]

    def __call__(self, us: int) -> str:
        seconds, micros = divmod(us, _US)
        day, second = divmod(seconds, 86_400)
        return f"{self.days[day - self.first_day]}{self.times[second]}{micros:06d}{self.quote}"


def _datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _file_text(value: str) -> str:
    """A field of a ``LOAD DATA`` file: the word lists hold no tab, newline or backslash (which
    would need escaping)."""
    if any(c in value for c in "\t\n\\"):
        raise ValueError(f"no tabs, newlines or backslashes in seeded text: {value!r}")
    return value


@dataclass(frozen=True)
class _Format:
    """How one way of loading takes each kind of value: the driver's parameters, or the
    fields of a ``LOAD DATA`` file (ids as hex, NULL as ``\\N``)."""

    ident: Callable[[int], Any]  # a 128-bit UUID as an int
    stamp: Callable[[int], Any]  # microseconds since the epoch, UTC
    text: Callable[[str], Any]
    integer: Callable[[int], Any]
    null: Any

    @classmethod
    def for_dialect(cls, dialect: str, first_us: int, last_us: int) -> _Format:
        if dialect == "postgresql":
            return cls(lambda v: uuid.UUID(int=v), _datetime, str, int, None)
        if dialect == "sqlite":
            return cls(lambda v: v.to_bytes(16), _TextStamps(first_us, last_us), str, int, None)
        stamps = _TextStamps(first_us, last_us)
        return cls(lambda v: v.to_bytes(16).hex(), stamps, _file_text, str, "\\N")


TASK_COLUMNS = (
    "id",
    "user_id",
    "project_id",
    "title",
    "description",
    "status",
    "priority",
    "due_at",
    "completed_at",
    "tags",
    "version",
    "created_at",
    "updated_at",
)
TAG_COLUMNS = ("task_id", "tag", "user_id")


class _Pools:
    """Titles, descriptions and tag sets drawn once; rows pick from them (the hot loop must
    cost a few microseconds per task to load a million tasks in well under a minute)."""

    def __init__(self, rng: random.Random) -> None:
        self.titles = [
            f"{rng.choice(_VERBS).capitalize()} {rng.choice(_NOUNS)} {rng.choice(_NOUNS)}"
            for _ in range(4096)
        ]
        self.descriptions: list[str | None] = [
            " ".join(rng.sample(_FILLER, k=rng.randrange(6, 30))) for _ in range(2048)
        ] + [None] * 2048
        self.tag_sets: list[list[str]] = [
            rng.sample(_TAGS, k=_pick(_TAG_COUNT_CUTS, rng.random())) for _ in range(1024)
        ]
        # Compact, as the API writes tags (reads pass the stored JSON text through).
        self.tag_json = [orjson.dumps(tags).decode() for tags in self.tag_sets]


TaskRow = tuple[Any, ...]
TagRow = tuple[Any, Any, Any]


def _task_rows(
    rng: random.Random,
    fmt: _Format,
    pools: _Pools,
    owners: Sequence[uuid.UUID],
    inboxes: Sequence[uuid.UUID],
    count: int,
    now_us: int,
) -> Iterator[tuple[TaskRow, list[TagRow]]]:
    """``count`` tasks in creation order over the last year, each for a random owner, so ids
    (UUIDv7 from the creation time) and every (user, created_at) index grow at their end.
    A task is ``TASK_COLUMNS`` values, its tags ``TAG_COLUMNS`` rows, all as ``fmt`` has them.
    """
    owner_ids = [fmt.ident(o.int) for o in owners]
    inbox_ids = [fmt.ident(p.int) for p in inboxes]  # each owner's Inbox, in the same order
    titles = [fmt.text(t) for t in pools.titles]
    descriptions = [fmt.null if d is None else fmt.text(d) for d in pools.descriptions]
    tag_json = [fmt.text(j) for j in pools.tag_json]
    tag_sets = [[fmt.text(t) for t in tags] for tags in pools.tag_sets]
    statuses = [fmt.text(s) for s in _table(_STATUS_CUTS, 10)]
    priorities = [fmt.integer(p) for p in _table(_PRIORITY_CUTS, 10)]
    done = fmt.text("done")
    version = fmt.integer(1)
    null = fmt.null
    ident, stamp = fmt.ident, fmt.stamp
    bits = rng.getrandbits
    start_us = now_us - 365 * _DAY_US
    step_us = 365 * _DAY_US // max(count, 1)
    week_us = 7 * _DAY_US
    hour_us = 3600 * _US
    for i in range(count):
        created_us = start_us + i * step_us
        updated_us = min(created_us + (bits(40) * week_us >> 40), now_us)
        status = statuses[bits(10)]
        updated = stamp(updated_us)
        owner_index = bits(32) % len(owner_ids)
        owner = owner_ids[owner_index]
        tag_index = bits(10)
        rand = bits(74)  # UUIDv7: 48 bits of milliseconds, version, 74 random bits, variant
        task_id = ident(
            (created_us // 1000) << 80
            | 0x7 << 76
            | (rand >> 62) << 64
            | 0b10 << 62
            | (rand & ((1 << 62) - 1))
        )
        yield (
            (
                task_id,
                owner,
                inbox_ids[owner_index],
                titles[bits(12)],
                descriptions[bits(12)],
                status,
                priorities[bits(10)],
                # 60 % have a due date, from five days before creation to five weeks after.
                stamp(created_us + (bits(10) - 120) * hour_us) if bits(10) < 614 else null,
                updated if status == done else null,
                tag_json[tag_index],
                version,
                stamp(created_us),
                updated,
            ),
            [(task_id, tag, owner) for tag in tag_sets[tag_index]],
        )


def _batches(
    rows: Iterator[tuple[TaskRow, list[TagRow]]], size: int
) -> Iterator[tuple[list[TaskRow], list[TagRow]]]:
    task_batch: list[TaskRow] = []
    tag_batch: list[TagRow] = []
    for row, tags in rows:
        task_batch.append(row)
        tag_batch.extend(tags)
        if len(task_batch) >= size:
            yield task_batch, tag_batch
            task_batch, tag_batch = [], []
    if task_batch:
        yield task_batch, tag_batch


# --- secondary indexes: dropped for a large load, restored exactly -------------------------

_TABLES = ("tasks", "task_tags")
#: A secondary (non-unique) index line of ``SHOW CREATE TABLE``, without its trailing comma.
_MYSQL_KEY = re.compile(r"^\s*((?:FULLTEXT |SPATIAL )?KEY `([^`]+)` .*?),?$")


@dataclass(frozen=True)
class _Index:
    table: str
    name: str
    definition: str  # SQLite: its CREATE INDEX; MariaDB: its SHOW CREATE TABLE line


async def _secondary_indexes(conn: Connection, dialect: str) -> list[_Index]:
    found: list[_Index] = []
    if dialect == "sqlite":
        result = await conn.exec_driver_sql(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
            "AND sql IS NOT NULL AND tbl_name IN ('tasks', 'task_tags') ORDER BY name"
        )
        rows: Sequence[AnyRow] = result.all()
        found.extend(_Index(str(row[0]), str(row[1]), str(row[2])) for row in rows)
    elif dialect == "mysql":
        for table in _TABLES:
            row: AnyRow = (await conn.exec_driver_sql(f"SHOW CREATE TABLE {table}")).one()
            for line in str(row[1]).splitlines():
                if match := _MYSQL_KEY.match(line):
                    found.append(_Index(table, match[2], match[1]))
    return found


async def _drop_indexes(conn: Connection, dialect: str, indexes: list[_Index]) -> None:
    if dialect == "sqlite":
        for index in indexes:
            await conn.exec_driver_sql(f'DROP INDEX "{index.name}"')
        return
    for table in _TABLES:
        names = [index.name for index in indexes if index.table == table]
        if names:  # foreign_key_checks=0 (_bulk_session): an index a foreign key uses goes too
            drops = ", ".join(f"DROP INDEX `{name}`" for name in names)
            await conn.exec_driver_sql(f"ALTER TABLE {table} {drops}")


async def _restore_indexes(engine: Engine, dialect: str, indexes: list[_Index]) -> None:
    """Recreate those of ``indexes`` that are missing. MariaDB builds each table's in one
    ALTER TABLE (one scan), the two tables at the same time on two connections."""

    async def restore(table: str) -> None:
        async with engine.connect() as conn:
            present = {i.name for i in await _secondary_indexes(conn, dialect)}
            missing = [i for i in indexes if i.table == table and i.name not in present]
            if not missing:
                return
            if dialect == "sqlite":
                for index in missing:
                    await conn.exec_driver_sql(index.definition)
            else:
                adds = ", ".join(f"ADD {index.definition}" for index in missing)
                await conn.exec_driver_sql(f"ALTER TABLE {table} {adds}")
            await conn.commit()

    if dialect == "sqlite":  # one writer at a time
        for table in _TABLES:
            await restore(table)
    else:
        await asyncio.gather(*(restore(table) for table in _TABLES))


# --- loaders: one transaction of batches --------------------------------------------------


class _Loader(Protocol):
    async def load(self, task_rows: list[TaskRow], tag_rows: list[TagRow]) -> None:
        """Add one batch to the load's transaction."""


class _InsertLoader:
    """SQLite and PostgreSQL: ``executemany`` of one INSERT per table and batch."""

    def __init__(self, conn: Connection, paramstyle: str) -> None:
        self.conn = conn
        self.task_sql = _insert_sql("tasks", TASK_COLUMNS, paramstyle)
        self.tag_sql = _insert_sql("task_tags", TAG_COLUMNS, paramstyle)

    async def load(self, task_rows: list[TaskRow], tag_rows: list[TagRow]) -> None:
        await self.conn.exec_driver_many(self.task_sql, task_rows)
        if tag_rows:
            await self.conn.exec_driver_many(self.tag_sql, tag_rows)


def _insert_sql(table: str, columns: tuple[str, ...], paramstyle: str) -> str:
    if paramstyle == "qmark":
        marks = ", ".join("?" for _ in columns)
    elif paramstyle == "numeric_dollar":
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        marks = ", ".join("%s" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608  # nosec B608 - our own column names


class _FileLoader:
    """MariaDB/MySQL: each batch written as a tab-separated file and sent with ``LOAD DATA
    LOCAL INFILE``: the server parses plain fields rather than SQL statements (ids as hex,
    turned into bytes by the server). The next batch is generated while the server loads this
    one."""

    def __init__(self, conn: Connection, directory: Path) -> None:
        self.conn = conn
        self.directory = directory
        self.batch = 0
        self.task_sql = _load_data_sql("tasks", TASK_COLUMNS, {"id", "user_id", "project_id"})
        self.tag_sql = _load_data_sql("task_tags", TAG_COLUMNS, {"task_id", "user_id"})

    async def load(self, task_rows: list[TaskRow], tag_rows: list[TagRow]) -> None:
        self.batch += 1
        await self._send(self.task_sql, task_rows, "tasks")
        if tag_rows:
            await self._send(self.tag_sql, tag_rows, "tags")

    async def _send(self, sql: str, rows: Sequence[Sequence[str]], kind: str) -> None:
        path = self.directory / f"{kind}-{self.batch}.tsv"
        path.write_text("".join(["\t".join(row) + "\n" for row in rows]), encoding="utf-8")
        _SendableFiles.allowed.add(str(path))
        try:
            # No parameters: the driver must not %-format the statement.
            await self.conn.exec_driver_sql(sql.format(path=str(path)))
        finally:
            _SendableFiles.allowed.discard(str(path))
            path.unlink()


def _load_data_sql(table: str, columns: tuple[str, ...], binary: set[str]) -> str:
    """``LOAD DATA LOCAL INFILE`` of ``table`` from a tab-separated file (``{path}``), the
    ``binary`` columns given as hex."""
    fields = ", ".join(f"@{c}" if c in binary else c for c in columns)
    unhex = ", ".join(f"{c} = UNHEX(@{c})" for c in columns if c in binary)
    return (
        "LOAD DATA LOCAL INFILE '{path}' INTO TABLE " + table + " CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n' "
        f"({fields}) SET {unhex}"
    )


class _SendableFiles(asyncmy.connection.LoadLocalFile):
    """asyncmy's sender of ``LOAD DATA LOCAL`` files, fixed and fenced. asyncmy 0.2.18 hands it
    the file name as bytes where it takes a str (the load fails with a TypeError); this takes
    either. And a server names the file it wants: only the seed's own batch files are ever
    sent (``allowed``), whatever it asks for."""

    allowed: ClassVar[set[str]] = set()

    def __init__(self, filename: str | bytes, connection: Any) -> None:
        name = filename.decode() if isinstance(filename, bytes) else filename
        if name not in self.allowed:
            raise asyncmy.errors.OperationalError(2068, f"refused to send {name!r}")
        super().__init__(name, connection)


@contextmanager
def _file_sending() -> Iterator[None]:
    """asyncmy sends files through :class:`_SendableFiles` while the block runs."""
    module: Any = asyncmy.connection
    original = module.LoadLocalFile
    module.LoadLocalFile = _SendableFiles
    try:
        yield
    finally:
        module.LoadLocalFile = original


#: The seeding connection's SQLite settings during the load: no fsync (a crash mid-seed loses
#: only test data), a 256 MiB page cache, index sorts in memory, and no foreign key lookups
#: (every row's owner and task exist by construction).
_SQLITE_BULK_PRAGMAS = {
    "synchronous": 0,
    "cache_size": -262_144,
    "temp_store": 2,
    "foreign_keys": 0,
}


@asynccontextmanager
async def _bulk_session(conn: Connection, dialect: str) -> AsyncIterator[None]:
    """Session settings for the load only, put back before the connection is pooled again."""
    if dialect == "sqlite":
        # Outside a transaction: the driver's connection.
        raw = conn.driver_connection
        saved: dict[str, Any] = {}
        for pragma, value in _SQLITE_BULK_PRAGMAS.items():
            saved[pragma] = (await (await raw.execute(f"PRAGMA {pragma}")).fetchone())[0]
            await raw.execute(f"PRAGMA {pragma}={value}")
        try:
            yield
        finally:
            for pragma, value in saved.items():
                await raw.execute(f"PRAGMA {pragma}={int(value)}")
    elif dialect == "mysql":
        # Unique and foreign keys are right by construction (fresh UUIDv7s, owners that
        # exist); into an empty table this also lets InnoDB build its indexes by sorting.
        checks: AnyRow = (
            await conn.exec_driver_sql("SELECT @@unique_checks, @@foreign_key_checks")
        ).one()
        await conn.exec_driver_sql("SET SESSION unique_checks = 0, foreign_key_checks = 0")
        await conn.commit()
        try:
            yield
        finally:
            await conn.exec_driver_sql(
                f"SET SESSION unique_checks = {int(checks[0])}, "
                f"foreign_key_checks = {int(checks[1])}"
            )
            await conn.commit()
    else:
        yield


async def seed(
    settings: Settings,
    *,
    users_count: int,
    tasks_per_user: int,
    batch_size: int = 20_000,
    random_seed: int = 1,
    progress: bool = True,
    rebuild_indexes_from: int = INDEX_REBUILD_MIN_TASKS,
) -> SeedResult:
    """Insert ``users_count`` accounts with ``tasks_per_user`` tasks each. From
    ``rebuild_indexes_from`` tasks on (into a table holding no more than that many), the
    secondary indexes are dropped before the load and rebuilt after it."""
    from tqdm import tqdm  # noqa: PLC0415 - only this command needs it

    rng = random.Random(random_seed)  # noqa: S311  # nosec B311 - reproducible test data
    ctx = AppContext.create(settings)
    dialect = ctx.db.dialect
    now = datetime.now(UTC)
    now_us = (now - _EPOCH) // timedelta(microseconds=1)
    try:
        password_hash = await ctx.hasher.hash(SEED_PASSWORD)
        account_rows: list[dict[str, Any]] = []
        start_index = time.time_ns() // 1000  # unique emails across repeated seeding
        created = now - timedelta(days=400)
        for n in range(users_count):
            account_rows.append(
                {
                    "id": uuid7(),
                    "email": EMAIL_TEMPLATE.format(n=f"{start_index}-{n}"),
                    "name": f"Seeded user {n}",
                    "password_hash": password_hash,
                    "role": "user",
                    "is_active": True,
                    "timezone": "UTC",
                    "preferences": Preferences().model_dump(),
                    "created_at": created,
                    "updated_at": created,
                }
            )
        started = time.perf_counter()
        inboxes = [uuid7() for _ in account_rows]
        async with ctx.db.transaction() as conn:
            for i in range(0, len(account_rows), 5000):
                await conn.execute(insert(users), account_rows[i : i + 5000])
                chunk = list(zip(account_rows[i : i + 5000], inboxes[i : i + 5000], strict=True))
                await conn.execute(
                    insert(projects),
                    [
                        {
                            "id": inbox,
                            "name": "Inbox",
                            "colour": "#808080",
                            "parent_id": None,
                            "inbox_of": account["id"],
                            "archived_at": None,
                            "version": 1,
                            "created_at": created,
                            "updated_at": created,
                        }
                        for account, inbox in chunk
                    ],
                )
                await conn.execute(
                    insert(project_members),
                    [
                        {
                            "project_id": inbox,
                            "user_id": account["id"],
                            "role": "owner",
                            "position": 0,
                            "created_at": created,
                        }
                        for account, inbox in chunk
                    ],
                )
        total = users_count * tasks_per_user
        fmt = _Format.for_dialect(dialect, now_us - 370 * _DAY_US, now_us + 45 * _DAY_US)
        owners = [account["id"] for account in account_rows]
        rows = _task_rows(rng, fmt, _Pools(rng), owners, inboxes, total, now_us)
        bar = tqdm(total=total, unit="task", disable=not progress, file=sys.stderr)
        await _load_tasks(ctx, _batches(rows, batch_size), total, rebuild_indexes_from, bar.update)
        bar.close()
        return SeedResult(users_count, total, time.perf_counter() - started)
    finally:
        await ctx.close()


async def _load_tasks(
    ctx: AppContext,
    batches: Iterator[tuple[list[TaskRow], list[TagRow]]],
    total: int,
    rebuild_indexes_from: int,
    advance: Callable[[int], object],
) -> None:
    """Load ``total`` tasks; from ``rebuild_indexes_from`` on (into a table holding no more
    than that many), without the secondary indexes, rebuilt afterwards."""
    dialect = ctx.db.dialect
    # MariaDB: a connection that may send LOAD DATA LOCAL files (the requests' never do).
    engine = ctx.db.bulk_engine(local_infile=True) if dialect == "mysql" else ctx.db.write_engine
    indexes: list[_Index] = []
    try:
        async with engine.connect() as conn, _bulk_session(conn, dialect):
            if total >= rebuild_indexes_from and dialect != "postgresql":
                existing = (
                    await conn.execute(
                        text("SELECT COUNT(*) FROM (SELECT 1 FROM tasks LIMIT :n) AS t"),
                        {"n": total + 1},
                    )
                ).scalar()
                if existing is not None and existing <= total:
                    indexes = await _secondary_indexes(conn, dialect)
                    await _drop_indexes(conn, dialect, indexes)
                await conn.commit()
            loading = time.perf_counter()
            try:
                await _load(conn, dialect, batches, advance)
                logger.info("loaded %d tasks in %.1f s", total, time.perf_counter() - loading)
            finally:
                await conn.rollback()  # nothing to roll back after a successful load
                if indexes:
                    rebuilding = time.perf_counter()
                    await _restore_indexes(engine, dialect, indexes)
                    logger.info(
                        "rebuilt %d indexes in %.1f s",
                        len(indexes),
                        time.perf_counter() - rebuilding,
                    )
    finally:
        if engine is not ctx.db.write_engine:
            await engine.dispose()


async def _load(
    conn: Connection,
    dialect: str,
    batches: Iterator[tuple[list[TaskRow], list[TagRow]]],
    advance: Callable[[int], object],
) -> None:
    """All batches in one transaction; each batch is inserted while the next is generated
    (SQLite writes in aiosqlite's thread, the servers in their own processes)."""
    if dialect == "mysql":
        with tempfile.TemporaryDirectory(prefix="tasklane-seed-") as directory, _file_sending():
            await _load_batches(conn, _FileLoader(conn, Path(directory)), batches, advance)
    else:
        await _load_batches(conn, _InsertLoader(conn, conn.dialect.paramstyle), batches, advance)


async def _load_batches(
    conn: Connection,
    loader: _Loader,
    batches: Iterator[tuple[list[TaskRow], list[TagRow]]],
    advance: Callable[[int], object],
) -> None:
    await conn.begin()  # committed at the end; rolled back by the pool if the load fails
    pending: asyncio.Task[None] | None = None
    try:
        for task_rows, tag_rows in batches:
            if pending is not None:
                await pending
            pending = asyncio.create_task(loader.load(task_rows, tag_rows))
            await asyncio.sleep(0)  # let it hand the batch to the driver
            advance(len(task_rows))
    except BaseException:
        if pending is not None:  # the connection must be idle before the rollback
            with contextlib.suppress(Exception):
                await pending
        raise
    if pending is not None:
        await pending
    await conn.commit()
