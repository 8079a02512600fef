"""Recurrence rules (RFC 5545 RRULE), read and evaluated with python-dateutil's ``rrule``.

A recurring task carries its rule, the IANA zone it is evaluated in and its series' local
start (a wall-clock date and time in that zone, or a date for a date-only task). The next
occurrence is worked out from that local start, never from the stored UTC instant, so "every
day at 9:00" stays at 9:00 across DST: the rule yields local wall times and each becomes an
instant in the zone (a time that does not exist that day, in the spring gap, is read with the
offset before the gap: 2:30 becomes 3:30; an ambiguous one is its first occurrence).

The rules accepted are the ones a task needs, and each kind is bounded so that evaluating one
never runs on: dateutil filters candidates period by period until the year 9999 when a rule
can never match ("the 30th of February"), which takes seconds. Every rule accepted here has a
candidate within a few periods of any start, or is refused with a message naming why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from math import gcd
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule as _rrule

MAX_LENGTH = 255
MAX_INTERVAL = 999
MAX_COUNT = 1000
#: How many occurrences a preview lists at most.
MAX_PREVIEW = 50

_FREQS = {"DAILY": _rrule.DAILY, "WEEKLY": _rrule.WEEKLY, "MONTHLY": _rrule.MONTHLY}
_FREQS["YEARLY"] = _rrule.YEARLY
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ORDER = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT")
_ALLOWED = {
    "DAILY": {"BYDAY"},
    "WEEKLY": {"BYDAY", "WKST"},
    "MONTHLY": {"BYMONTHDAY", "BYDAY", "BYSETPOS"},
    "YEARLY": {"BYMONTH", "BYMONTHDAY", "BYDAY"},
}
_KNOWN = {*_ORDER, "UNTIL", "BYHOUR", "BYMINUTE", "BYSECOND", "BYWEEKNO", "BYYEARDAY"}
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$")
#: The longest month each month can be (February: 28, as a leap day cannot be counted on).
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class RuleError(ValueError):
    """A rule that is not accepted; the message says why, for the person who wrote it."""


@dataclass(frozen=True)
class Rule:
    """A rule as read: its parts, and UNTIL as written (a date, a local or a UTC time)."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: date | datetime | None = None
    bymonth: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byday: tuple[tuple[int | None, str], ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict, compare=False)

    def text(self) -> str:
        """The rule in its canonical form (parts in one order, INTERVAL=1 left out)."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.bymonth:
            parts.append("BYMONTH=" + ",".join(map(str, self.bymonth)))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.bymonthday)))
        if self.byday:
            parts.append("BYDAY=" + ",".join(f"{n or ''}{d}" for n, d in self.byday))
        if self.bysetpos:
            parts.append("BYSETPOS=" + ",".join(map(str, self.bysetpos)))
        if self.wkst:
            parts.append(f"WKST={self.wkst}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={_until_text(self.until)}")
        return ";".join(parts)


def _until_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        text = value.strftime("%Y%m%dT%H%M%S")
        return text + "Z" if value.tzinfo is not None else text
    return value.strftime("%Y%m%d")


def _int(name: str, value: str, low: int, high: int, *, zero: bool = True) -> int:
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise RuleError(f"{name} takes whole numbers, not {value!r}.")
    number = int(value)
    if not low <= number <= high or (number == 0 and not zero):
        where = f"from {low} to {high}" + ("" if zero else ", not 0")
        raise RuleError(f"{name} must be {where}; {number} is not.")
    return number


def _ints(name: str, value: str, low: int, high: int) -> tuple[int, ...]:
    items = value.split(",")
    if len(items) > 31:
        raise RuleError(f"{name} lists at most 31 values.")
    return tuple(dict.fromkeys(_int(name, item, low, high, zero=False) for item in items))


def _until(value: str) -> date | datetime:
    match = _UNTIL.match(value)
    if not match:
        raise RuleError(
            "UNTIL must be a date (20261231), a local time (20261231T235959) or a UTC time "
            f"(20261231T225959Z), not {value!r}."
        )
    y, mo, d, h, mi, s, z = match.groups()
    try:
        if h is None:
            day = date(int(y), int(mo), int(d))
        else:
            moment = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
            day = moment.date()
    except ValueError:
        raise RuleError(f"UNTIL {value} is not a real date or time.") from None
    if not 1970 <= day.year <= 9999:
        raise RuleError("UNTIL must lie between the years 1970 and 9999.")
    if h is None:
        return day
    return moment.replace(tzinfo=UTC) if z else moment


def parse(text: str) -> Rule:
    """Read a rule (``FREQ=WEEKLY;BYDAY=MO,WE``; an ``RRULE:`` prefix is allowed); a
    ``RuleError`` naming the problem if it is not one Tasklane accepts."""
    source = text.strip()
    if source.upper().startswith("RRULE:"):
        source = source[6:]
    if not source:
        raise RuleError("The rule is empty: start it with FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.")
    if len(source) > MAX_LENGTH:
        raise RuleError(f"The rule is longer than {MAX_LENGTH} characters.")
    parts: dict[str, str] = {}
    for item in source.rstrip(";").split(";"):
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        value = value.strip().upper()
        if not sep or not name or not value:
            raise RuleError(f"{item!r} is not a NAME=VALUE part of a rule.")
        if name not in _KNOWN:
            raise RuleError(f"{name} is not a part of a recurrence rule.")
        if name in parts:
            raise RuleError(f"{name} is given twice.")
        parts[name] = value
    freq = parts.pop("FREQ", None)
    if freq is None:
        raise RuleError("The rule needs a FREQ: DAILY, WEEKLY, MONTHLY or YEARLY.")
    if freq not in _FREQS:
        raise RuleError(f"FREQ={freq} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY.")
    for name in parts:
        if name not in {"INTERVAL", "COUNT", "UNTIL"} and name not in _ALLOWED[freq]:
            allowed = ", ".join(sorted(_ALLOWED[freq])) or "none"
            raise RuleError(f"{name} cannot be used with FREQ={freq} (allowed: {allowed}).")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError("Give COUNT or UNTIL, not both.")
    rule = Rule(
        freq=freq,
        interval=_int("INTERVAL", parts["INTERVAL"], 1, MAX_INTERVAL) if "INTERVAL" in parts else 1,
        count=_int("COUNT", parts["COUNT"], 1, MAX_COUNT) if "COUNT" in parts else None,
        until=_until(parts["UNTIL"]) if "UNTIL" in parts else None,
        bymonth=_ints("BYMONTH", parts["BYMONTH"], 1, 12) if "BYMONTH" in parts else (),
        bymonthday=_ints("BYMONTHDAY", parts["BYMONTHDAY"], -31, 31)
        if "BYMONTHDAY" in parts
        else (),
        byday=_byday(freq, parts["BYDAY"], "BYMONTH" in parts) if "BYDAY" in parts else (),
        bysetpos=_ints("BYSETPOS", parts["BYSETPOS"], -4, 4) if "BYSETPOS" in parts else (),
        wkst=_weekday("WKST", parts["WKST"]) if "WKST" in parts else None,
    )
    _check_shape(rule)
    return _with_kwargs(rule)


def _weekday(name: str, value: str) -> str:
    if value not in _DAYS:
        raise RuleError(f"{name} takes a day as MO, TU, WE, TH, FR, SA or SU, not {value!r}.")
    return value


def _byday(freq: str, value: str, has_bymonth: bool) -> tuple[tuple[int | None, str], ...]:
    days: list[tuple[int | None, str]] = []
    for item in value.split(","):
        match = _BYDAY.match(item)
        if not match:
            raise RuleError(f"BYDAY takes days as MO, TU… or 2TU, -1FR, not {item!r}.")
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None:
            if freq in {"DAILY", "WEEKLY"}:
                raise RuleError(f"BYDAY={item}: a numbered weekday needs FREQ=MONTHLY or YEARLY.")
            if freq == "YEARLY" and not has_bymonth:
                raise RuleError(f"BYDAY={item} with FREQ=YEARLY needs a BYMONTH.")
            if ordinal == 0 or not -4 <= ordinal <= 4:
                raise RuleError(
                    f"BYDAY={item}: number the weekday from 1 to 4, or -1 to -4 from the "
                    "month's end (-1FR: its last Friday)."
                )
        days.append((ordinal, match.group(2)))
    return tuple(dict.fromkeys(days))


def _check_shape(rule: Rule) -> None:
    """Refuse the combinations that could leave a period without a candidate for ever."""
    if rule.bysetpos and (not rule.byday or any(n is not None for n, _ in rule.byday)):
        raise RuleError("BYSETPOS needs a BYDAY of plain weekdays (BYDAY=MO,TU,WE,TH,FR).")
    if rule.bymonthday and rule.byday:
        raise RuleError("Give BYMONTHDAY or BYDAY, not both.")
    if rule.freq == "YEARLY" and rule.bymonth and rule.bymonthday:
        possible = [
            (m, d)
            for m in rule.bymonth
            for d in rule.bymonthday
            if abs(d) <= _MONTH_DAYS[m - 1] or (m == 2 and abs(d) == 29)
        ]
        if not possible:
            raise RuleError("No month of BYMONTH has a day of BYMONTHDAY (as 30 February).")
    if rule.freq == "YEARLY" and rule.bymonthday and not rule.bymonth:
        raise RuleError("BYMONTHDAY with FREQ=YEARLY needs a BYMONTH.")


def _with_kwargs(rule: Rule) -> Rule:
    kwargs: dict[str, Any] = {"interval": rule.interval}
    if rule.bymonth:
        kwargs["bymonth"] = rule.bymonth
    if rule.bymonthday:
        kwargs["bymonthday"] = rule.bymonthday
    if rule.byday:
        days = [getattr(_rrule, d) for _, d in rule.byday]
        kwargs["byweekday"] = [
            day if n is None else day(n) for day, (n, _) in zip(days, rule.byday, strict=True)
        ]
    if rule.bysetpos:
        kwargs["bysetpos"] = rule.bysetpos
    if rule.wkst:
        kwargs["wkst"] = getattr(_rrule, rule.wkst)
    rule.kwargs.update(kwargs)
    return rule


def _reachable(rule: Rule, start: date) -> bool:
    """Whether the rule ever reaches a day it names from ``start`` (every 12 months on the 31st
    from February never does; every 7 days on Mondays from a Tuesday neither)."""
    if rule.freq == "DAILY" and rule.byday and rule.interval % 7 == 0:
        # Every 7, 14… days is always the start's weekday.
        return _DAYS[start.weekday()] in {d for _, d in rule.byday}
    if rule.freq == "MONTHLY" and rule.bymonthday:
        step = gcd(rule.interval, 12)
        months = {m for m in range(12) if m % step == (start.month - 1) % step}
        return any(abs(d) <= _MONTH_DAYS[m] for m in months for d in rule.bymonthday)
    if rule.freq == "YEARLY" and rule.bymonth and not rule.byday:
        # Without BYMONTHDAY, the day of the month is the start's (BYMONTH=2 from a 31st:
        # never).
        days = rule.bymonthday or (start.day,)
        ordinary = [(m, d) for m in rule.bymonth for d in days if abs(d) <= _MONTH_DAYS[m - 1]]
        if ordinary:
            return True
        if not any(m == 2 and abs(d) == 29 for m in rule.bymonth for d in days):
            return False
        # Only 29 February: a step of 4, 8… years from a year that is not a leap year never
        # lands on one.
        return rule.interval % 4 != 0 or start.year % 4 == 0
    return True


@dataclass(frozen=True)
class Series:
    """What a recurring task stores: its rule (canonical, UNTIL normalised), the zone it is
    evaluated in, and its local start (``YYYY-MM-DDTHH:MM:SS``, or ``YYYY-MM-DD`` for a
    date-only task)."""

    rule: str
    zone: str
    start: str


def local_start(due_at: datetime | None, due_date: date | None, zone: str) -> str:
    """A due as a series' local start in ``zone``."""
    if due_date is not None:
        return due_date.isoformat()
    assert due_at is not None
    return due_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None).isoformat(timespec="seconds")


