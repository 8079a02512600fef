"""GET /api/v1/tasks: sorting, keyset pagination, filters and word-prefix search."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from sqlalchemy import update

from tasklane.core.context import AppContext
from tasklane.tasks.models import tasks
from tests.helpers import Api, User, assert_problem, assert_task

TASKS = "/api/v1/tasks"
RANK = {"low": 1, "medium": 2, "high": 3, "urgent": 4}
SORT_FIELDS = ["created_at", "updated_at", "due_at", "priority", "title"]


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


def at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def iso(value: datetime) -> str:
    return value.isoformat()


async def listing(api: Api, user: User, **params: Any) -> dict[str, Any]:
    response = await api.client.get(TASKS, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) == {"items", "next_cursor"}
    for item in page["items"]:
        assert_task(item)
    return page


async def ids(api: Api, user: User, **params: Any) -> list[str]:
    page = await listing(api, user, limit=100, **params)
    assert page["next_cursor"] is None
    return [t["id"] for t in page["items"]]


async def all_pages(api: Api, user: User, limit: int, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(200):
        query = {**params, "limit": limit}
        if cursor is not None:
            query["cursor"] = cursor
        page = await listing(api, user, **query)
        assert len(page["items"]) <= limit
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(page["items"]) == limit, "a page before the last one is full"
    raise AssertionError("pagination does not end")


_SHARED: dict[str, tuple[User, Any]] = {}


async def shared(name: str, api: Api, build: Callable[[Api, User], Awaitable[Any]]) -> Any:
    """A user and the tasks ``build`` made for it, made once for the read-only tests that
    share them (the app and database live for the whole session)."""
    if name not in _SHARED:
        user = await api.user()
        _SHARED[name] = (user, await build(api, user))
    return _SHARED[name]


def expected_order(items: list[dict[str, Any]], sort: str) -> list[str]:
    """The documented order: the sort field, then the id, in the same direction; tasks
    without a due date last in both directions of a due_at sort."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")

    def key(task: dict[str, Any]) -> Any:
        tie = uuid.UUID(task["id"]).int
        if name == "priority":
            return (RANK[task["priority"]], tie)
        if name == "title":
            return (task["title"].lower(), tie)
        return (at(task[name]), tie)

    if name == "due_at":
        dated = [t for t in items if t["due_at"] is not None]
        undated = [t for t in items if t["due_at"] is None]
        undated_ids = sorted(undated, key=lambda t: uuid.UUID(t["id"]).int, reverse=descending)
        return [t["id"] for t in sorted(dated, key=key, reverse=descending)] + [
            t["id"] for t in undated_ids
        ]
    return [t["id"] for t in sorted(items, key=key, reverse=descending)]


def all_sorts() -> list[str]:
    return [prefix + name for name in SORT_FIELDS for prefix in ("", "-")]


def primary_key(sort: str) -> Callable[[dict[str, Any]], Any]:
    name = sort.lstrip("-")
    if name == "priority":
        return lambda t: RANK[t["priority"]]
    if name == "title":
        return lambda t: t["title"].lower()
    return lambda t: at(t[name])


# --- default order and paging ------------------------------------------------------------------


async def test_default_sort_is_newest_first(api: Api) -> None:
    user = await api.user()
    created = [await api.create_task(user, title=f"Task {i}") for i in range(3)]
    assert await ids(api, user) == [t["id"] for t in reversed(created)]
    assert await ids(api, user, sort="-created_at") == [t["id"] for t in reversed(created)]
    assert await ids(api, user, sort="created_at") == [t["id"] for t in created]


async def test_default_page_size_is_20(api: Api) -> None:
    user = await api.user()
    for i in range(21):
        await api.create_task(user, title=f"Task {i}")
    page = await listing(api, user)
    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None
    rest = await listing(api, user, cursor=page["next_cursor"])
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


