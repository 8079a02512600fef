"""The idempotency table: stored responses of POST requests made with an ``Idempotency-Key``."""

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, LargeBinary, String, Table

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType, fixed_binary

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("route", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", fixed_binary(32), nullable=False),
    Column("locked_at", UTCDateTime(), nullable=True),  # set while the first attempt runs
    Column("status_code", Integer(), nullable=True),
    Column("headers", JSON(), nullable=True),
    Column("body", LargeBinary(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)
