"""Tables owned by the tasks domain."""

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects import mysql, postgresql

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType

#: Manual-order keys compare byte by byte: ASCII with a binary collation on MariaDB/MySQL,
#: the "C" collation on PostgreSQL (SQLite compares bytes).
POSITION_TYPE = (
    String(255)
    .with_variant(mysql.VARCHAR(255, charset="ascii", collation="ascii_bin"), "mysql", "mariadb")
    .with_variant(postgresql.VARCHAR(255, collation="C"), "postgresql")
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    # Who created the task. Who may read or change it is the membership of its project.
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", UUIDType(), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    # A member of the project, or nobody.
    Column("assignee_id", UUIDType(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    # A subtask's parent, of the same project; a subtask has no subtasks (migration 0012).
    Column("parent_id", UUIDType(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=True),
    # Manual order among its siblings (the project's top-level tasks, or the parent's
    # subtasks): a fractional-indexing key, compared byte by byte on every database.
    Column("position", POSITION_TYPE, nullable=False, server_default="a0"),
    # A parent's progress, kept by each change of its subtasks: read with the row.
    Column("subtasks_total", Integer(), nullable=False, server_default="0"),
    Column("subtasks_done", Integer(), nullable=False, server_default="0"),
    Column("title", String(200), nullable=False),
    Column("description", Text(), nullable=True),
    Column("status", String(16), nullable=False),
    # Rank, not name: 1 low, 2 medium, 3 high, 4 urgent, so sorting by it sorts by importance.
    Column("priority", SmallInteger(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=True),
    # A date-only due date: a calendar date in the owner's zone. ``due_at`` then holds the last
    # microsecond of that date there (derived, migration 0015), which sorts and filters it.
    Column("due_date", Date(), nullable=True),
    Column("completed_at", UTCDateTime(), nullable=True),
    # Read with the row (no join on the hot path); task_tags holds the same for filtering.
    Column("tags", JSON(), nullable=False),
    # Minutes before the due time a reminder fires ([]: none); null: the owner's preference
    # (migration 0017). SQL NULL, not JSON null, so "not set" reads as None everywhere.
    Column("reminder_offsets", JSON(none_as_null=True), nullable=True),
    Column("version", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # A recurring task (migration 0014): its RFC 5545 rule, and the IANA zone and local start
    # (a wall time, or a date) it is evaluated from; its series and its number in it. Completing
    # occurrence n makes n + 1, once: the unique key below.
    Column("recurrence", String(255), nullable=True),
    Column("recurrence_zone", String(64), nullable=True),
    Column("recurrence_start", String(19), nullable=True),
    Column("series_id", UUIDType(), nullable=True),
    Column("occurrence", Integer(), nullable=True),
    # In the trash since then (migration 0016): every statement but the Trash's reads the
    # rows where it is null; the worker purges the rows deleted 30 days ago.
    Column("deleted_at", UTCDateTime(), nullable=True),
    # How many comments the task has (comments.service keeps it in each comment's
    # transaction): rows and cards show it without counting (migration 0013).
    Column("comment_count", Integer(), nullable=False, server_default="0"),
    # The lists read a project's rows in page order (migration 0007); the creator's index
    # serves the foreign key and the deletion of an account.
    Index("ix_tasks_user_created", "user_id", "created_at", "id"),
    Index("ix_tasks_project_created", "project_id", "created_at", "id"),
    Index("ix_tasks_project_status_created", "project_id", "status", "created_at", "id"),
    Index("ix_tasks_project_updated", "project_id", "updated_at", "id"),
    Index("ix_tasks_project_due", "project_id", "due_at"),
    Index("ix_tasks_project_completed", "project_id", "completed_at"),
    Index("ix_tasks_assignee_created", "assignee_id", "created_at", "id"),
    Index("uq_tasks_series_occurrence", "series_id", "occurrence", unique=True),
    Index("ix_tasks_project_position", "project_id", "position", "id"),
    Index("ix_tasks_parent_position", "parent_id", "position", "id"),
    # The Trash's order and the purge's range (migration 0016): only the trashed rows where
    # the database has partial indexes, so the lists' planners never pick it for theirs.
    Index(
        "ix_tasks_deleted",
        "deleted_at",
        "id",
        sqlite_where=text("deleted_at IS NOT NULL"),
        postgresql_where=text("deleted_at IS NOT NULL"),
    ),
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

# Who changed which field of a task, from what to what, when: written in the transaction of
# the change (values as text: ids, RFC 3339 instants, names; none for a description).
task_history = Table(
    "task_history",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("task_id", UUIDType(), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    # Who made the change (none: an account deleted since).
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("field", String(32), nullable=False),
    Column("old_value", Text(), nullable=True),
    Column("new_value", Text(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_task_history_task_created", "task_id", "created_at", "id"),
    Index("ix_task_history_user_id", "user_id"),
)
