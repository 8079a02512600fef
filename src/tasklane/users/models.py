"""Tables owned by the users domain."""

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, String, Table
from sqlalchemy.dialects import mysql

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType, fixed_binary

users = Table(
    "users",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    # Stored normalised (``users.service.normalize_email``) and compared exactly on every
    # database: MariaDB gets a binary collation (migration 0004), since its default one would
    # find an account by an accented or full-width variant of its address.
    Column(
        "email",
        String(320).with_variant(mysql.VARCHAR(320, collation="utf8mb4_bin"), "mysql", "mariadb"),
        nullable=False,
        unique=True,
    ),
    Column("name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False, server_default="user"),
    Column("is_active", Boolean(), nullable=False, server_default="1"),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("preferences", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # When the owner proved the address theirs (a link mailed to it); null: not yet.
    Column("email_verified_at", UTCDateTime(), nullable=True),
)

# A link mailed to an address: ``verify`` proves the account's address, ``change`` moves the
# account to ``email`` (the new address it was sent to). Only the token's hash is stored; it
# works once, before it expires.
email_tokens = Table(
    "email_tokens",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("email", String(320), nullable=False),
    Column("token_hash", fixed_binary(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Index("ix_email_tokens_user_id", "user_id"),
)
