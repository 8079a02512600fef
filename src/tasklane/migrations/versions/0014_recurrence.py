"""Recurring tasks: an RFC 5545 rule on a task and its place in its series.

``recurrence`` holds the rule (canonical, UNTIL normalised), ``recurrence_zone`` the IANA zone
it is evaluated in and ``recurrence_start`` the series' local start there (a wall time, or a
date for a date-only task), so that "every day at 9:00" stays at 9:00 across DST.
``series_id`` and ``occurrence`` place each task in its series: completing occurrence n makes
occurrence n + 1, and the unique key makes that happen once however often it is asked.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane.core.types import UUIDType

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("recurrence", sa.String(255), nullable=True))
        batch.add_column(sa.Column("recurrence_zone", sa.String(64), nullable=True))
        batch.add_column(sa.Column("recurrence_start", sa.String(19), nullable=True))
        batch.add_column(sa.Column("series_id", UUIDType(), nullable=True))
        batch.add_column(sa.Column("occurrence", sa.Integer(), nullable=True))
    # NULLs are distinct in a unique index on all three databases: tasks that do not repeat
    # (both null) never collide.
    op.create_index("uq_tasks_series_occurrence", "tasks", ["series_id", "occurrence"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_tasks_series_occurrence", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("occurrence")
        batch.drop_column("series_id")
        batch.drop_column("recurrence_start")
        batch.drop_column("recurrence_zone")
        batch.drop_column("recurrence")
