"""Tables owned by the auth domain: sessions and the refresh tokens that rotate within them."""

from sqlalchemy import Column, ForeignKey, Index, LargeBinary, String, Table, UniqueConstraint

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType, fixed_binary

# A session is one login on one device: the "family" every rotated refresh token belongs to.
sessions = Table(
    "sessions",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    Column("user_agent", String(255), nullable=True),
    Index("ix_sessions_user_id", "user_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("session_id", UUIDType(), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # SHA-256 of the token: the token itself is never stored.
    Column("token_hash", fixed_binary(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("rotated_at", UTCDateTime(), nullable=True),
    # The successor token, encrypted with a key derived from the signing key, kept so that a
    # second tab presenting this token within the grace window gets the same successor.
    Column("successor", LargeBinary(128), nullable=True),
    Index("ix_refresh_tokens_session_id", "session_id"),
)

# A password reset: its token's hash, usable once before it expires.
password_resets = Table(
    "password_resets",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", fixed_binary(32), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
    Index("ix_password_resets_user_id", "user_id"),
)

# A device (browser) an account has logged in from: known by its device cookie (only the
# cookie's hash is stored) or, without the cookie, by the hash of its user agent and network.
# A login from neither mails the owner a notice once, with a link that ends that session.
known_devices = Table(
    "known_devices",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("device_hash", fixed_binary(32), nullable=False),
    Column("fingerprint", fixed_binary(32), nullable=False),
    Column("session_id", UUIDType(), nullable=True),  # of its latest login
    Column("end_token_hash", fixed_binary(32), nullable=True, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("notified_at", UTCDateTime(), nullable=True),
    # One browser (one cookie) may be known to several accounts, once each.
    UniqueConstraint("user_id", "device_hash", name="uq_known_devices_user_id_device_hash"),
    Index("ix_known_devices_user_fingerprint", "user_id", "fingerprint"),
)
