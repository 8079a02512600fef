"""The daily digest's schedule (the notification service).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane.core.types import UTCDateTime, UUIDType

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_schedule",
        sa.Column("user_id", UUIDType(), nullable=False),
        sa.Column("next_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_digest_schedule_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_digest_schedule"),
    )
    op.create_index("ix_digest_schedule_next_at", "digest_schedule", ["next_at"])


def downgrade() -> None:
    op.drop_table("digest_schedule")
