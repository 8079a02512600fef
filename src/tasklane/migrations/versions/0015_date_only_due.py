"""Date-only due dates: a local calendar date in the owner's zone beside the timed due_at.

``tasks.due_date`` holds the date of a task due on a day rather than at a time. Such a task
keeps ``due_at`` too, derived: the last microsecond of that date in its owner's time zone
(``tasks.service.date_only_due_at``). So the lists sort and filter by due through the one
existing ``(project_id, due_at)`` index, and overdue, due today, Today, Upcoming and the
digest all read the same instant; the API shows ``due_at`` as null for them. Existing tasks
all have a time (or no due date): nothing to fill in.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("due_date", sa.Date(), nullable=True))


def downgrade() -> None:
    # A date-only task keeps its derived due_at (the end of its day in its owner's zone).
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("due_date")