def _start(text: str) -> datetime | date:
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def normalise(text: str, zone: str, start: str) -> Series:
    """A rule as stored for a series starting at ``start`` (local, in ``zone``): UNTIL as a
    UTC time for a timed series (a date: the end of that day in the zone; a local time: that
    time in the zone), as a date for a date-only one. A ``RuleError`` for a rule that is
    refused or that never repeats after its start."""
    rule = parse(text)
    tz = ZoneInfo(zone)
    first = _start(start)
    until = rule.until
    if until is not None:
        if isinstance(first, datetime):
            if not isinstance(until, datetime):
                until = datetime.combine(until, time(23, 59, 59))
            if until.tzinfo is None:
                until = until.replace(tzinfo=tz)
            until = _to_utc(until)
        elif isinstance(until, datetime):
            until = until.astimezone(tz).date() if until.tzinfo else until.date()
    rule = _with_kwargs(Rule(**{**_fields(rule), "until": until}))
    day = first if not isinstance(first, datetime) else first.date()
    if not _reachable(rule, day):
        raise RuleError(
            "From this start the rule never comes round: the days it visits never have the "
            "day it names (as the 31st of every February)."
        )
    series = Series(rule.text(), zone, start)
    if rule.count != 1 and next_local(series, first, 1) is None:
        raise RuleError("The rule has no occurrence after the first one (is UNTIL before it?).")
    return series


