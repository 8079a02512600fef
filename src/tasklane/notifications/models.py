"""Tables owned by the notification service: reminders to fire and in-app notifications."""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType

reminders = Table(
    "reminders",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", UUIDType(), nullable=False),
    Column("offset_minutes", Integer(), nullable=False),  # before the task's due time
    Column("fire_at", UTCDateTime(), nullable=False),
    Column("fired_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # The scheduler's query: unfired reminders in time order.
    Index("ix_reminders_fired_fire", "fired_at", "fire_at"),
    Index("ix_reminders_task_id", "task_id"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", UUIDType(), primary_key=True),  # UUIDv7: newest first by id
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),  # reminder
    Column("task_id", UUIDType(), nullable=True),
    Column("title", String(200), nullable=False),
    Column("body", String(1000), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime(), nullable=True),
    Index("ix_notifications_user_id", "user_id", "id"),
    Index("ix_notifications_user_read", "user_id", "read_at"),
)

# Email to send, written in the transaction that decided to send it; the worker sends it and
# keeps the record (Message-ID, when) without the body, which may hold a secret link.
outgoing_mail = Table(
    "outgoing_mail",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("kind", String(32), nullable=False),  # password_reset, verify_email, reminder...
    Column("to_address", String(320), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("text_body", Text(), nullable=True),
    Column("html_body", Text(), nullable=True),
    Column("message_id", String(255), nullable=False),  # stable: a resend is recognisable
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer(), nullable=False),
    # The one-click unsubscribe URL (RFC 8058) of non-essential mail; null on security mail.
    Column("unsubscribe_url", String(500), nullable=True),
    Index("ix_outgoing_mail_sent_id", "sent_at", "id"),
)

# Secrets the notification service generates for itself, kept where every instance reads them:
# ``mail-links`` signs the one-click unsubscribe links (``notifications.links``).
link_secrets = Table(
    "link_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# When each account's daily digest goes next (accounts with the digest on): the UTC instant of
# its next local wall time, recomputed from the local date after each send, so it follows the
# account's time zone across daylight-saving changes.
digest_schedule = Table(
    "digest_schedule",
    metadata,
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("next_at", UTCDateTime(), nullable=False),
    Index("ix_digest_schedule_next_at", "next_at"),
)
