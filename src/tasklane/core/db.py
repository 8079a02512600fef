"""Engines and the per-request connection.

Two engines per process: a *write* engine whose connections run one transaction per request,
and an *autocommit read* engine, so a GET never pays for an implicit transaction (BEGIN and
ROLLBACK round trips) on MariaDB/MySQL or PostgreSQL. Read replicas plug in behind the read
engine later without touching the repositories.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tasklane.settings import Settings


def _engine_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": settings.db_pool_recycle,
        "pool_pre_ping": settings.db_pool_pre_ping,
        "echo": settings.db_echo,
    }


def database_url(settings: Settings) -> str:
    url = make_url(settings.database_url)
    if settings.dialect == "mysql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url.render_as_string(hide_password=False)


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

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect = settings.dialect
        url = database_url(settings)
        kwargs = _engine_kwargs(settings)
        self.write_engine = create_async_engine(url, **kwargs)
        self.read_engine = create_async_engine(
            url, isolation_level="AUTOCOMMIT", skip_autocommit_rollback=True, **kwargs
        )
        if self.dialect == "sqlite":
            _configure_sqlite(self.write_engine, writer=True)
            _configure_sqlite(self.read_engine, writer=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction, committed when the block exits normally."""
        async with self.write_engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncConnection]:
        async with self.read_engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        await self.read_engine.dispose()


def get_database(request: Request) -> Database:
    db: Database = request.app.state.ctx.db
    return db


async def _write_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """One transaction per request, committed when the handler returns and before the
    response is sent (the dependency has function scope), rolled back if it raises."""
    async with get_database(request).transaction() as conn:
        yield conn


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with get_database(request).read_engine.connect() as conn:
        yield conn


DbWrite = Annotated[AsyncConnection, Depends(_write_connection, scope="function")]
DbRead = Annotated[AsyncConnection, Depends(_read_connection, scope="function")]