_FIELDS = ("freq", "interval", "count", "until", "bymonth", "bymonthday", "byday", "bysetpos")


def _fields(rule: Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in (*_FIELDS, "wkst")}


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # the last moments of 9999 west of UTC
        return datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def next_local(series: Series, current: datetime | date, index: int) -> datetime | date | None:
    """The occurrence after ``current`` (the local wall time, or the date, of occurrence
    number ``index``) in the series, or None once the series has ended (COUNT reached, past
    UNTIL, or beyond the year 9999)."""
    rule = parse(series.rule)
    if rule.count is not None and index >= rule.count:
        return None
    first = _start(series.start)
    dated = not isinstance(first, datetime)
    dtstart = datetime.combine(first, time()) if dated else first
    until: datetime | None = None
    if isinstance(rule.until, datetime):
        until = rule.until.astimezone(ZoneInfo(series.zone)).replace(tzinfo=None)
    elif isinstance(rule.until, date):
        until = datetime.combine(rule.until, time(23, 59, 59))
    if isinstance(current, datetime):
        after = datetime.combine(current.date(), time()) if dated else current
    else:
        after = datetime.combine(current, time())
    evaluated = _rrule.rrule(_FREQS[rule.freq], dtstart=dtstart, until=until, **rule.kwargs)
    found: datetime | None = evaluated.after(after)
    if found is None:
        return None
    return found.date() if dated else found


def instant(local: datetime, zone: str) -> datetime:
    """A local wall time in ``zone`` as a UTC instant (a time in a DST gap: with the offset
    before it; an ambiguous one: its first occurrence)."""
    return _to_utc(local.replace(tzinfo=ZoneInfo(zone), fold=0))


def preview(text: str, start: str, zone: str, count: int) -> tuple[Series, list[datetime | date]]:
    """The series a task due at ``start`` would start, and its first ``count`` occurrences
    (the start first) as local wall times or dates."""
    series = normalise(text, zone, start)
    found: list[datetime | date] = [_start(start)]
    while len(found) < count:
        following = next_local(series, found[-1], len(found))
        if following is None:
            break
        found.append(following)
    return series, found