async def test_keyset_pagination_visits_every_task_once_in_order(api: Api) -> None:
    user = await api.user()
    created = [await api.create_task(user, title=f"Task {i}") for i in range(7)]
    pages = await all_pages(api, user, limit=2)
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert [t["id"] for p in pages for t in p] == [t["id"] for t in reversed(created)]

    # An exact multiple of the page size ends without an empty extra page.
    pages = await all_pages(api, user, limit=7)
    assert [len(p) for p in pages] == [7]
    first = await listing(api, user, limit=6)
    last = await listing(api, user, limit=6, cursor=first["next_cursor"])
    assert len(last["items"]) == 1
    assert last["next_cursor"] is None


async def test_cursor_is_stable_when_tasks_are_added_or_removed_meanwhile(api: Api) -> None:
    user = await api.user()
    created = [await api.create_task(user, title=f"Task {i}") for i in range(5)]
    first = await listing(api, user, limit=2)
    assert [t["id"] for t in first["items"]] == [created[4]["id"], created[3]["id"]]
    newer = await api.create_task(user, title="Newer")  # sorts before the cursor: not seen
    deleted = await api.client.delete(f"{TASKS}/{created[2]['id']}", headers=user.headers)
    assert deleted.status_code == 204
    second = await listing(api, user, limit=2, cursor=first["next_cursor"])
    assert [t["id"] for t in second["items"]] == [created[1]["id"], created[0]["id"]]
    assert newer["id"] not in [t["id"] for t in second["items"]]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
async def test_limit_out_of_range_is_422(api: Api, limit: str) -> None:
    user = await api.user()
    response = await api.client.get(TASKS, params={"limit": limit}, headers=user.headers)
    assert error_fields(assert_problem(response, 422, "validation-error")) == ["limit"]


async def test_limit_bounds_are_inclusive(api: Api) -> None:
    user = await api.user()
    await api.create_task(user)
    await api.create_task(user)
    assert len((await listing(api, user, limit=1))["items"]) == 1
    assert len((await listing(api, user, limit=100))["items"]) == 2


def _crafted(kind: str, position: Any) -> str:
    payload = orjson.dumps({"v": 1, "k": kind, "p": position})
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


_ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("-created_at", "garbage"),
        ("-created_at", "!!!!"),
        ("-created_at", "x" * 512),
        ("-created_at", base64.urlsafe_b64encode(b"[1, 2, 3]").decode()),
        ("-created_at", base64.urlsafe_b64encode(b'{"v": 1}').decode()),
        ("-created_at", _crafted("tasks:-created_at", [1, 2])),
        ("-created_at", _crafted("tasks:-created_at", ["2020-01-01T00:00:00+00:00", 5])),
        ("-created_at", _crafted("tasks:-created_at", ["2020-01-01T00:00:00+00:00", "x"])),
        ("-created_at", _crafted("tasks:-created_at", ["2020-01-01T00:00:00", _ZERO])),
        ("-created_at", _crafted("tasks:-created_at", ["0001-01-01T00:00:00+02:00", _ZERO])),
        ("-created_at", _crafted("tasks:-created_at", ["2020-01-01T00:00:00+00:00"])),
        ("-created_at", _crafted("tasks:-created_at", "not a list")),
        ("priority", _crafted("tasks:priority", [99_999_999_999, _ZERO])),
        ("priority", _crafted("tasks:priority", ["x", _ZERO])),
        ("priority", _crafted("tasks:priority", [{"a": 1}, _ZERO])),
        ("title", _crafted("tasks:title", [["a"], _ZERO])),
        ("due_at", _crafted("tasks:due_at", [0, "soon", _ZERO])),
    ],
)
async def test_garbage_cursor_is_422(api: Api, sort: str, cursor: str) -> None:
    user = await api.user()
    await api.create_task(user, due_at="2031-01-01T00:00:00Z")
    response = await api.client.get(
        TASKS, params={"cursor": cursor, "sort": sort}, headers=user.headers
    )
    assert error_fields(assert_problem(response, 422, "validation-error")) == ["cursor"]


