"""Input types every domain shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StrictInt

#: The instants the API accepts and stores, in UTC: every database holds them and every
#: conversion between zones stays within Python's datetime range.
MIN_YEAR, MAX_YEAR = 1970, 9999
RANGE_TEXT = f"between the years {MIN_YEAR} and {MAX_YEAR} in UTC"


def within_range(value: datetime) -> datetime:
    """``value`` if it lies within the API's range, else a ValueError (a 422 in a model)."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError as error:  # 9999-12-31T23:59-14:00, 0001-01-01T00:00+14:00
        raise ValueError(f"Use a date {RANGE_TEXT}.") from error
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"Use a date {RANGE_TEXT}.")
    return value


_EXAMPLE = "2026-12-03T09:00:00+01:00"
_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def not_a_number(value: object) -> object:
    """Refuse Unix times (a number, or a numeric string in a query): the API takes ISO 8601
    with an offset only, so that no one's ``1700000000`` is read in a zone they did not
    mean."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError(
            "Use an ISO 8601 date and time with its offset, e.g. 2026-12-03T09:00:00+01:00."
        )
    return value


def no_nul(value: str) -> str:
    """Text the databases can all store: PostgreSQL refuses the NUL character."""
    if "\x00" in value:
        raise ValueError("Remove the NUL character (U+0000).")
    return value


#: A point in time with its UTC offset, within the API's range.
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(not_a_number),
    AfterValidator(within_range),
    Field(description=f"An ISO 8601 date and time with its offset, {RANGE_TEXT}."),
]


#: How many reminders a task (or an account's default) may have, and how far ahead.
MAX_REMINDERS, MAX_REMINDER_MINUTES = 5, 40320  # four weeks

#: Reminders before a due time, in minutes: each once, in order; ``[]`` for none.
ReminderOffsets = Annotated[
    list[Annotated[StrictInt, Field(ge=0, le=MAX_REMINDER_MINUTES)]],
    Field(
        max_length=MAX_REMINDERS,
        description=f"Minutes before the due time (0 to {MAX_REMINDER_MINUTES}, at most "
        f"{MAX_REMINDERS}); [] for none.",
    ),
    AfterValidator(lambda offsets: sorted(set(offsets))),
]
