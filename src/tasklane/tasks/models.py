"""Tables owned by the tasks domain."""

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType

tasks = Table(
    "tasks",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text(), nullable=True),
    Column("status", String(16), nullable=False),
    # Rank, not name: 1 low, 2 medium, 3 high, 4 urgent, so sorting by it sorts by importance.
    Column("priority", SmallInteger(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=True),
    Column("completed_at", UTCDateTime(), nullable=True),
    # Read with the row (no join on the hot path); task_tags holds the same for filtering.
    Column("tags", JSON(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_tasks_user_created", "user_id", "created_at", "id"),
    Index("ix_tasks_user_status_created", "user_id", "status", "created_at", "id"),
    Index("ix_tasks_user_updated", "user_id", "updated_at", "id"),
    Index("ix_tasks_user_due", "user_id", "due_at"),
    Index("ix_tasks_user_completed", "user_id", "completed_at"),
)

task_tags = Table(
    "task_tags",
    metadata,
    Column("task_id", UUIDType(), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    # Compared exactly on every database (MariaDB: a binary collation, migration 0003).
    Column(
        "tag",
        String(32).with_variant(mysql.VARCHAR(32, collation="utf8mb4_bin"), "mysql", "mariadb"),
        primary_key=True,
    ),
    Column("user_id", UUIDType(), nullable=False),
    Index("ix_task_tags_user_tag", "user_id", "tag", "task_id"),
)
