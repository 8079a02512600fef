"""The project an outbox event belongs to: a task's change reaches every member's stream.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane.core.types import UUIDType

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_events") as batch:
        batch.add_column(sa.Column("project_id", UUIDType(), nullable=True))
    op.create_index("ix_outbox_events_project_id", "outbox_events", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_events_project_id", table_name="outbox_events")
    with op.batch_alter_table("outbox_events") as batch:
        batch.drop_column("project_id")