async def test_cursor_of_one_sort_is_refused_by_another(api: Api) -> None:
    user = await api.user()
    for i in range(3):
        await api.create_task(user, title=f"Task {i}")
    cursors = {}
    for sort in all_sorts():
        page = await listing(api, user, sort=sort, limit=1)
        assert page["next_cursor"]
        cursors[sort] = page["next_cursor"]
    for made_for, cursor in cursors.items():
        for used_with in all_sorts():
            response = await api.client.get(
                TASKS,
                params={"cursor": cursor, "sort": used_with, "limit": 1},
                headers=user.headers,
            )
            if used_with == made_for:
                assert response.status_code == 200, response.text
            else:
                problem = assert_problem(response, 422, "validation-error")
                assert error_fields(problem) == ["cursor"], (made_for, used_with)


async def test_unknown_sort_is_422(api: Api) -> None:
    user = await api.user()
    response = await api.client.get(TASKS, params={"sort": "status"}, headers=user.headers)
    assert error_fields(assert_problem(response, 422)) == ["sort"]


# --- filters -----------------------------------------------------------------------------------


async def test_filters_status_priority_and_tag(api: Api) -> None:
    user = await api.user()
    t1 = await api.create_task(user, title="t1", status="todo", priority="high", tags=["home"])
    t2 = await api.create_task(
        user, title="t2", status="in_progress", priority="low", tags=["work", "urgent-ish"]
    )
    t3 = await api.create_task(user, title="t3", status="done", priority="high", tags=["work"])
    t4 = await api.create_task(user, title="t4", status="todo", priority="urgent")

    def of(*chosen: dict[str, Any]) -> set[str]:
        return {t["id"] for t in chosen}

    assert set(await ids(api, user, status="todo")) == of(t1, t4)
    assert set(await ids(api, user, status=["todo", "done"])) == of(t1, t3, t4)
    assert set(await ids(api, user, status=["todo", "todo"])) == of(t1, t4)
    assert set(await ids(api, user, priority="high")) == of(t1, t3)
    assert set(await ids(api, user, priority=["low", "urgent"])) == of(t2, t4)
    assert set(await ids(api, user, tag="work")) == of(t2, t3)
    assert set(await ids(api, user, tag=["home", "urgent-ish"])) == of(t1, t2)
    assert set(await ids(api, user, tag="HOME")) == of(t1)
    assert await ids(api, user, tag="nothing") == []
    # Different parameters: all of them.
    assert set(await ids(api, user, status="done", priority="high")) == of(t3)
    assert set(await ids(api, user, status=["todo", "done"], tag="work")) == of(t3)
    assert set(await ids(api, user, priority="high", tag=["home", "work"])) == of(t1, t3)
    assert await ids(api, user, status="todo", tag="work") == []
    # Filtered listings keep the order and page correctly.
    pages = await all_pages(api, user, limit=1, status=["todo", "in_progress"])
    assert [t["id"] for p in pages for t in p] == [t4["id"], t2["id"], t1["id"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "archived"}, "status.0"),
        ({"priority": "critical"}, "priority.0"),
        ({"due_before": "soon"}, "due_before"),
        ({"due_after": "2031-01-01T00:00:00"}, "due_after"),
        ({"overdue": "maybe"}, "overdue"),
    ],
)
async def test_invalid_filters_are_422(api: Api, params: dict[str, str], field: str) -> None:
    user = await api.user()
    response = await api.client.get(TASKS, params=params, headers=user.headers)
    assert error_fields(assert_problem(response, 422, "validation-error")) == [field]


