"""Tables owned by the projects domain.

A project holds tasks; who may read or change them is its membership (``project_members``).
Each user has one Inbox (``inbox_of``), made with the account, which cannot be deleted.
"""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint
from sqlalchemy.dialects import mysql

from tasklane.core.metadata import metadata
from tasklane.core.types import UTCDateTime, UUIDType

projects = Table(
    "projects",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("colour", String(7), nullable=False),
    # Nesting, bounded by ``service.MAX_DEPTH``; a project with sub-projects is not deleted.
    Column("parent_id", UUIDType(), ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    # The user whose Inbox this is (at most one each); NULL for every other project.
    Column("inbox_of", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("archived_at", UTCDateTime(), nullable=True),
    Column("version", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("inbox_of", name="uq_projects_inbox_of"),
    Index("ix_projects_parent_id", "parent_id"),
)

project_members = Table(
    "project_members",
    metadata,
    Column(
        "project_id",
        UUIDType(),
        ForeignKey("projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", UUIDType(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(8), nullable=False),  # viewer | editor | owner
    # The project's place in this member's own list (each member orders their sidebar).
    Column("position", Integer(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The tasks a caller may read: ``project_id`` of their rows, read from this index alone.
    Index("ix_project_members_user_project", "user_id", "project_id", "role"),
)

project_invitations = Table(
    "project_invitations",
    metadata,
    Column("id", UUIDType(), primary_key=True),
    Column(
        "project_id",
        UUIDType(),
        ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Normalised like users.email and compared exactly (MariaDB: a binary collation).
    Column(
        "email",
        String(320).with_variant(mysql.VARCHAR(320, collation="utf8mb4_bin"), "mysql", "mariadb"),
        nullable=False,
    ),
    Column("role", String(8), nullable=False),
    Column("invited_by", UUIDType(), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("project_id", "email", name="uq_project_invitations_project_email"),
    Index("ix_project_invitations_email", "email"),
)
