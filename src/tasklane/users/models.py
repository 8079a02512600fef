"""Tables owned by the users domain."""

from sqlalchemy import JSON, Boolean, Column, String, Table
from sqlalchemy.dialects import mysql

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType

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
)
