"""Tables owned by the comments domain."""

from sqlalchemy import Column, ForeignKey, Index, Table, Text

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType

task_comments = Table(
    "task_comments",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("task_id", UUIDType(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    # The author; none once their account is deleted (the comment stays for the others).
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("body", Text(), nullable=False),  # plain text: never rendered as HTML
    Column("created_at", UTCDateTime(), nullable=False),
    Column("edited_at", UTCDateTime(), nullable=True),
    # A task's comments in page order (migration 0013).
    Index("ix_task_comments_task_created", "task_id", "created_at", "id"),
    Index("ix_task_comments_user_id", "user_id"),
)
