"""Migration 0012 on a database with tasks: each gets a manual-order key, in the order the
tasks were created within their project; and it can be undone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import tasklane.cli
from tasklane.cli import migrate
from tasklane.core.types import UUIDType, uuid7
from tasklane.settings import Settings
from tests.test_projects_migration import TASKS, USERS, _run, scratch

__all__ = ["scratch"]  # fixture


def _downgrade(settings: Settings, revision: str) -> None:
    config = Config()
    config.set_main_option(
        "script_location", str(Path(tasklane.cli.__file__).parent / "migrations")
    )
    config.attributes["settings"] = settings
    command.downgrade(config, revision)


def test_existing_tasks_get_keys_in_creation_order(scratch: Settings) -> None:
    migrate(scratch, "0007")
    start = datetime(2026, 12, 1, tzinfo=UTC)
    person = uuid7()
    # Created in this order (ids made in another order, so the key follows created_at).
    made = [(uuid7(), start + timedelta(minutes=m)) for m in (3, 1, 2, 0)]
    asyncio.run(
        _run(
            scratch,
            [
                sa.insert(USERS).values(
                    id=person,
                    email=f"m-{person.hex}@example.com",
                    name="Before",
                    password_hash="-",
                    role="user",
                    is_active=True,
                    timezone="UTC",
                    preferences={},
                    created_at=start,
                    updated_at=start,
                ),
                sa.insert(TASKS).values(
                    [
                        {
                            "id": task_id,
                            "user_id": person,
                            "title": "old",
                            "status": "todo",
                            "priority": 2,
                            "tags": [],
                            "version": 1,
                            "created_at": at,
                            "updated_at": at,
                        }
                        for task_id, at in made
                    ]
                ),
            ],
        )
    )
    migrate(scratch, "0012")
    keyed = sa.table(
        "tasks",
        sa.column("id", UUIDType()),
        sa.column("position", sa.String()),
        sa.column("parent_id", UUIDType()),
        sa.column("subtasks_total", sa.Integer()),
    )
    (rows,) = asyncio.run(
        _run(
            scratch,
            [
                sa.select(
                    keyed.c.id, keyed.c.position, keyed.c.parent_id, keyed.c.subtasks_total
                ).order_by(keyed.c.position)
            ],
        )
    )
    by_creation = [task_id for task_id, _ in sorted(made, key=lambda m: m[1])]
    assert [row[0] for row in rows] == by_creation
    keys = [row[1] for row in rows]
    assert len(set(keys)) == len(keys) == 4
    assert keys == sorted(keys, key=lambda k: k.encode())
    assert {(row[2], row[3]) for row in rows} == {(None, 0)}

    _downgrade(scratch, "0011")
    plain = sa.table("tasks", sa.column("id", UUIDType()))
    (left,) = asyncio.run(_run(scratch, [sa.select(plain.c.id)]))
    assert len(left) == 4
    migrate(scratch, "0012")
