"""Edge strategies: dates at the ends of the API's range and at the extreme UTC offsets,
cursors that are malformed, hand-made or from another sort, and strings that trip up
storage and normalisation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from tasklane.core.validation import MAX_YEAR, MIN_YEAR

OFFSETS = st.sampled_from([-14 * 60, -12 * 60, -30, 0, 30, 5 * 60 + 45, 14 * 60])
EDGE_YEARS = st.sampled_from([1969, 1970, 1971, 2000, 2038, 9998, 9999])


@st.composite
def instants(draw: st.DrawFn) -> tuple[str, datetime | None]:
    """An ISO 8601 instant with an offset, and the instant the API must store for it (None
    when it must refuse it: outside 1970..9999 once in UTC)."""
    year = draw(EDGE_YEARS)
    month = draw(st.sampled_from([1, 6, 12]))
    day = 31 if month == 12 else 1 if month == 1 else draw(st.integers(1, 28))
    hour, minute = draw(st.sampled_from([(0, 0), (12, 30), (23, 59)]))
    offset = timedelta(minutes=draw(OFFSETS))
    local = datetime(year, month, day, hour, minute, tzinfo=timezone(offset))
    text = local.isoformat()
    try:
        utc = local.astimezone(UTC)
    except OverflowError:
        return text, None
    return text, utc if MIN_YEAR <= utc.year <= MAX_YEAR else None


def _nasty() -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            "",
            " ",
            "   \t  ",
            "\x1f",
            "\u3000\u00a0",
            "x" * 200,
            "x" * 201,
            " " + "y" * 200 + " ",
            "nul\x00inside",
            "\u200f\u202eright-to-left\u202c",
            "\u05e9\u05dc\u05d5\u05dd",
            "emoji \U0001f600\U0001f469\u200d\U0001f4bb",
            "\U0001f600" * 200,
            "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48",
            "e\u0301",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%s%n",
        ]
    )


TITLES = st.one_of(
    _nasty(),
    st.text(min_size=1, max_size=30),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=195, max_size=205),
)


#: Unicode White_Space (what Pydantic strips); Python's str.strip also strips U+001C..U+001F.
WHITE_SPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace() and not 0x1C <= c <= 0x1F)


def expected_title(title: str) -> str | None:
    """What the API stores for ``title``, or None where it must answer 422."""
    if "\x00" in title:  # PostgreSQL cannot store it: refused on every database
        return None
    stripped = title.strip(WHITE_SPACE)
    if not stripped or len(stripped) > 200:
        return None
    return stripped


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


HAND_MADE_CURSORS = st.one_of(
    st.sampled_from(
        [
            "",
            "x",
            "=",
            "null",
            "%00",
            "\x00",
            "a" * 512,
            _b64({}),
            _b64([]),
            _b64(["2020-01-01T00:00:00Z"]),
            _b64({"s": "-created_at", "v": [None, None]}),
            _b64({"v": ["9999-12-31T23:59:59Z", "00000000-0000-0000-0000-000000000000"]}),
            _b64("'; DROP TABLE tasks; --"),
        ]
    ),
    st.text(max_size=64),
    st.binary(max_size=48).map(lambda b: base64.urlsafe_b64encode(b).decode()),
)
