"""MariaDB/MySQL: hashes are BINARY(32) with a real index; email addresses compare exactly.

``refresh_tokens.token_hash`` (and ``idempotency_keys.request_hash``) were BLOBs. MariaDB can
only enforce a unique BLOB through a hidden hash column the optimiser never uses for lookups,
so refreshing or ending a session scanned the whole table, and under ``FOR UPDATE`` locked
every row: concurrent logins deadlocked against refreshes. ``BINARY(32)`` takes a normal
B-tree unique index.

``users.email`` took the table's accent- and width-insensitive collation, so an account was
found by ``âlice@example.com`` or a full-width variant of its address, which the per-account
login limit counted as other accounts. Addresses are stored normalised; a binary collation
makes the lookup exact, as on SQLite and PostgreSQL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _mysql() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _token_hash(type_: sa.types.TypeEngine[bytes]) -> None:
    op.drop_constraint("uq_refresh_tokens_token_hash", "refresh_tokens", type_="unique")
    op.alter_column("refresh_tokens", "token_hash", type_=type_, existing_nullable=False)
    op.create_unique_constraint("uq_refresh_tokens_token_hash", "refresh_tokens", ["token_hash"])


def _email_collation(collation: str) -> None:
    op.alter_column(
        "users",
        "email",
        type_=mysql.VARCHAR(320, charset="utf8mb4", collation=collation),
        existing_nullable=False,
    )


def upgrade() -> None:
    if not _mysql():
        return
    _token_hash(mysql.BINARY(32))
    op.alter_column(
        "idempotency_keys", "request_hash", type_=mysql.BINARY(32), existing_nullable=False
    )
    _email_collation("utf8mb4_bin")


def downgrade() -> None:
    if not _mysql():
        return
    _email_collation("utf8mb4_unicode_ci")
    op.alter_column("idempotency_keys", "request_hash", type_=sa.LargeBinary(32))
    _token_hash(sa.LargeBinary(32))
