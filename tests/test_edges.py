"""Dates and cursors at their edges: every one answers a 422 problem, never a 500.

Instants are accepted between the years 1970 and 9999 in UTC: beyond them a conversion to
UTC overflows (``9999-12-31T23:59:59-14:00`` is in the year 10000) or a database cannot hold
the value. Cursors are checked value by value, so a hand-made one is refused like a
malformed one."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest

from tasklane.settings import Settings
from tests.helpers import PASSWORD, Api, User, assert_problem, unique_email

TASKS = "/api/v1/tasks"
OUT_OF_RANGE = [
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "1969-12-31T23:59:59Z",
    "1900-01-01T00:00:00+00:00",
]
IN_RANGE = ["1970-01-01T00:00:00Z", "9999-12-31T09:59:59-14:00", "2026-12-03T09:00:00+01:00"]


def _cursor(listing: str, position: list[Any]) -> str:
    payload = orjson.dumps({"v": 1, "k": listing, "p": position})
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_due_dates_out_of_range_are_refused_everywhere(api: Api, value: str) -> None:
    user = await api.user()
    created = await api.client.post(
        TASKS, json={"title": "Far", "due_at": value}, headers=user.headers
    )
    assert assert_problem(created, 422, "validation-error")["errors"][0]["field"].endswith("due_at")
    task = await api.create_task(user, title="Near")
    patched = await api.client.patch(
        f"{TASKS}/{task['id']}", json={"due_at": value}, headers=user.headers
    )
    assert_problem(patched, 422, "validation-error")
    for name in ("due_after", "due_before"):
        listed = await api.client.get(TASKS, params={name: value}, headers=user.headers)
        assert_problem(listed, 422, "validation-error")
    # Nothing changed.
    again = await api.client.get(f"{TASKS}/{task['id']}", headers=user.headers)
    assert again.json()["due_at"] is None


@pytest.mark.parametrize("value", IN_RANGE)
async def test_due_dates_at_the_range_edges_round_trip(api: Api, value: str) -> None:
    user = await api.user()
    task = await api.create_task(user, title="Edge", due_at=value)
    listed = await api.client.get(TASKS, params={"due_after": value}, headers=user.headers)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]


TASK_CURSORS = [
    ("tasks:-created_at", ["2026-01-01T00:00:00", "01890a5d-ac96-774b-bcce-b302099a8057"]),
    ("tasks:-created_at", ["9999-12-31T23:59:59-14:00", "01890a5d-ac96-774b-bcce-b302099a8057"]),
    ("tasks:-created_at", ["2026-01-01T00:00:00Z", "not-a-uuid"]),
    ("tasks:-created_at", ["2026-01-01T00:00:00Z"]),
    ("tasks:-created_at", [None, "01890a5d-ac96-774b-bcce-b302099a8057"]),
    ("tasks:priority", [2**40, "01890a5d-ac96-774b-bcce-b302099a8057"]),
    ("tasks:priority", [True, "01890a5d-ac96-774b-bcce-b302099a8057"]),
    ("tasks:title", [{"a": 1}, "01890a5d-ac96-774b-bcce-b302099a8057"]),
    ("tasks:title", ["x" * 5000, "01890a5d-ac96-774b-bcce-b302099a8057"]),
    ("tasks:due_at", [0, "0001-01-01T00:00:00+14:00", "01890a5d-ac96-774b-bcce-b302099a8057"]),
]


@pytest.mark.parametrize(("listing", "position"), TASK_CURSORS)
async def test_hand_made_task_cursors_are_refused(
    api: Api, listing: str, position: list[Any]
) -> None:
    user = await api.user()
    sort = listing.split(":", 1)[1]
    cursor = _cursor(listing, position)
    response = await api.client.get(
        TASKS, params={"sort": sort, "cursor": cursor[:512]}, headers=user.headers
    )
    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize(
    "position",
    [
        ["2026-01-01T00:00:00", "01890a5d-ac96-774b-bcce-b302099a8057"],  # naive
        ["0001-01-01T00:00:00+14:00", "01890a5d-ac96-774b-bcce-b302099a8057"],
        [12, "01890a5d-ac96-774b-bcce-b302099a8057"],
        ["2026-01-01T00:00:00Z", 7],
        [],
    ],
)
async def test_hand_made_users_cursors_are_refused(
    api: Api, admin: User, position: list[Any]
) -> None:
    response = await api.client.get(
        "/api/v1/users", params={"cursor": _cursor("users", position)}, headers=admin.headers
    )
    assert_problem(response, 422, "validation-error")


async def test_issued_cursors_still_page_through(api: Api, settings: Settings) -> None:
    """The checks refuse only what the API does not issue: every sort pages to the end."""
    user = await api.user(unique_email(), PASSWORD)
    for n in range(5):
        await api.create_task(user, title=f"t{n}", due_at=f"2027-01-0{n + 1}T10:00:00+02:00")
    await api.create_task(user, title="undated")
    for sort in ("-created_at", "updated_at", "due_at", "-due_at", "priority", "-title"):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = await api.client.get(TASKS, params=params, headers=user.headers)
            assert page.status_code == 200, page.text
            seen += [t["id"] for t in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 6, sort
