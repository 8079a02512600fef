"""All SQL of the projects domain.

:func:`member_projects` is the membership statement the tasks domain starts every statement
from (``tasks.repository.readable``): the projects whose tasks the bound caller may read, or
change, read from the ``(user_id, project_id, role)`` index alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from tasklane.core.sql import Connection, IntegrityError
from tasklane.core.types import AnyRow
from tasklane.projects.models import project_invitations, project_members, projects


def member_projects(member: BindParameter[Any], roles: Sequence[str] | None) -> Select[Any]:
    """The ids of the projects ``member`` belongs to (with one of ``roles``, if given)."""
    where = [project_members.c.user_id == member]
    if roles is not None:
        where.append(project_members.c.role.in_(list(roles)))
    return select(project_members.c.project_id).where(*where)


_COLUMNS = (
    projects.c.id,
    projects.c.name,
    projects.c.colour,
    projects.c.parent_id,
    projects.c.inbox_of,
    projects.c.archived_at,
    projects.c.version,
    projects.c.created_at,
    projects.c.updated_at,
    project_members.c.role,
    project_members.c.position,
)
_MEMBER_JOIN = projects.join(
    project_members,
    and_(
        project_members.c.project_id == projects.c.id,
        project_members.c.user_id == bindparam("user_id"),
    ),
)
_ONE = select(*_COLUMNS).select_from(_MEMBER_JOIN).where(projects.c.id == bindparam("project_id"))


async def membership(
    conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID, *, lock: bool = False
) -> AnyRow | None:
    """A project with the caller's role and position, if the caller is a member."""
    stmt = _ONE.with_for_update(of=projects) if lock else _ONE
    row: AnyRow | None = (
        await conn.execute(stmt, {"user_id": user_id, "project_id": project_id})
    ).first()
    return row


async def list_for(conn: Connection, user_id: uuid.UUID, archived: bool) -> list[AnyRow]:
    """The caller's projects, in their order."""
    stmt = (
        select(*_COLUMNS)
        .select_from(_MEMBER_JOIN)
        .where(
            projects.c.archived_at.is_not(None) if archived else projects.c.archived_at.is_(None)
        )
        .order_by(project_members.c.position, projects.c.created_at, projects.c.id)
    )
    return list((await conn.execute(stmt, {"user_id": user_id})).all())


async def inbox_of(conn: Connection, user_id: uuid.UUID) -> uuid.UUID | None:
    stmt = select(projects.c.id).where(projects.c.inbox_of == user_id)
    value: uuid.UUID | None = (await conn.execute(stmt)).scalar()
    return value


async def insert_project(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(projects).values(**values))


async def insert_inbox(conn: Connection, project: dict[str, Any], member: dict[str, Any]) -> bool:
    """False when the user has an Inbox already (made by a concurrent first use): the
    savepoint is rolled back and the transaction goes on."""
    try:
        async with conn.begin_nested():
            await conn.execute(insert(projects).values(**project))
            await conn.execute(insert(project_members).values(**member))
    except IntegrityError:
        return False
    return True


async def update_project(conn: Connection, project_id: uuid.UUID, values: dict[str, Any]) -> None:
    await conn.execute(update(projects).where(projects.c.id == project_id).values(**values))


async def delete_project(conn: Connection, project_id: uuid.UUID) -> None:
    await conn.execute(delete(projects).where(projects.c.id == project_id))


async def detach_children(conn: Connection, project_id: uuid.UUID) -> None:
    """Its sub-projects move to the top (before it is deleted: they may be others')."""
    await conn.execute(
        update(projects).where(projects.c.parent_id == project_id).values(parent_id=None)
    )


async def shared_memberships(conn: Connection, user_id: uuid.UUID) -> list[AnyRow]:
    """(project_id, role) of every project of ``user_id`` but their Inbox."""
    stmt = (
        select(project_members.c.project_id, project_members.c.role)
        .select_from(_MEMBER_JOIN)
        .where(projects.c.inbox_of.is_(None))
    )
    return list((await conn.execute(stmt, {"user_id": user_id})).all())


async def parent_of(conn: Connection, project_id: uuid.UUID) -> uuid.UUID | None:
    stmt = select(projects.c.parent_id).where(projects.c.id == project_id)
    value: uuid.UUID | None = (await conn.execute(stmt)).scalar()
    return value


