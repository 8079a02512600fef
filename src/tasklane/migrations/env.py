"""Alembic environment: one history for SQLite, MariaDB/MySQL and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import tasklane.auth.models
import tasklane.comments.models
import tasklane.events.models
import tasklane.idempotency.models
import tasklane.notifications.models
import tasklane.projects.models
import tasklane.tasks.models
import tasklane.users.models  # noqa: F401 - the tables register on the metadata
from tasklane.core.db import database_url
from tasklane.core.metadata import metadata
from tasklane.settings import Settings, get_settings

config = context.config
settings: Settings = config.attributes.get("settings") or get_settings()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(database_url(settings))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(settings), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
