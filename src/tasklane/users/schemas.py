"""What the users domain accepts and exposes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StringConstraints,
)

from tasklane.core.validation import ReminderOffsets, no_nul

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_nul),
]
# Length is checked by the password policy (with a clear message); this bound only stops abuse.
PasswordIn = Annotated[str, Field(min_length=1, max_length=1024)]
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
]


def _check_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError("Unknown time zone; use an IANA name such as Europe/Berlin.")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("Unknown time zone; use an IANA name such as Europe/Berlin.") from exc
    return value


_TZ_CACHE: frozenset[str] = frozenset()


def _timezones() -> frozenset[str]:
    global _TZ_CACHE  # noqa: PLW0603 - computed once, on first use
    if not _TZ_CACHE:
        _TZ_CACHE = frozenset(available_timezones()) | {"UTC"}
    return _TZ_CACHE


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_check_timezone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


DigestTime = Annotated[
    str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", max_length=5)
]


class EmailPreferences(Strict):
    """Which non-essential mail the account gets. Security mail (verification, email change,
    password reset, new-device notices) always goes."""

    reminders: StrictBool = True
    digest: StrictBool = False
    #: When the daily digest goes: a wall time in the account's time zone.
    digest_time: DigestTime = "08:00"


class EmailPreferencesUpdate(Strict):
    reminders: StrictBool | None = None
    digest: StrictBool | None = None
    digest_time: DigestTime | None = None


#: The kinds of non-essential mail, each with its opt-out in ``Preferences.email``.
MailKind = Literal["reminders", "digest"]


#: How dates are written (the interface is English): "auto" is the browser's English variant.
DateLocale = Literal["auto", "en-GB", "en-US", "en-AU", "en-CA", "en-IE", "en-IN", "en-NZ", "en-ZA"]


class Preferences(Strict):
    """UI settings kept with the account so they follow the user across devices."""

    theme: Literal["system", "light", "dark"] = "system"
    task_view: Literal["list", "board"] = "list"
    locale: DateLocale = "auto"
    default_sort: Sort = "-created_at"
    week_start: Literal["monday", "sunday"] = "monday"
    show_completed: StrictBool = True  # true or false: not 0/1, not "no"
    email: EmailPreferences = Field(default_factory=EmailPreferences)
    #: Reminders of a task with a due time, minutes before it; null: the service's default.
    reminder_offsets: ReminderOffsets | None = None


class PreferencesUpdate(Strict):
    theme: Literal["system", "light", "dark"] | None = None
    task_view: Literal["list", "board"] | None = None
    locale: DateLocale | None = None
    default_sort: Sort | None = None
    week_start: Literal["monday", "sunday"] | None = None
    show_completed: StrictBool | None = None
    email: EmailPreferencesUpdate | None = None
    reminder_offsets: ReminderOffsets | None = None


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Literal["user", "admin"]
    timezone: str
    preferences: Preferences
    created_at: datetime
    updated_at: datetime
    email_verified_at: datetime | None = Field(
        default=None,
        description="When the address was confirmed through a link mailed to it; null: not yet.",
    )


class AdminUserOut(UserOut):
    is_active: bool


class UserPage(BaseModel):
    items: list[AdminUserOut]
    next_cursor: str | None


class ProfileUpdate(Strict):
    name: Name | None = None
    timezone: TimeZoneName | None = None
    preferences: PreferencesUpdate | None = None


class PasswordChange(Strict):
    current_password: PasswordIn
    new_password: PasswordIn


class EmailChange(Strict):
    new_email: EmailStr = Field(max_length=320)
    password: PasswordIn


class EmailChangeAccepted(BaseModel):
    detail: str
    new_email: str = Field(description="Where the confirmation link goes (normalised).")


class AccountDelete(Strict):
    password: PasswordIn