async def test_due_window_is_half_open(api: Api) -> None:
    user = await api.user()
    base = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    t0 = await api.create_task(user, title="t0", due_at=iso(base))
    t1 = await api.create_task(user, title="t1", due_at=iso(base + timedelta(hours=1)))
    t2 = await api.create_task(user, title="t2", due_at=iso(base + timedelta(hours=2)))
    await api.create_task(user, title="undated")
    one = base + timedelta(hours=1)

    assert set(await ids(api, user, due_after=iso(one))) == {t1["id"], t2["id"]}
    assert set(await ids(api, user, due_before=iso(one))) == {t0["id"]}
    assert set(await ids(api, user, due_after=iso(base), due_before=iso(one))) == {t0["id"]}
    both = await ids(api, user, due_after=iso(base), due_before=iso(base + timedelta(hours=2)))
    assert set(both) == {t0["id"], t1["id"]}
    assert await ids(api, user, due_after=iso(one), due_before=iso(one)) == []
    # The same instant written with another offset: the bounds compare instants.
    berlin = one.astimezone(ZoneInfo("Europe/Berlin"))
    assert set(await ids(api, user, due_after=berlin.isoformat())) == {t1["id"], t2["id"]}
    one_microsecond_later = iso(one + timedelta(microseconds=1))
    assert set(await ids(api, user, due_before=one_microsecond_later)) == {t0["id"], t1["id"]}


async def test_overdue_means_past_due_and_not_done(api: Api) -> None:
    user = await api.user()
    now = datetime.now(UTC)
    past_todo = await api.create_task(user, due_at=iso(now - timedelta(days=1)))
    past_doing = await api.create_task(
        user, status="in_progress", due_at=iso(now - timedelta(minutes=5))
    )
    await api.create_task(user, status="done", due_at=iso(now - timedelta(days=1)))
    await api.create_task(user, due_at=iso(now + timedelta(days=1)))
    await api.create_task(user)
    assert set(await ids(api, user, overdue="true")) == {past_todo["id"], past_doing["id"]}
    assert await ids(api, user, overdue="true", status="in_progress") == [past_doing["id"]]


# --- sorting -----------------------------------------------------------------------------------


async def _varied_tasks(api: Api, user: User) -> list[dict[str, Any]]:
    base = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    specs = [
        {"title": "banana", "priority": "low", "due_at": iso(base + timedelta(days=3))},
        {"title": "Apple", "priority": "urgent"},
        {"title": "cherry", "priority": "medium", "due_at": iso(base + timedelta(days=1))},
        {"title": "apricot", "priority": "high", "due_at": iso(base + timedelta(days=2))},
        {"title": "Blueberry", "priority": "low"},
        {"title": "date", "priority": "high", "due_at": iso(base)},
    ]
    created = [await api.create_task(user, **spec) for spec in specs]
    # Touch them in another order so updated_at differs from created_at.
    touched = []
    for index in (3, 0, 5, 1, 4, 2):
        response = await api.client.patch(
            f"{TASKS}/{created[index]['id']}",
            json={"description": f"touch {index}"},
            headers=user.headers,
        )
        assert response.status_code == 200, response.text
        touched.append(response.json())
    return touched


@pytest.mark.parametrize("sort", all_sorts())
async def test_each_sort_in_both_directions(api: Api, sort: str) -> None:
    user, items = await shared("varied", api, _varied_tasks)
    listed = await ids(api, user, sort=sort)
    assert listed == expected_order(items, sort)
    # Paged one by one, the same order.
    pages = await all_pages(api, user, limit=1, sort=sort)
    assert [t["id"] for p in pages for t in p] == listed


