"""MariaDB/MySQL: search walks the caller's own tasks; the global FULLTEXT index goes.

InnoDB's FULLTEXT index covers every user's tasks, so a search collected all users' matches
before keeping the caller's: its cost grew with the whole table (10 ms at 100,000 tasks,
100 ms at 1,000,000), and the index made every insert and title change dearer. The search now
reads the caller's rows through the (user_id, ...) indexes (see tasks.repository).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        op.drop_index("ix_tasks_search", table_name="tasks")


def downgrade() -> None:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        op.execute("CREATE FULLTEXT INDEX ix_tasks_search ON tasks (title, description)")
