"""Comments on tasks and the history of a task's changes.

``task_comments``: plain text by a member, newest last (read through ``(task_id, created_at,
id)``). ``tasks.comment_count``: how many a task has, kept in the comment's own transaction,
so lists and cards show it without counting. ``task_history``: who changed which field of a
task, from what to what, and when, written in the transaction of the change.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane.core.types import UTCDateTime, UUIDType

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("comment_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "task_comments",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("task_id", UUIDType(), nullable=False),
        sa.Column("user_id", UUIDType(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_task_comments_task_id_tasks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_task_comments_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_task_comments"),
    )
    op.create_index(
        "ix_task_comments_task_created", "task_comments", ["task_id", "created_at", "id"]
    )
    op.create_index("ix_task_comments_user_id", "task_comments", ["user_id"])
    op.create_table(
        "task_history",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("task_id", UUIDType(), nullable=False),
        sa.Column("user_id", UUIDType(), nullable=True),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name="fk_task_history_task_id_tasks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_task_history_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_task_history"),
    )
    op.create_index("ix_task_history_task_created", "task_history", ["task_id", "created_at", "id"])
    op.create_index("ix_task_history_user_id", "task_history", ["user_id"])


def downgrade() -> None:
    # The tables take their indexes along (MariaDB refuses to drop one a foreign key uses).
    op.drop_table("task_history")
    op.drop_table("task_comments")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("comment_count")