async def test_sort_specifics(api: Api) -> None:
    user, items = await shared("varied", api, _varied_tasks)
    by_id = {t["id"]: t for t in items}

    def titles(order: list[str]) -> list[str]:
        return [by_id[i]["title"] for i in order]

    # Case-insensitive, not ASCII (where "Blueberry" < "apricot").
    assert titles(await ids(api, user, sort="title")) == [
        "Apple",
        "apricot",
        "banana",
        "Blueberry",
        "cherry",
        "date",
    ]
    # By rank, not alphabetically (where "high" < "low" < "medium" < "urgent").
    priorities = [by_id[i]["priority"] for i in await ids(api, user, sort="-priority")]
    assert priorities == ["urgent", "high", "high", "medium", "low", "low"]
    priorities = [by_id[i]["priority"] for i in await ids(api, user, sort="priority")]
    assert priorities == ["low", "low", "medium", "high", "high", "urgent"]
    # Undated tasks last in both directions.
    ascending = titles(await ids(api, user, sort="due_at"))
    assert ascending[:4] == ["date", "cherry", "apricot", "banana"]
    assert set(ascending[4:]) == {"Apple", "Blueberry"}
    descending = titles(await ids(api, user, sort="-due_at"))
    assert descending[:4] == ["banana", "apricot", "cherry", "date"]
    assert set(descending[4:]) == {"Apple", "Blueberry"}
    # Updated order is the touch order, not the creation order.
    assert titles(await ids(api, user, sort="updated_at")) == [
        "apricot",
        "banana",
        "date",
        "Apple",
        "Blueberry",
        "cherry",
    ]


async def _tied_tasks(api: Api, ctx: AppContext, user: User) -> list[dict[str, Any]]:
    """13 tasks with many equal sort keys: same priorities, same due dates, titles equal but
    for case, and (set in the database) equal created_at and updated_at."""
    due = ["2031-01-01T09:00:00+00:00", "2031-01-02T09:00:00+00:00", None]
    priorities = ["high", "high", "low", "urgent"]
    titles = ["Same", "same", "SAME", "other"]
    created = []
    for i in range(13):
        spec: dict[str, Any] = {"title": titles[i % 4], "priority": priorities[i % 4]}
        if due[i % 3] is not None:
            spec["due_at"] = due[i % 3]
        created.append(await api.create_task(user, **spec))
    stamp = datetime(2031, 1, 1, 8, 0, tzinfo=UTC)
    groups = [created[0:5], created[5:9], created[9:]]
    async with ctx.db.transaction() as conn:
        for offset, group in enumerate(groups):
            when = stamp + timedelta(seconds=offset)
            await conn.execute(
                update(tasks)
                .where(tasks.c.id.in_([uuid.UUID(t["id"]) for t in group]))
                .values(created_at=when, updated_at=stamp + timedelta(seconds=2 - offset))
            )
    return [
        (await api.client.get(f"{TASKS}/{t['id']}", headers=user.headers)).json() for t in created
    ]


@pytest.mark.parametrize("sort", all_sorts())
async def test_pagination_with_ties_visits_every_task_once_in_order(
    api: Api, ctx: AppContext, sort: str
) -> None:
    user, items = await shared("tied", api, lambda api, user: _tied_tasks(api, ctx, user))
    one_page = await ids(api, user, sort=sort)
    assert one_page == expected_order(items, sort)
    pages = await all_pages(api, user, limit=2, sort=sort)
    assert [len(p) for p in pages] == [2, 2, 2, 2, 2, 2, 1]
    paged = [t["id"] for p in pages for t in p]
    assert sorted(paged) == sorted(t["id"] for t in items)
    assert paged == one_page
    # Filtered and paged at the same time.
    pages = await all_pages(api, user, limit=2, sort=sort, priority=["high", "urgent"])
    filtered = [t for t in items if t["priority"] in ("high", "urgent")]
    assert [t["id"] for p in pages for t in p] == expected_order(filtered, sort)
    # And by the primary key alone, never out of order (ties aside).
    key = primary_key(sort)
    by_id = {t["id"]: t for t in items}
    values = [key(by_id[i]) for i in paged if sort.lstrip("-") != "due_at" or by_id[i]["due_at"]]
    assert values == sorted(values, reverse=sort.startswith("-"))


# --- search ------------------------------------------------------------------------------------


