"""Email verification and change (users), known devices for login notices (auth), and the
one-click unsubscribe URL of non-essential mail.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane.core.types import UTCDateTime, UUIDType, fixed_binary

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_verified_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.add_column(sa.Column("unsubscribe_url", sa.String(500), nullable=True))
    op.create_table(
        "email_tokens",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("user_id", UUIDType(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("token_hash", fixed_binary(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_email_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_email_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_email_tokens_token_hash"),
    )
    op.create_index("ix_email_tokens_user_id", "email_tokens", ["user_id"])
    op.create_table(
        "known_devices",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("user_id", UUIDType(), nullable=False),
        sa.Column("device_hash", fixed_binary(32), nullable=False),
        sa.Column("fingerprint", fixed_binary(32), nullable=False),
        sa.Column("session_id", UUIDType(), nullable=True),
        sa.Column("end_token_hash", fixed_binary(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("notified_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_known_devices_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_known_devices"),
        sa.UniqueConstraint("user_id", "device_hash", name="uq_known_devices_user_id_device_hash"),
        sa.UniqueConstraint("end_token_hash", name="uq_known_devices_end_token_hash"),
    )
    op.create_index(
        "ix_known_devices_user_fingerprint", "known_devices", ["user_id", "fingerprint"]
    )


def downgrade() -> None:
    op.drop_table("known_devices")
    op.drop_table("email_tokens")
    with op.batch_alter_table("outgoing_mail") as batch:
        batch.drop_column("unsubscribe_url")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_verified_at")
