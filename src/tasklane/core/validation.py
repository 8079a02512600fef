"""Input types every domain shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

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


#: A point in time with its UTC offset, within the API's range.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(within_range),
    Field(description=f"An ISO 8601 date and time with its offset, {RANGE_TEXT}."),
]
