"""What the comments domain accepts and exposes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from tasklane.core.validation import no_nul

BODY_MAX = 5000

Body = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=BODY_MAX),
    AfterValidator(no_nul),
    Field(description=f"Plain text (links are shown as links): 1 to {BODY_MAX} characters."),
]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


class CommentOut(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    author_id: uuid.UUID | None = Field(description="Null once the author's account is deleted.")
    author_name: str
    body: str
    created_at: datetime
    edited_at: datetime | None = Field(description="When the author last edited it.")


class CommentPage(BaseModel):
    items: list[CommentOut] = Field(description="Oldest first (newest last).")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
