"""What the projects domain accepts and exposes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
)

from tasklane.core.validation import no_nul

Role = Literal["viewer", "editor", "owner"]
#: What each role may do, in order: a role may do everything the ones before it may.
ROLES: tuple[Role, ...] = ("viewer", "editor", "owner")
WRITERS: tuple[Role, ...] = ("editor", "owner")

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_nul),
]
Colour = Annotated[
    str,
    StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$", to_lower=True),
    Field(description="`#rrggbb`.", examples=["#3b82f6"]),
]
Position = Annotated[int, Field(ge=0, le=1_000_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectCreate(Strict):
    name: Name
    colour: Colour = "#808080"
    parent_id: uuid.UUID | None = Field(
        None, description="A project you own; nesting is at most three levels deep."
    )


class ProjectUpdate(Strict):
    """Only the fields sent change. ``position`` is your own order of your projects (any
    member may set it); the others need the owner role. ``archived`` archives or restores."""

    name: Name | None = None
    colour: Colour | None = None
    parent_id: uuid.UUID | None = Field(None, description="null: a top-level project.")
    position: Position | None = None
    archived: StrictBool | None = None


class ProjectOut(BaseModel):
    id: uuid.UUID
    name: str
    colour: str
    parent_id: uuid.UUID | None
    is_inbox: bool = Field(description="Your Inbox: it cannot be deleted, archived or shared.")
    role: Role = Field(description="Your role in the project.")
    position: int = Field(description="Its place in your list of projects.")
    archived_at: datetime | None
    open_tasks: int = Field(description="Tasks not done.")
    version: int
    created_at: datetime
    updated_at: datetime


class ProjectList(BaseModel):
    items: list[ProjectOut]


class MemberAdd(Strict):
    email: EmailStr = Field(max_length=320)
    role: Role = "editor"


class MemberUpdate(Strict):
    role: Role


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    joined_at: datetime


class InvitationOut(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    created_at: datetime


class Members(BaseModel):
    members: list[MemberOut]
    invitations: list[InvitationOut] = Field(
        description="Addresses invited that have no verified account yet (owners only)."
    )
