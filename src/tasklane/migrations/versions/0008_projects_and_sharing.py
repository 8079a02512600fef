"""Projects and sharing: every task belongs to a project; who may read or change a task is the
membership of its project. Each existing user gets an Inbox (owned by them) and their tasks
move into it.

The list indexes are led by the project now (the lists read a project's rows in page order);
the creator's ``(user_id, created_at, id)`` index stays for its foreign key.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from tasklane.core.types import UTCDateTime, UUIDType, uuid7

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_INDEXES = {
    "ix_tasks_user_status_created": ["user_id", "status", "created_at", "id"],
    "ix_tasks_user_updated": ["user_id", "updated_at", "id"],
    "ix_tasks_user_due": ["user_id", "due_at"],
    "ix_tasks_user_completed": ["user_id", "completed_at"],
}
_NEW_INDEXES = {
    "ix_tasks_project_created": ["project_id", "created_at", "id"],
    "ix_tasks_project_status_created": ["project_id", "status", "created_at", "id"],
    "ix_tasks_project_updated": ["project_id", "updated_at", "id"],
    "ix_tasks_project_due": ["project_id", "due_at"],
    "ix_tasks_project_completed": ["project_id", "completed_at"],
    "ix_tasks_assignee_created": ["assignee_id", "created_at", "id"],
}
_BATCH = 1000


def _email_type() -> sa.types.TypeEngine[str]:
    return sa.String(320).with_variant(
        mysql.VARCHAR(320, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("colour", sa.String(7), nullable=False),
        sa.Column("parent_id", UUIDType(), nullable=True),
        sa.Column("inbox_of", UUIDType(), nullable=True),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["projects.id"],
            name="fk_projects_parent_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inbox_of"], ["users.id"], name="fk_projects_inbox_of_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("inbox_of", name="uq_projects_inbox_of"),
    )
    op.create_index("ix_projects_parent_id", "projects", ["parent_id"])
    op.create_table(
        "project_members",
        sa.Column("project_id", UUIDType(), nullable=False),
        sa.Column("user_id", UUIDType(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_project_members_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_project_members_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name="pk_project_members"),
    )
    op.create_index(
        "ix_project_members_user_project", "project_members", ["user_id", "project_id", "role"]
    )
    op.create_table(
        "project_invitations",
        sa.Column("id", UUIDType(), nullable=False),
        sa.Column("project_id", UUIDType(), nullable=False),
        sa.Column("email", _email_type(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("invited_by", UUIDType(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_project_invitations_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name="fk_project_invitations_invited_by_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_project_invitations"),
        sa.UniqueConstraint("project_id", "email", name="uq_project_invitations_project_email"),
    )
    op.create_index("ix_project_invitations_email", "project_invitations", ["email"])

    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("project_id", UUIDType(), nullable=True))
        batch.add_column(sa.Column("assignee_id", UUIDType(), nullable=True))

    _inboxes_for_everyone()

    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("project_id", existing_type=UUIDType(), nullable=False)
        # The indexes before the foreign keys: MariaDB would otherwise add one of its own.
        for name, columns in _NEW_INDEXES.items():
            batch.create_index(name, columns)
        batch.create_foreign_key(
            "fk_tasks_project_id_projects", "projects", ["project_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_tasks_assignee_id_users", "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
        for name in _OLD_INDEXES:
            batch.drop_index(name)


def _inboxes_for_everyone() -> None:
    """An Inbox for every user, owned by them, holding all of their tasks."""
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", UUIDType()))
    projects = sa.table(
        "projects",
        sa.column("id", UUIDType()),
        sa.column("name", sa.String()),
        sa.column("colour", sa.String()),
        sa.column("parent_id", UUIDType()),
        sa.column("inbox_of", UUIDType()),
        sa.column("archived_at", UTCDateTime()),
        sa.column("version", sa.Integer()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    members = sa.table(
        "project_members",
        sa.column("project_id", UUIDType()),
        sa.column("user_id", UUIDType()),
        sa.column("role", sa.String()),
        sa.column("position", sa.Integer()),
        sa.column("created_at", UTCDateTime()),
    )
    tasks = sa.table("tasks", sa.column("user_id", UUIDType()), sa.column("project_id", UUIDType()))
    now = datetime.now(UTC)
    user_ids: list[uuid.UUID] = list(bind.execute(sa.select(users.c.id)).scalars())
    for start in range(0, len(user_ids), _BATCH):
        chunk = user_ids[start : start + _BATCH]
        inboxes = [(uuid7(), user_id) for user_id in chunk]
        bind.execute(
            sa.insert(projects),
            [
                {
                    "id": project_id,
                    "name": "Inbox",
                    "colour": "#808080",
                    "parent_id": None,
                    "inbox_of": user_id,
                    "archived_at": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for project_id, user_id in inboxes
            ],
        )
        bind.execute(
            sa.insert(members),
            [
                {
                    "project_id": project_id,
                    "user_id": user_id,
                    "role": "owner",
                    "position": 0,
                    "created_at": now,
                }
                for project_id, user_id in inboxes
            ],
        )
    inbox = sa.select(projects.c.id).where(projects.c.inbox_of == tasks.c.user_id).scalar_subquery()
    bind.execute(sa.update(tasks).values(project_id=inbox))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        for name, columns in _OLD_INDEXES.items():
            batch.create_index(name, columns)
        batch.drop_constraint("fk_tasks_assignee_id_users", type_="foreignkey")
        batch.drop_constraint("fk_tasks_project_id_projects", type_="foreignkey")
        for name in _NEW_INDEXES:
            batch.drop_index(name)
        batch.drop_column("assignee_id")
        batch.drop_column("project_id")
    op.drop_table("project_invitations")
    op.drop_table("project_members")
    op.drop_table("projects")
