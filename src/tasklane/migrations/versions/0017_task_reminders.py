"""Per-task reminder offsets: a task may carry its own offsets before its due time.

``tasks.reminder_offsets`` is a JSON list of minutes before the due time (``[]``: no
reminders); null, as every existing task has, means the owner's preference (else the
service's default).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("reminder_offsets", sa.JSON(), nullable=True))


def downgrade() -> None:
    # The tasks go back to the owner's offsets; reminders already planned stay as they are.
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("reminder_offsets")