async def children_of(conn: Connection, project_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    stmt = select(projects.c.id).where(projects.c.parent_id.in_(list(project_ids)))
    return list((await conn.execute(stmt)).scalars())


async def next_position(conn: Connection, user_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.max(project_members.c.position), -1) + 1).where(
        project_members.c.user_id == user_id
    )
    return int((await conn.execute(stmt)).scalar_one())


# --- members ------------------------------------------------------------------------------------

_PROJECTS_OF = member_projects(bindparam("user_id"), None)


async def projects_of(conn: Connection, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The projects ``user_id`` is a member of, from the membership index alone."""
    return list((await conn.execute(_PROJECTS_OF, {"user_id": user_id})).scalars())


async def joined_of(conn: Connection, user_id: uuid.UUID) -> list[AnyRow]:
    """(project_id, created_at) of each of ``user_id``'s memberships: when it joined each."""
    stmt = select(project_members.c.project_id, project_members.c.created_at).where(
        project_members.c.user_id == user_id
    )
    return list((await conn.execute(stmt)).all())


async def insert_member(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(project_members).values(**values))


async def role_of(conn: Connection, project_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    stmt = select(project_members.c.role).where(
        project_members.c.project_id == project_id, project_members.c.user_id == user_id
    )
    value: str | None = (await conn.execute(stmt)).scalar()
    return value


async def members(conn: Connection, project_id: uuid.UUID) -> list[AnyRow]:
    stmt = (
        select(
            project_members.c.user_id,
            project_members.c.role,
            project_members.c.created_at,
        )
        .where(project_members.c.project_id == project_id)
        .order_by(project_members.c.created_at, project_members.c.user_id)
    )
    return list((await conn.execute(stmt)).all())


async def owners_for_update(conn: Connection, project_id: uuid.UUID) -> list[uuid.UUID]:
    """The owners, their rows locked: two owners leaving at once cannot both be the last."""
    stmt = (
        select(project_members.c.user_id)
        .where(project_members.c.project_id == project_id, project_members.c.role == "owner")
        .with_for_update()
    )
    return list((await conn.execute(stmt)).scalars())


async def set_role(conn: Connection, project_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    await conn.execute(
        update(project_members)
        .where(project_members.c.project_id == project_id, project_members.c.user_id == user_id)
        .values(role=role)
    )


async def set_position(
    conn: Connection, project_id: uuid.UUID, user_id: uuid.UUID, position: int
) -> None:
    await conn.execute(
        update(project_members)
        .where(project_members.c.project_id == project_id, project_members.c.user_id == user_id)
        .values(position=position)
    )


async def delete_member(conn: Connection, project_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    stmt = delete(project_members).where(
        project_members.c.project_id == project_id, project_members.c.user_id == user_id
    )
    return (await conn.execute(stmt)).rowcount > 0


# --- invitations --------------------------------------------------------------------------------


async def invitations(conn: Connection, project_id: uuid.UUID) -> list[AnyRow]:
    stmt = (
        select(
            project_invitations.c.id,
            project_invitations.c.email,
            project_invitations.c.role,
            project_invitations.c.created_at,
        )
        .where(project_invitations.c.project_id == project_id)
        .order_by(project_invitations.c.created_at, project_invitations.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def invitation(conn: Connection, project_id: uuid.UUID, email: str) -> AnyRow | None:
    stmt = select(project_invitations.c.id, project_invitations.c.role).where(
        project_invitations.c.project_id == project_id, project_invitations.c.email == email
    )
    row: AnyRow | None = (await conn.execute(stmt)).first()
    return row


async def insert_invitation(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(insert(project_invitations).values(**values))


async def set_invitation_role(conn: Connection, invitation_id: uuid.UUID, role: str) -> None:
    await conn.execute(
        update(project_invitations)
        .where(project_invitations.c.id == invitation_id)
        .values(role=role)
    )


async def delete_invitation(
    conn: Connection, project_id: uuid.UUID, invitation_id: uuid.UUID
) -> bool:
    stmt = delete(project_invitations).where(
        project_invitations.c.project_id == project_id,
        project_invitations.c.id == invitation_id,
    )
    return (await conn.execute(stmt)).rowcount > 0


async def invitations_for_update(conn: Connection, email: str) -> list[AnyRow]:
    stmt = (
        select(
            project_invitations.c.id, project_invitations.c.project_id, project_invitations.c.role
        )
        .where(project_invitations.c.email == email)
        .with_for_update()
    )
    return list((await conn.execute(stmt)).all())


async def delete_invitations(conn: Connection, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await conn.execute(delete(project_invitations).where(project_invitations.c.id.in_(ids)))
