"""The outbox: domain events written in the same transaction as the change they describe."""

from sqlalchemy import JSON, Column, Index, String, Table

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", UUIDType(), primary_key=True),  # UUIDv7: the order events happened in
    Column("kind", String(64), nullable=False),  # task.created, task.completed...
    Column("user_id", UUIDType(), nullable=True),  # whose change (none: e.g. a reset request)
    Column("subject_id", UUIDType(), nullable=True),  # the task (or other thing) it is about
    # The project whose members see it on their streams (a task's change); none: only user_id.
    Column("project_id", UUIDType(), nullable=True),
    Column("payload", JSON(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime(), nullable=True),  # handed to the bus
    Index("ix_outbox_events_published_id", "published_at", "id"),
    Index("ix_outbox_events_user_id", "user_id", "id"),  # a stream's catch-up after a reconnect
    Index("ix_outbox_events_project_id", "project_id", "id"),  # ... of a project's members
)

# What each consumer has handled: written in the transaction of its effect, so a redelivered
# event has no second effect.
handled_events = Table(
    "handled_events",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("event_id", UUIDType(), primary_key=True),
    Column("handled_at", UTCDateTime(), nullable=False),
)
