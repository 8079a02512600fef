"""What the tasks domain accepts and exposes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from tasklane.core.validation import MAX_YEAR, MIN_YEAR, Instant, ReminderOffsets, no_nul
from tasklane.tasks import recurrence
from tasklane.users.schemas import TimeZoneName

Status = Literal["todo", "in_progress", "done"]
Priority = Literal["low", "medium", "high", "urgent"]
STATUSES: tuple[Status, ...] = ("todo", "in_progress", "done")
PRIORITIES: tuple[Priority, ...] = ("low", "medium", "high", "urgent")
PRIORITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(PRIORITIES, start=1)}
PRIORITY_NAME: dict[int, Priority] = dict(enumerate(PRIORITIES, start=1))

SortField = Literal["created_at", "updated_at", "due_at", "priority", "title", "position"]
Sort = Literal[
    "created_at",
    "-created_at",
    "updated_at",
    "-updated_at",
    "due_at",
    "-due_at",
    "priority",
    "-priority",
    "title",
    "-title",
    "position",
]


class TaskQuery(BaseModel):
    """The query string of the list: validated in one pass, as one model (one Pydantic call
    per request rather than one per parameter)."""

    project_id: uuid.UUID | None = Field(
        None, description="Only this project's tasks (none: every project you are a member of)."
    )
    assignee: Literal["me"] | None = Field(
        None, description="`me`: only the tasks assigned to you."
    )
    status: list[Status] = Field(default=[], max_length=3)
    priority: list[Priority] = Field(default=[], max_length=4)
    tag: list[str] = Field(default=[], max_length=20)
    due_before: Instant | None = Field(
        None,
        description=(
            "Due strictly before this instant (a date-only task at the end of its day in its "
            "owner's time zone)."
        ),
    )
    due_after: Instant | None = Field(None, description="Due at or after this instant.")
    overdue: bool | None = Field(None, description="Only open tasks whose due time has passed.")
    q: str | None = Field(
        None,
        max_length=200,
        description="Every word must start a word of the title or description.",
    )
    top_level: bool | None = Field(
        None, description="`true`: only tasks that are not subtasks (their parents show progress)."
    )
    sort: Sort = Field(
        "-created_at",
        description="Field, `-` in front for descending. Undated tasks sort last.",
    )
    limit: int = Field(20, ge=1, le=100, description="Page size (default 20, at most 100).")
    cursor: str | None = Field(
        None, max_length=512, description="`next_cursor` of the previous page."
    )


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """One list request as the repository runs it: the caller's filters, normalised (each
    value once, tags lower case, priorities as ranks), the search words, the sort, and the
    position after which the page starts (the cursor's typed values). Built from a
    ``TaskQuery`` by ``service.task_filter``; a new filter is a field here and a clause in
    ``repository``."""

    project_id: uuid.UUID | None = None
    assigned_to_me: bool = False
    statuses: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue_at: datetime | None = None  # open tasks due before this instant
    terms: tuple[str, ...] = ()
    top_level: bool = False
    sort_field: SortField = "created_at"
    descending: bool = True
    position: tuple[Any, ...] | None = None
    limit: int = 20


Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_nul),
]
Description = Annotated[str, Field(max_length=10_000), AfterValidator(no_nul)]
# Tags are matched case-insensitively, so they are stored in lower case.
_TAG = re.compile(r"^\w[\w .\-/]*$")


def _check_tag(value: str) -> str:
    if not _TAG.match(value):
        raise ValueError(
            "Use letters, digits, spaces and . - / _ only, starting with a letter or digit."
        )
    return value


Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=32),
    AfterValidator(_check_tag),
]


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique)]


def _check_recurrence(value: str) -> str:
    try:
        return recurrence.parse(value).text()
    except recurrence.RuleError as error:
        raise ValueError(str(error)) from None


#: An RFC 5545 recurrence rule, as ``tasks.recurrence`` accepts it.
Recurrence = Annotated[
    str,
    Field(
        max_length=300,
        description=(
            "An RFC 5545 RRULE: FREQ=DAILY, WEEKLY (BYDAY=MO,WE), MONTHLY (BYMONTHDAY=15, "
            "or BYDAY=2TU or -1FR), YEARLY; INTERVAL, COUNT or UNTIL. Repeats from the due "
            "date in the owner's time zone; needs a due date."
        ),
    ),
    AfterValidator(_check_recurrence),
]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_text(value: object) -> object:
    """A calendar date only as ``YYYY-MM-DD`` text (not a number, nor a date and time)."""
    if not (isinstance(value, str) and _DATE.match(value)) and not isinstance(value, date):
        raise ValueError("Use a date as YYYY-MM-DD, e.g. 2026-12-04.")
    return value


def _date_range(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"Use a date between the years {MIN_YEAR} and {MAX_YEAR}.")
    return value


#: A date-only due date: a calendar date in the owner's time zone, without a time.
DueDate = Annotated[
    date,
    BeforeValidator(_date_text),
    AfterValidator(_date_range),
    Field(
        description=(
            "A due date without a time (YYYY-MM-DD), a day in the owner's time zone; "
            "give either this or `due_at`."
        )
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskCreate(Strict):
    project_id: uuid.UUID | None = Field(
        None, description="A project you edit or own; none: your Inbox."
    )
    assignee_id: uuid.UUID | None = Field(None, description="A member of the project.")
    parent_id: uuid.UUID | None = Field(
        None,
        description=(
            "Makes it a subtask of this task (one you may change, not itself a subtask); it "
            "goes into the parent's project, so `project_id` may be left out."
        ),
    )
    title: Title
    description: Description | None = None
    status: Status = "todo"
    priority: Priority = "medium"
    due_at: Instant | None = None
    due_date: DueDate | None = None
    tags: Tags = Field(default_factory=list)
    recurrence: Recurrence | None = None
    reminder_offsets: ReminderOffsets | None = Field(
        None, description="Reminders before the due time; null: the owner's preference."
    )


class TaskUpdate(Strict):
    """Only the fields sent change; ``null`` clears ``description``, ``due_at`` and
    ``assignee_id`` (``null`` for ``due_at`` or ``due_date`` clears the due date, with or
    without a time; ``due_at`` makes a date-only task timed, ``due_date`` a timed one
    date-only). A new ``project_id`` moves the task (you must edit or own both projects);
    an assignee who is not a member of the new project is unassigned."""

    project_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    title: Title | None = None
    description: Description | None = None
    status: Status | None = None
    priority: Priority | None = None
    due_at: Instant | None = None
    due_date: DueDate | None = None
    tags: Tags | None = None
    recurrence: Recurrence | None = None
    open_subtasks: Literal["complete", "keep"] | None = Field(
        None,
        description=(
            "When `status` becomes `done` and the task has open subtasks: `complete` completes "
            "them too, `keep` leaves them open; without it that is a 409 `open-subtasks` "
            "problem giving their number in `open_subtasks`."
        ),
    )
    #: ``null`` goes back to the owner's preference; ``[]`` means no reminders.
    reminder_offsets: ReminderOffsets | None = None


class TaskOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    parent_id: uuid.UUID | None = Field(description="The parent task of a subtask, else null.")
    position: str = Field(
        description=(
            "Manual-order key among its siblings (the project's top-level tasks, or the "
            "parent's subtasks), compared byte by byte; change it with `POST /tasks/{id}/move`."
        )
    )
    subtasks_total: int = Field(description="How many subtasks it has.")
    subtasks_done: int = Field(description="How many of them are done.")
    assignee_id: uuid.UUID | None
    title: str
    description: str | None
    status: Status
    priority: Priority
    due_at: datetime | None = Field(description="The due time; null for a date-only task.")
    due_date: date | None = Field(
        description="A date-only task's due date (a day in its owner's time zone), else null."
    )
    completed_at: datetime | None
    tags: list[str]
    recurrence: str | None = Field(
        description="The RRULE the task repeats by (completing it makes the next), else null."
    )
    reminder_offsets: list[int] | None = Field(
        description="Minutes before the due time a reminder fires; null: the owner's preference."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    comment_count: int = Field(description="How many comments the task has.")


class MoveTask(Strict):
    """Where a task goes among its siblings: right after ``after_id`` or right before
    ``before_id`` (give one; both must be siblings: top-level tasks of the same project, or
    subtasks of the same parent)."""

    after_id: uuid.UUID | None = None
    before_id: uuid.UUID | None = None


class SubtaskList(BaseModel):
    items: list[TaskOut] = Field(description="The subtasks, in their manual order.")


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class DayCount(BaseModel):
    date: date
    count: int


class TaskStats(BaseModel):
    timezone: str
    total: int
    by_status: dict[Status, int]
    by_priority: dict[Priority, int]
    overdue: int
    due_today: int
    completed_per_day: list[DayCount] = Field(description="The last 14 days, oldest first.")


Ids = Annotated[list[uuid.UUID], Field(min_length=1, max_length=100)]


class BulkSetStatus(Strict):
    action: Literal["set_status"]
    ids: Ids
    status: Status


class BulkDelete(Strict):
    action: Literal["delete"]
    ids: Ids


BulkOperation = Annotated[BulkSetStatus | BulkDelete, Field(discriminator="action")]


class BulkResult(BaseModel):
    action: Literal["set_status", "delete"]
    count: int
    items: list[TaskOut] = Field(description="The changed tasks (empty for delete).")


class TrashedTaskOut(TaskOut):
    deleted_at: datetime = Field(description="When it went to the trash.")
    purge_at: datetime = Field(description="When it is deleted for good (30 days later).")


class TrashPage(BaseModel):
    items: list[TrashedTaskOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class TrashQuery(BaseModel):
    limit: int = Field(20, ge=1, le=100, description="Page size (default 20, at most 100).")
    cursor: str | None = Field(
        None, max_length=512, description="`next_cursor` of the previous page."
    )


HistoryField = Literal[
    "title",
    "status",
    "priority",
    "due_at",
    "due_date",
    "assignee_id",
    "project_id",
    "description",
    "tags",
]


class HistoryEntry(BaseModel):
    """One field of one change: who changed it, from what to what, when."""

    id: uuid.UUID
    user_id: uuid.UUID | None = Field(
        description="Who changed it; null once their account is gone."
    )
    user_name: str
    field: HistoryField
    old_value: str | None = Field(
        description=(
            "As text: a status or priority name, an RFC 3339 instant, a date, a user or project "
            "id, tags joined by `, `; null when empty, and always for `description`."
        )
    )
    new_value: str | None
    created_at: datetime


class HistoryPage(BaseModel):
    items: list[HistoryEntry] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class RecurrencePreviewQuery(BaseModel):
    rule: str = Field(max_length=300, description="An RRULE, as a task's `recurrence`.")
    start: str = Field(
        max_length=40,
        description=(
            "The first due: a local date and time (2026-12-07T09:00), an instant with its "
            "offset (read in `tz`), or a date (2026-12-07) for a date-only task."
        ),
    )
    tz: TimeZoneName | None = Field(None, description="An IANA zone; none: your profile's.")
    count: int = Field(5, ge=1, le=recurrence.MAX_PREVIEW, description="How many (at most 50).")


class Occurrence(BaseModel):
    due_at: datetime | None = Field(description="The due time, in UTC; null for a date.")
    due_date: date | None = Field(description="The due date of a date-only series, else null.")


class RecurrencePreview(BaseModel):
    rule: str = Field(description="The rule as a task would store it (UNTIL normalised).")
    timezone: str
    occurrences: list[Occurrence] = Field(
        description="The start first; fewer than asked once COUNT or UNTIL ends the series."
    )
