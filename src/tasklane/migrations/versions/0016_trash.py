"""The trash: a deleted task keeps its row, with the time it was deleted, for 30 days.

Every statement of the lists, searches, counts and single reads reads the tasks whose
``deleted_at`` is null; the Trash lists the deleted tasks newest first and the worker purges
those deleted before the cut-off, both through ``ix_tasks_deleted (deleted_at, id)``: a partial
index of the trashed rows on SQLite and PostgreSQL (small, and no planner takes it for the
lists' ``deleted_at IS NULL``), a plain one on MariaDB/MySQL, which has no partial indexes. An
index led by the project, ``(project_id, deleted_at, id)``, was tried first: with it, MariaDB
entered every list's project index by the project alone instead of seeking to the cursor.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane.core.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("deleted_at", UTCDateTime(), nullable=True))
    trashed = sa.text("deleted_at IS NOT NULL")
    op.create_index(
        "ix_tasks_deleted",
        "tasks",
        ["deleted_at", "id"],
        sqlite_where=trashed,
        postgresql_where=trashed,
    )


def downgrade() -> None:
    # The tasks in the trash are gone for good: without the column they would come back.
    op.execute(sa.text("DELETE FROM tasks WHERE deleted_at IS NOT NULL"))
    op.drop_index("ix_tasks_deleted", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("deleted_at")
