"""``tasklane seed``: realistic users and tasks, loaded with bulk inserts.

Every seeded account gets the same password (hashed once), so a benchmark can log any of them
in. Rows are generated in batches and each batch is one multi-row INSERT per table inside one
transaction: the cost is the database's, not Python's.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from tasklane.core.context import AppContext
from tasklane.core.types import uuid7
from tasklane.settings import Settings
from tasklane.users.models import users
from tasklane.users.schemas import Preferences

SEED_PASSWORD = "seeded account password"  # noqa: S105 - documented test data
EMAIL_TEMPLATE = "seed-{n}@example.com"

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


class _Native:
    """Turns Python values into what each driver takes, once per value, without SQLAlchemy's
    per-row type processing (the seeding hot loop)."""

    def __init__(self, dialect: str, paramstyle: str) -> None:
        self.dialect = dialect
        self.paramstyle = paramstyle

    def uuid(self, value: uuid.UUID) -> Any:
        return value if self.dialect == "postgresql" else value.bytes

    def time(self, value: datetime | None) -> Any:
        """``value`` must be in UTC already."""
        if value is None or self.dialect == "postgresql":
            return value
        naive = value.replace(tzinfo=None)
        # SQLite stores SQLAlchemy's fixed-width text; MariaDB takes the datetime.
        if self.dialect == "sqlite":
            return naive.isoformat(sep=" ", timespec="microseconds")
        return naive

    def insert_sql(self, table: str, columns: tuple[str, ...]) -> str:
        if self.paramstyle == "qmark":
            marks = ", ".join("?" for _ in columns)
        elif self.paramstyle == "numeric_dollar":
            marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        else:
            marks = ", ".join("%s" for _ in columns)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


TASK_COLUMNS = (
    "id",
    "user_id",
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
        self.tag_json = ["[" + ", ".join(f'"{t}"' for t in tags) + "]" for tags in self.tag_sets]


def _task_rows(
    rng: random.Random,
    native: _Native,
    pools: _Pools,
    owners: list[uuid.UUID],
    count: int,
    now: datetime,
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """``count`` tasks in creation order over the last year, each for a random owner, so ids
    (UUIDv7 from the creation time) and every (user, created_at) index grow at their end."""
    owner_ids = [native.uuid(o) for o in owners]
    start = now.timestamp() - 365 * 86400
    step = 365 * 86400 / max(count, 1)
    week = 7 * 86400.0
    random_ = rng.random
    bits = rng.getrandbits
    for i in range(count):
        created_ts = start + i * step
        created = datetime.fromtimestamp(created_ts, UTC)
        updated = datetime.fromtimestamp(min(created_ts + random_() * week, now.timestamp()), UTC)
        status = _pick(_STATUS_CUTS, random_())
        due = created + timedelta(hours=bits(10) - 120) if random_() < 0.6 else None
        owner = owner_ids[bits(32) % len(owner_ids)]
        tag_index = bits(10)
        millis = int(created_ts * 1000)
        rand = bits(74)
        raw = millis << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | (rand & ((1 << 62) - 1))
        task_id = uuid.UUID(int=raw) if native.dialect == "postgresql" else raw.to_bytes(16)
        yield (
            (
                task_id,
                owner,
                pools.titles[bits(12)],
                pools.descriptions[bits(12)],
                status,
                _pick(_PRIORITY_CUTS, random_()),
                native.time(due),
                native.time(updated) if status == "done" else None,
                pools.tag_json[tag_index],
                1,
                native.time(created),
                native.time(updated),
            ),
            [(task_id, tag, owner) for tag in pools.tag_sets[tag_index]],
        )


async def seed(
    settings: Settings,
    *,
    users_count: int,
    tasks_per_user: int,
    batch_size: int = 5000,
    random_seed: int = 1,
    progress: bool = True,
) -> SeedResult:
    """Insert ``users_count`` accounts with ``tasks_per_user`` tasks each."""
    from tqdm import tqdm  # noqa: PLC0415 - only this command needs it

    rng = random.Random(random_seed)  # noqa: S311 - reproducible test data
    ctx = AppContext.create(settings)
    now = datetime.now(UTC)
    try:
        password_hash = await ctx.hasher.hash(SEED_PASSWORD)
        account_rows: list[dict[str, Any]] = []
        start_index = int(time.time())  # unique emails across repeated seeding
        for n in range(users_count):
            created = now - timedelta(days=400)
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
        async with ctx.db.transaction() as conn:
            for i in range(0, len(account_rows), batch_size):
                await conn.execute(insert(users), account_rows[i : i + batch_size])
        total = users_count * tasks_per_user
        bar = tqdm(total=total, unit="task", disable=not progress, file=sys.stderr)
        native = _Native(ctx.db.dialect, ctx.db.write_engine.dialect.paramstyle)
        task_sql = native.insert_sql("tasks", TASK_COLUMNS)
        tag_sql = native.insert_sql("task_tags", TAG_COLUMNS)

        async def flush(
            task_batch: list[tuple[Any, ...]], tag_batch: list[tuple[Any, ...]]
        ) -> None:
            async with ctx.db.transaction() as conn:
                await conn.exec_driver_sql(task_sql, task_batch)
                if tag_batch:
                    await conn.exec_driver_sql(tag_sql, tag_batch)
            bar.update(len(task_batch))

        # Two batches in flight: the next batch is generated while the database writes one.
        in_flight: set[asyncio.Task[None]] = set()
        task_batch: list[tuple[Any, ...]] = []
        tag_batch: list[tuple[Any, ...]] = []
        owners: list[uuid.UUID] = [account["id"] for account in account_rows]
        for row, tags in _task_rows(rng, native, _Pools(rng), owners, total, now):
            task_batch.append(row)
            tag_batch.extend(tags)
            if len(task_batch) >= batch_size:
                if len(in_flight) >= 2:
                    done, in_flight = await asyncio.wait(
                        in_flight, return_when=asyncio.FIRST_COMPLETED
                    )
                    for finished in done:
                        finished.result()
                in_flight.add(asyncio.create_task(flush(task_batch, tag_batch)))
                task_batch, tag_batch = [], []
                await asyncio.sleep(0)  # let the insert start sending
        if task_batch:
            in_flight.add(asyncio.create_task(flush(task_batch, tag_batch)))
        for pending in in_flight:
            await pending
        bar.close()
        return SeedResult(users_count, total, time.perf_counter() - started)
    finally:
        await ctx.close()