async def _searchable(api: Api, user: User) -> dict[str, str]:
    specs = {
        "milk": {"title": "Buy oat milk"},
        "bread": {"title": "Bake bread", "description": "Use whole grain flour"},
        "plumber": {"title": "Call plumber", "description": "Ask about a leak in the kitchen"},
        "gym": {"title": "Go to the gym"},
        "similar": {"title": "Similar items"},
        "punctuation": {"title": "Re-read: O'Brien's notes, (draft)"},
    }
    return {name: (await api.create_task(user, **spec))["id"] for name, spec in specs.items()}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("mil", {"milk"}),
        ("milk", {"milk"}),
        ("MIL", {"milk"}),
        ("ilk", set()),
        ("OAT MIL", {"milk"}),
        ("mil oat", {"milk"}),
        ("oat bread", set()),
        ("  oat,  milk!  ", {"milk"}),
        ("flour", {"bread"}),
        ("grain bake", {"bread"}),
        ("LEAK", {"plumber"}),
        ("kitch", {"plumber"}),
        ("a", {"plumber"}),
        ("to", {"gym"}),
        ("the", {"plumber", "gym"}),
        ("the gym", {"gym"}),
        ("go to the", {"gym"}),
        ("in", {"plumber"}),
        ("i", {"plumber", "similar"}),
        ("it", {"similar"}),
        ("items", {"similar"}),
        ("sim", {"similar"}),
        ("b", {"milk", "bread", "punctuation"}),
        ("bre", {"bread"}),
        ("brien", {"punctuation"}),
        ("draft", {"punctuation"}),
        ("nothing", set()),
    ],
)
async def test_search_matches_word_prefixes(api: Api, q: str, expected: set[str]) -> None:
    user, named = await shared("searchable", api, _searchable)
    names = {v: k for k, v in named.items()}
    found = {names[i] for i in await ids(api, user, q=q)}
    assert found == expected, q


async def test_search_combines_with_filters_sort_and_paging(api: Api) -> None:
    user = await api.user()
    matches = [
        await api.create_task(user, title=f"Report {i}", priority=p)
        for i, p in enumerate(["low", "high", "medium", "high", "urgent"])
    ]
    await api.create_task(user, title="Unrelated", priority="high")
    await api.create_task(user, title="Repo", description="not a report? yes, a report")
    pages = await all_pages(api, user, limit=2, q="report", sort="-priority", priority="high")
    got = [t["id"] for p in pages for t in p]
    assert got == expected_order([matches[1], matches[3]], "-priority")
    everything = await ids(api, user, q="repor")
    assert len(everything) == 6


async def test_search_sees_changes(api: Api) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Walk the dog")
    assert await ids(api, user, q="dog") == [task["id"]]
    response = await api.client.patch(
        f"{TASKS}/{task['id']}",
        json={"title": "Feed the cat", "description": "Salmon"},
        headers=user.headers,
    )
    assert response.status_code == 200
    assert await ids(api, user, q="dog") == []
    assert await ids(api, user, q="cat salm") == [task["id"]]


@pytest.mark.parametrize("q", ["!!!", " ", "?-*+", "@@ ::"])
async def test_search_without_letters_or_digits_is_422(api: Api, q: str) -> None:
    user = await api.user()
    response = await api.client.get(TASKS, params={"q": q}, headers=user.headers)
    assert error_fields(assert_problem(response, 422, "validation-error")) == ["q"]


async def test_search_operators_are_plain_text(api: Api) -> None:
    """Characters that mean something to a full-text engine or a regex are not syntax."""
    user = await api.user()
    task = await api.create_task(user, title="Buy oat milk")
    for q in ("+milk", "milk*", "oat & milk", "oat | bread", '"oat milk"', "(mil)", "-bread mil"):
        response = await api.client.get(TASKS, params={"q": q}, headers=user.headers)
        assert response.status_code == 200, (q, response.text)
        expected = [] if "bread" in q else [task["id"]]
        assert [t["id"] for t in response.json()["items"]] == expected, q
