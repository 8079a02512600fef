"""Opaque, versioned keyset cursors and the page-size parameter every list shares."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import orjson
from fastapi import Query

from tasklane.core.errors import ValidationProblem

CURSOR_VERSION = 1

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (default 20, at most 100).")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page."),
]


def encode_cursor(kind: str, values: list[Any]) -> str:
    payload = orjson.dumps({"v": CURSOR_VERSION, "k": kind, "p": values})
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    """The position stored in ``cursor``; a 422 if it is malformed or made for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValidationProblem.single("cursor", "Invalid cursor.") from exc
    if (
        not isinstance(data, dict)
        or data.get("v") != CURSOR_VERSION
        or data.get("k") != kind
        or not isinstance(data.get("p"), list)
    ):
        raise ValidationProblem.single(
            "cursor", "This cursor belongs to another listing or sort order; start again."
        )
    return list(data["p"])
