"""Rules of the projects domain: projects, their members and the invitations that wait.

Who may do what, by role: a viewer reads; an editor also creates, edits, completes and deletes
tasks; an owner also renames, nests, archives, deletes the project and manages its members.
A project keeps at least one owner. Someone who is not a member gets a 404 for the project
and everything in it; a member whose role is too low gets a 403 (they can see the project, so
hiding it would hide nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tasklane.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationProblem
from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.events import service as events
from tasklane.projects import repository as repo
from tasklane.projects.repository import member_projects
from tasklane.projects.schemas import (
    ROLES,
    InvitationOut,
    MemberAdd,
    MemberOut,
    Members,
    ProjectCreate,
    ProjectUpdate,
    Role,
)
from tasklane.users import service as users

__all__ = ["member_projects"]  # the membership statement tasks.repository starts from

NOT_FOUND = "No such project."
MAX_DEPTH = 3  # a project, its sub-projects and theirs
INBOX_NAME = "Inbox"
DEFAULT_COLOUR = "#808080"


def _at_least(role: str, needed: Role) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def _forbidden(needed: Role) -> Forbidden:
    return Forbidden(f"Your role in this project does not allow this (it needs {needed}).")


def _uuid(value: Any) -> uuid.UUID:
    """A plain UUID (PostgreSQL's driver gives its own type, which JSON encoders refuse)."""
    return uuid.UUID(str(value))


def document(row: AnyRow) -> dict[str, Any]:
    """A project as ``schemas.ProjectOut`` holds it, but for ``open_tasks`` (the handler's)."""
    return {
        "id": _uuid(row.id),
        "name": row.name,
        "colour": row.colour,
        "parent_id": None if row.parent_id is None else _uuid(row.parent_id),
        "is_inbox": row.inbox_of is not None,
        "role": row.role,
        "position": row.position,
        "archived_at": row.archived_at,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


async def require(
    conn: Connection,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    needed: Role = "viewer",
    *,
    lock: bool = False,
) -> AnyRow:
    """The project with the caller's role: a 404 unless a member, a 403 below ``needed``."""
    row = await repo.membership(conn, user_id, project_id, lock=lock)
    if row is None:
        raise NotFound(NOT_FOUND)
    if not _at_least(row.role, needed):
        raise _forbidden(needed)
    return row


# --- the Inbox ----------------------------------------------------------------------------------


async def create_inbox(conn: Connection, user_id: uuid.UUID) -> uuid.UUID:
    """The account's Inbox, owned by it: made with the account, or at its first use."""
    now = utcnow()
    project_id = uuid7()
    made = await repo.insert_inbox(
        conn,
        {
            "id": project_id,
            "name": INBOX_NAME,
            "colour": DEFAULT_COLOUR,
            "parent_id": None,
            "inbox_of": user_id,
            "archived_at": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
        {
            "project_id": project_id,
            "user_id": user_id,
            "role": "owner",
            "position": 0,
            "created_at": now,
        },
    )
    if made:
        return project_id
    found = await repo.inbox_of(conn, user_id)
    assert found is not None  # the concurrent insert committed
    return found


async def has_inbox(conn: Connection, user_id: uuid.UUID) -> bool:
    return await repo.inbox_of(conn, user_id) is not None


async def inbox_id(conn: Connection, user_id: uuid.UUID) -> uuid.UUID:
    """The caller's Inbox (made now for an account that has none, as a bulk-loaded one)."""
    found = await repo.inbox_of(conn, user_id)
    return found if found is not None else await create_inbox(conn, user_id)


# --- projects -----------------------------------------------------------------------------------


async def _depth(conn: Connection, project_id: uuid.UUID) -> int:
    """How deep a project is: 1 at the top."""
    depth = 1
    parent = await repo.parent_of(conn, project_id)
    while parent is not None and depth <= MAX_DEPTH:
        depth += 1
        parent = await repo.parent_of(conn, parent)
    return depth


async def _subtree(conn: Connection, project_id: uuid.UUID) -> tuple[set[uuid.UUID], int]:
    """A project's sub-projects at every level, and the height of its subtree (1: none)."""
    found: set[uuid.UUID] = set()
    level = [project_id]
    height = 0
    while level and height <= MAX_DEPTH:
        height += 1
        level = [child for child in await repo.children_of(conn, level) if child not in found]
        found.update(level)
    return found, height


async def _check_parent(
    conn: Connection, user_id: uuid.UUID, parent_id: uuid.UUID, height: int
) -> None:
    """A parent must be a project the caller owns, not an Inbox, with room below it."""
    try:
        parent = await require(conn, user_id, parent_id, "owner")
    except (NotFound, Forbidden):
        raise ValidationProblem.single("parent_id", "Choose a project you own.") from None
    if parent.inbox_of is not None:
        raise ValidationProblem.single("parent_id", "The Inbox cannot hold projects.")
    if await _depth(conn, parent_id) + height > MAX_DEPTH:
        raise ValidationProblem.single(
            "parent_id", f"Projects nest at most {MAX_DEPTH} levels deep."
        )


async def list_projects(
    conn: Connection, user_id: uuid.UUID, archived: bool
) -> list[dict[str, Any]]:
    return [document(row) for row in await repo.list_for(conn, user_id, archived)]


async def get(conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID) -> dict[str, Any]:
    return document(await require(conn, user_id, project_id))


async def create(conn: Connection, user_id: uuid.UUID, body: ProjectCreate) -> dict[str, Any]:
    await inbox_id(conn, user_id)  # the Inbox comes first in a new account's list
    if body.parent_id is not None:
        await _check_parent(conn, user_id, body.parent_id, 1)
    now = utcnow()
    project_id = uuid7()
    await repo.insert_project(
        conn,
        {
            "id": project_id,
            "name": body.name,
            "colour": body.colour,
            "parent_id": body.parent_id,
            "inbox_of": None,
            "archived_at": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
    )
    await repo.insert_member(
        conn,
        {
            "project_id": project_id,
            "user_id": user_id,
            "role": "owner",
            "position": await repo.next_position(conn, user_id),
            "created_at": now,
        },
    )
    project = await get(conn, user_id, project_id)
    await _announce(conn, "project.created", user_id, project_id, {"project": project})
    return project


async def update(
    conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID, body: ProjectUpdate
) -> dict[str, Any]:
    row = await require(conn, user_id, project_id, lock=True)
    sent = body.model_fields_set
    for name in ("name", "colour", "archived", "position"):
        if name in sent and getattr(body, name) is None:
            raise ValidationProblem.single(name, "This field cannot be null.")
    if "position" in sent and body.position is not None and body.position != row.position:
        await repo.set_position(conn, project_id, user_id, body.position)
    values: dict[str, Any] = {}
    if body.name is not None and body.name != row.name:
        values["name"] = body.name
    if body.colour is not None and body.colour != row.colour:
        values["colour"] = body.colour
    if "parent_id" in sent and body.parent_id != row.parent_id:
        if row.inbox_of is not None:
            raise ValidationProblem.single("parent_id", "The Inbox stays at the top.")
        if body.parent_id is not None:
            below, height = await _subtree(conn, project_id)
            if body.parent_id == project_id or body.parent_id in below:
                raise ValidationProblem.single(
                    "parent_id", "A project cannot be inside itself or its sub-projects."
                )
            await _check_parent(conn, user_id, body.parent_id, height)
        values["parent_id"] = body.parent_id
    kind = "project.updated"
    if body.archived is not None and body.archived != (row.archived_at is not None):
        if row.inbox_of is not None:
            raise Conflict("The Inbox cannot be archived.")
        values["archived_at"] = utcnow() if body.archived else None
        kind = "project.archived" if body.archived else "project.restored"
    if values and not _at_least(row.role, "owner"):
        raise _forbidden("owner")
    if values:
        values["version"] = row.version + 1
        values["updated_at"] = utcnow()
        await repo.update_project(conn, project_id, values)
    project = await get(conn, user_id, project_id)
    if values:
        await _announce(conn, kind, user_id, project_id, {"project": project})
    return project


async def delete(conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID) -> None:
    """Delete a project and its tasks (the owners'). Not the Inbox, not one with sub-projects."""
    row = await require(conn, user_id, project_id, "owner", lock=True)
    if row.inbox_of is not None:
        raise Conflict("The Inbox cannot be deleted.")
    if await repo.children_of(conn, [project_id]):
        raise Conflict("Move or delete its sub-projects first.")
    farewell = {"id": str(project_id), "member_ids": _ids(await member_ids(conn, project_id))}
    await repo.delete_project(conn, project_id)
    await _announce(conn, "project.deleted", user_id, project_id, farewell)


def _ids(values: Sequence[uuid.UUID]) -> list[str]:
    return [str(_uuid(value)) for value in values]


async def _announce(
    conn: Connection,
    kind: str,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    payload: dict[str, Any],
    *,
    members: bool = True,
) -> None:
    """The change's domain event, in the change's own transaction (the outbox): on the
    streams of every member of the project when it is read (a removed member, and the
    members of a deleted project, are named in the payload: ``events.service.farewell_to``);
    with ``members`` false, on the actor's only."""
    await events.record(
        conn, kind, user_id, project_id, payload, project_id=project_id if members else None
    )


# --- members ------------------------------------------------------------------------------------


async def member_ids(conn: Connection, project_id: uuid.UUID) -> list[uuid.UUID]:
    return [row.user_id for row in await repo.members(conn, project_id)]


async def member_of(conn: Connection, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The projects whose tasks ``user_id`` may read."""
    return await repo.projects_of(conn, user_id)


async def joined_members(conn: Connection, project_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
    """Each member of the project now, and when it joined it."""
    return {_uuid(row.user_id): row.created_at for row in await repo.members(conn, project_id)}


async def memberships(conn: Connection, user_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
    """Each project ``user_id`` is a member of now, and when it joined it."""
    return {_uuid(row.project_id): row.created_at for row in await repo.joined_of(conn, user_id)}


async def is_member(conn: Connection, project_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return await repo.role_of(conn, project_id, user_id) is not None


async def _member_out(conn: Connection, row: AnyRow) -> MemberOut:
    try:
        profile = await users.get_profile(conn, row.user_id)
        email, name = profile.email, profile.name
    except Unauthorized:  # a deactivated account keeps its role until removed
        email, name = "", "Deactivated account"
    return MemberOut(
        user_id=row.user_id, email=email, name=name, role=row.role, joined_at=row.created_at
    )


def _invitation_out(row: AnyRow, email: str | None = None) -> InvitationOut:
    return InvitationOut(
        id=row.id, email=email or row.email, role=row.role, created_at=row.created_at
    )


async def members(conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID) -> Members:
    row = await require(conn, user_id, project_id)
    people = [await _member_out(conn, member) for member in await repo.members(conn, project_id)]
    waiting = (
        [_invitation_out(i) for i in await repo.invitations(conn, project_id)]
        if row.role == "owner"
        else []
    )
    return Members(members=people, invitations=waiting)


async def add_member(
    conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID, body: MemberAdd
) -> MemberOut | InvitationOut:
    """Share with an address. An account whose address is verified becomes a member at once;
    any other address gets an invitation that binds when an account proves it owns it."""
    project = await require(conn, user_id, project_id, "owner", lock=True)
    if project.inbox_of is not None:
        raise Conflict("The Inbox is yours alone; share another project.")
    email = users.normalize_email(body.email)
    account = await users.credentials(conn, email)
    if account is not None and account.is_active:
        profile = await users.get_profile(conn, account.id)
        if profile.email_verified_at is not None:
            if await repo.role_of(conn, project_id, account.id) is not None:
                raise Conflict("This person is a member already; change their role instead.")
            now = utcnow()
            await repo.insert_member(
                conn,
                {
                    "project_id": project_id,
                    "user_id": account.id,
                    "role": body.role,
                    "position": await repo.next_position(conn, account.id),
                    "created_at": now,
                },
            )
            payload = {"project_id": str(project_id), "member_id": str(account.id)}
            await _announce(
                conn, "project.member_added", user_id, project_id, {**payload, "role": body.role}
            )
            return MemberOut(
                user_id=account.id,
                email=profile.email,
                name=profile.name,
                role=body.role,
                joined_at=now,
            )
    existing = await repo.invitation(conn, project_id, email)
    if existing is not None:
        await repo.set_invitation_role(conn, existing.id, body.role)
        invitation_id = existing.id
    else:
        invitation_id = uuid7()
        await repo.insert_invitation(
            conn,
            {
                "id": invitation_id,
                "project_id": project_id,
                "email": email,
                "role": body.role,
                "invited_by": user_id,
                "created_at": utcnow(),
            },
        )
    await _announce(
        conn,
        "project.invited",
        user_id,
        project_id,
        {"project_id": str(project_id), "email": email, "role": body.role},
        members=False,  # who is invited is the owners' to see (``members``), not every member's
    )
    rows = [i for i in await repo.invitations(conn, project_id) if i.id == invitation_id]
    return _invitation_out(rows[0])


async def _keep_an_owner(conn: Connection, project_id: uuid.UUID, member_id: uuid.UUID) -> None:
    """A 409 if ``member_id`` is the project's only owner (the owners' rows locked)."""
    owners = await repo.owners_for_update(conn, project_id)
    if owners == [member_id]:
        raise Conflict("A project needs an owner: make someone else an owner first.")


async def change_role(
    conn: Connection,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    member_id: uuid.UUID,
    role: Role,
) -> MemberOut:
    await require(conn, user_id, project_id, "owner", lock=True)
    current = await repo.role_of(conn, project_id, member_id)
    if current is None:
        raise NotFound("No such member.")
    if current == "owner" and role != "owner":
        await _keep_an_owner(conn, project_id, member_id)
    if current != role:
        await repo.set_role(conn, project_id, member_id, role)
        await _announce(
            conn,
            "project.member_updated",
            user_id,
            project_id,
            {"project_id": str(project_id), "member_id": str(member_id), "role": role},
        )
    rows = [r for r in await repo.members(conn, project_id) if r.user_id == member_id]
    return await _member_out(conn, rows[0])


async def remove_member(
    conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """An owner removes anyone; any member may leave. The last owner cannot go."""
    await require(
        conn, user_id, project_id, "viewer" if member_id == user_id else "owner", lock=True
    )
    current = await repo.role_of(conn, project_id, member_id)
    if current is None:
        raise NotFound("No such member.")
    if current == "owner":
        await _keep_an_owner(conn, project_id, member_id)
    await repo.delete_member(conn, project_id, member_id)
    await _announce(
        conn,
        "project.member_removed",
        user_id,
        project_id,
        {"project_id": str(project_id), "member_id": str(member_id)},
    )


async def cancel_invitation(
    conn: Connection, user_id: uuid.UUID, project_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    await require(conn, user_id, project_id, "owner")
    if not await repo.delete_invitation(conn, project_id, invitation_id):
        raise NotFound("No such invitation.")


async def hand_over(conn: Connection, user_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Before an account is deleted: each project it shares with others passes on (the oldest
    other member becomes an owner if it was the only one), and each project nobody else is in
    is deleted with its tasks. Returns ``(project, heir)`` for the shared ones: the tasks the
    account made there pass to ``heir`` (the tasks domain's ``hand_over``), so deleting the
    account erases nothing others can see."""
    handed: list[tuple[uuid.UUID, uuid.UUID]] = []
    for membership in await repo.shared_memberships(conn, user_id):
        project_id = membership.project_id
        others = [m for m in await repo.members(conn, project_id) if m.user_id != user_id]
        if not others:
            await repo.detach_children(conn, project_id)
            await repo.delete_project(conn, project_id)
            farewell = {"id": str(project_id), "member_ids": [str(user_id)]}
            await _announce(conn, "project.deleted", user_id, project_id, farewell)
            continue
        owners = [m.user_id for m in others if m.role == "owner"]
        if not owners:
            heir = others[0].user_id  # the longest-standing member
            await repo.set_role(conn, project_id, heir, "owner")
            await _announce(
                conn,
                "project.member_updated",
                user_id,
                project_id,
                {"project_id": str(project_id), "member_id": str(heir), "role": "owner"},
            )
            owners = [heir]
        handed.append((project_id, owners[0]))
    return handed


async def bind_invitations(conn: Connection, user_id: uuid.UUID, email: str) -> list[uuid.UUID]:
    """Make ``user_id`` a member of every project that invited ``email``. Call it once the
    account has proved it owns the address (never before: anyone can register any address).
    Returns the projects joined."""
    email = users.normalize_email(email)
    waiting = await repo.invitations_for_update(conn, email)
    joined: list[uuid.UUID] = []
    now = utcnow()
    for invitation in waiting:
        if await repo.role_of(conn, invitation.project_id, user_id) is None:
            await repo.insert_member(
                conn,
                {
                    "project_id": invitation.project_id,
                    "user_id": user_id,
                    "role": invitation.role,
                    "position": await repo.next_position(conn, user_id),
                    "created_at": now,
                },
            )
            joined.append(invitation.project_id)
            await _announce(
                conn,
                "project.member_added",
                user_id,
                invitation.project_id,
                {
                    "project_id": str(invitation.project_id),
                    "member_id": str(user_id),
                    "role": invitation.role,
                },
            )
    await repo.delete_invitations(conn, [invitation.id for invitation in waiting])
    return joined


def project_ids(rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    return [row["id"] for row in rows]
