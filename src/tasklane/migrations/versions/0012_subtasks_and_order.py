"""Subtasks and manual order.

A task may have a parent task of the same project (one level: a subtask has no subtasks of its
own), and the parent carries how many subtasks it has and how many are done, so the lists read
a parent's progress with its row. Every task has a manual-order key (fractional indexing: text
that sorts between any two others), compared byte by byte: ASCII with a binary collation on
MariaDB/MySQL, ``COLLATE "C"`` on PostgreSQL (SQLite compares bytes already). The key orders a
task among its siblings: the top-level tasks of its project, or the subtasks of its parent.
Existing tasks get keys in the order they were created, per project.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fractional_indexing import generate_n_keys_between  # type: ignore[import-untyped]
from sqlalchemy.dialects import mysql, postgresql

from tasklane.core.types import UTCDateTime, UUIDType

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
#: What the server writes in a row inserted without a key (by hand, or by older code): the
#: first key. Ties are ordered by id, and a move between two equal keys gives them new ones.
_FIRST_KEY = "a0"


def _position_type() -> sa.types.TypeEngine[str]:
    return (
        sa.String(255)
        .with_variant(
            mysql.VARCHAR(255, charset="ascii", collation="ascii_bin"), "mysql", "mariadb"
        )
        .with_variant(postgresql.VARCHAR(255, collation="C"), "postgresql")
    )


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("parent_id", UUIDType(), nullable=True))
        batch.add_column(
            sa.Column("position", _position_type(), nullable=False, server_default=_FIRST_KEY)
        )
        batch.add_column(
            sa.Column("subtasks_total", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("subtasks_done", sa.Integer(), nullable=False, server_default="0")
        )
    _keys_in_creation_order()
    with op.batch_alter_table("tasks") as batch:
        # The indexes before the foreign key: MariaDB would otherwise add one of its own.
        batch.create_index("ix_tasks_parent_position", ["parent_id", "position", "id"])
        batch.create_index("ix_tasks_project_position", ["project_id", "position", "id"])
        batch.create_foreign_key(
            "fk_tasks_parent_id_tasks", "tasks", ["parent_id"], ["id"], ondelete="CASCADE"
        )


def _keys_in_creation_order() -> None:
    bind = op.get_bind()
    tasks = sa.table(
        "tasks",
        sa.column("id", UUIDType()),
        sa.column("project_id", UUIDType()),
        sa.column("position", sa.String()),
        sa.column("created_at", UTCDateTime()),
    )
    rows = bind.execute(
        sa.select(tasks.c.id, tasks.c.project_id).order_by(
            tasks.c.project_id, tasks.c.created_at, tasks.c.id
        )
    ).all()
    per_project: dict[object, list[object]] = {}
    for task_id, project_id in rows:
        per_project.setdefault(project_id, []).append(task_id)
    updates: list[dict[str, object]] = []
    for ids in per_project.values():
        keys = generate_n_keys_between(None, None, len(ids))
        updates.extend({"task_id": i, "key": k} for i, k in zip(ids, keys, strict=True))
    statement = (
        sa.update(tasks)
        .where(tasks.c.id == sa.bindparam("task_id", type_=UUIDType()))
        .values(position=sa.bindparam("key"))
    )
    for start in range(0, len(updates), _BATCH):
        bind.execute(statement, updates[start : start + _BATCH])


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("fk_tasks_parent_id_tasks", type_="foreignkey")
        batch.drop_index("ix_tasks_project_position")
        batch.drop_index("ix_tasks_parent_position")
        batch.drop_column("subtasks_done")
        batch.drop_column("subtasks_total")
        batch.drop_column("position")
        batch.drop_column("parent_id")
