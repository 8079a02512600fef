"""Opaque, versioned keyset cursors, checked value by value; the page-size parameter.

A cursor is base64 of ``{"v": 1, "k": <listing and sort>, "p": <sort-key values of the last
row>}``. Clients may send anything, so decoding checks every value against the kind the
listing declares (an aware timestamp within the API's range, a UUID, a small rank, a bounded
text) and answers a 422 problem for anything the API would not have issued: a hand-made
cursor can neither raise nor reach the database with a value its column cannot hold.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import Query

from tasklane.core.errors import ValidationProblem
from tasklane.core.validation import within_range

CURSOR_VERSION = 1
#: What a position value may be; ``?`` also admits null (a task without a due date).
Kind = Literal["datetime", "datetime?", "id", "rank", "text"]
_RANK_MAX = 32767  # SMALLINT
_TEXT_MAX = 1000

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (default 20, at most 100).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page."),
]


def encode_cursor(listing: str, values: Sequence[Any]) -> str:
    """A cursor after the row whose sort-key values are ``values`` (timestamps and UUIDs as
    text)."""
    position = [
        value.isoformat()
        if isinstance(value, datetime)
        else str(value)
        if isinstance(value, uuid.UUID)
        else value
        for value in values
    ]
    payload = orjson.dumps({"v": CURSOR_VERSION, "k": listing, "p": position})
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def _invalid() -> ValidationProblem:
    return ValidationProblem.single("cursor", "Invalid cursor.")


def decode_cursor(cursor: str, listing: str, kinds: Sequence[Kind]) -> list[Any]:
    """The typed position in ``cursor``; a 422 if it is malformed, made for another listing
    or sort order, or holds a value this listing never issues."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _invalid() from exc
    if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION or data.get("k") != listing:
        raise ValidationProblem.single(
            "cursor", "This cursor belongs to another listing or sort order; start again."
        )
    position = data.get("p")
    if not isinstance(position, list) or len(position) != len(kinds):
        raise _invalid()
    try:
        return [_value(kind, value) for kind, value in zip(kinds, position, strict=True)]
    except (TypeError, ValueError) as exc:
        raise _invalid() from exc


def _value(kind: Kind, value: Any) -> Any:
    if value is None:
        if kind == "datetime?":
            return None
        raise ValueError("null")
    if kind == "rank":
        if type(value) is not int or not 0 <= value <= _RANK_MAX:
            raise ValueError("not a rank")
        return value
    if not isinstance(value, str) or len(value) > _TEXT_MAX:
        raise TypeError("expected a bounded string")
    if kind == "id":
        return uuid.UUID(value)
    if kind == "text":
        return value
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive timestamp")
    return within_range(parsed).astimezone(UTC)
