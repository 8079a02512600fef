"""A Hypothesis state machine over the task life cycle: create, update with and without
If-Match, complete and reopen, delete, bulk, and the list with filters, against a model kept
here. Invariants: the list shows exactly the model; each change adds one to the version; a
412 changes nothing; someone else's task is always a 404. Plus edge inputs: dates at the ends
of the range and the extreme offsets, odd strings, and cursors that are not the API's own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import KIND
from tests.helpers import Api, User, assert_problem
from tests.reliability import figures
from tests.reliability.strategies import (
    HAND_MADE_CURSORS,
    TITLES,
    expected_title,
    instants,
)
from tests.reliability.support import LONG, SEED, OnLoop, examples

TASKS = "/api/v1/tasks"


STATUSES = ("todo", "in_progress", "done")
PRIORITIES = ("low", "medium", "high", "urgent")


#: The short form does not shrink (a failure shows the sequence as found, at once); the long
#: one does.
NO_SHRINK = tuple(Phase) if LONG else tuple(p for p in Phase if p != Phase.shrink)


def profile(short: int, long: int, steps: tuple[int, int] = (25, 60)) -> settings:
    return settings(
        max_examples=examples(short, long),
        stateful_step_count=steps[1] if LONG else steps[0],
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        phases=NO_SHRINK,
    )


class Env:
    """What a machine needs: a way onto the session loop, the client, and a user factory."""

    def __init__(self, on_loop: OnLoop, api: Api, intruder: User) -> None:
        self.on_loop = on_loop
        self.api = api
        self.intruder = intruder
        self.steps = 0

    def call(self, method: str, path: str, user: User, **kwargs: Any) -> httpx.Response:
        self.steps += 1
        headers = {**user.headers, **kwargs.pop("headers", {})}
        return self.on_loop(self.api.client.request(method, path, headers=headers, **kwargs))


class TaskLifecycle(RuleBasedStateMachine):
    env: ClassVar[Env]

    def __init__(self) -> None:
        super().__init__()
        self.user = self.env.on_loop(self.env.api.user())
        self.model: dict[str, dict[str, Any]] = {}

    # -- helpers -------------------------------------------------------------------------
    def remember(self, task: dict[str, Any]) -> None:
        self.model[task["id"]] = task

    def current(self, task_id: str) -> dict[str, Any]:
        response = self.env.call("GET", f"{TASKS}/{task_id}", self.user)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == f'"{response.json()["version"]}"'
        return response.json()

    def listed(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 7, **({"cursor": cursor} if cursor else {})}
            response = self.env.call("GET", TASKS, self.user, params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    # -- rules ---------------------------------------------------------------------------
    @rule(
        title=TITLES,
        priority=st.sampled_from(PRIORITIES),
        status=st.sampled_from(STATUSES),
        due=st.one_of(st.none(), instants()),
    )
    def create(
        self, title: str, priority: str, status: str, due: tuple[str, datetime | None] | None
    ) -> None:
        body: dict[str, Any] = {"title": title, "priority": priority, "status": status}
        if due is not None:
            body["due_at"] = due[0]
        response = self.env.call("POST", TASKS, self.user, json=body)
        stored = expected_title(title)
        if stored is None or (due is not None and due[1] is None):
            assert_problem(response, 422, "validation-error")
            return
        assert response.status_code == 201, response.text
        task = response.json()
        assert task["title"] == stored
        assert task["version"] == 1
        assert (task["completed_at"] is not None) == (status == "done")
        if due is not None:
            assert due[1] is not None
            assert datetime.fromisoformat(task["due_at"]) == due[1]
        self.remember(task)

    @precondition(lambda self: self.model)
    @rule(
        data=st.data(),
        change=st.fixed_dictionaries(
            {},
            optional={
                "title": st.text(min_size=1, max_size=20).filter(expected_title),
                "priority": st.sampled_from(PRIORITIES),
                "status": st.sampled_from(STATUSES),
                "description": st.one_of(st.none(), st.text(max_size=30)),
            },
        ),
        if_match=st.sampled_from(["none", "current", "weak", "stale"]),
    )
    def update(self, data: st.DataObject, change: dict[str, Any], if_match: str) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.model)))
        old = self.model[task_id]
        headers = {}
        if if_match == "current":
            headers["If-Match"] = f'"{old["version"]}"'
        elif if_match == "weak":
            headers["If-Match"] = f'W/"{old["version"]}"'
        elif if_match == "stale":
            headers["If-Match"] = f'"{old["version"] - 1}"'
        response = self.env.call(
            "PATCH", f"{TASKS}/{task_id}", self.user, json=change, headers=headers
        )
        if any(isinstance(v, str) and "\x00" in v for v in change.values()):
            # Every database cannot store a NUL: it is refused everywhere.
            assert_problem(response, 422, "validation-error")
            assert self.current(task_id) == old  # a refused change changes nothing
            return
        if if_match == "stale":
            body = assert_problem(response, 412, "precondition-failed")
            assert body["current"]["version"] == old["version"]
            assert self.current(task_id) == old  # a 412 changes nothing
            return
        assert response.status_code == 200, response.text
        task = response.json()
        wanted = {k: expected_title(v) if k == "title" else v for k, v in change.items()}
        changed = any(old[key] != value for key, value in wanted.items())
        # A change adds one to the version; a PATCH that changes no value adds nothing.
        assert task["version"] == old["version"] + changed, (old, change, task)
        for key in change:
            assert task[key] == wanted[key]
        if "status" in change:
            assert (task["completed_at"] is not None) == (change["status"] == "done")
        self.remember(task)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), done=st.booleans())
    def complete_or_reopen(self, data: st.DataObject, done: bool) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.model)))
        old = self.model[task_id]
        status = "done" if done else "todo"
        response = self.env.call("PATCH", f"{TASKS}/{task_id}", self.user, json={"status": status})
        assert response.status_code == 200, response.text
        task = response.json()
        assert task["status"] == status
        assert (task["completed_at"] is not None) == done
        assert task["version"] == old["version"] + (old["status"] != status)
        self.remember(task)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), with_if_match=st.booleans())
    def delete(self, data: st.DataObject, with_if_match: bool) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.model)))
        headers = {"If-Match": f'"{self.model[task_id]["version"]}"'} if with_if_match else {}
        response = self.env.call("DELETE", f"{TASKS}/{task_id}", self.user, headers=headers)
        assert response.status_code == 204, response.text
        del self.model[task_id]
        assert_problem(self.env.call("GET", f"{TASKS}/{task_id}", self.user), 404, "not-found")

    @precondition(lambda self: self.model)
    @rule(data=st.data(), action=st.sampled_from(["set_status", "delete"]))
    def bulk(self, data: st.DataObject, action: str) -> None:
        ids = data.draw(st.lists(st.sampled_from(sorted(self.model)), min_size=1, unique=True))
        body: dict[str, Any] = {"action": action, "ids": ids}
        if action == "set_status":
            body["status"] = data.draw(st.sampled_from(STATUSES))
        response = self.env.call("POST", f"{TASKS}/bulk", self.user, json=body)
        assert response.status_code == 200, response.text
        result = response.json()
        if action == "delete":
            for task_id in ids:
                del self.model[task_id]
            return
        for task in result["items"]:
            old = self.model[task["id"]]
            assert task["status"] == body["status"]
            assert task["version"] == old["version"] + (old["status"] != body["status"])
            self.remember(task)
        assert {task["id"] for task in result["items"]} <= set(ids)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), method=st.sampled_from(["GET", "PATCH", "DELETE"]))
    def someone_else(self, data: st.DataObject, method: str) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.model)))
        kwargs: dict[str, Any] = {"json": {"title": "mine now"}} if method == "PATCH" else {}
        response = self.env.call(method, f"{TASKS}/{task_id}", self.env.intruder, **kwargs)
        assert_problem(response, 404, "not-found")
        bulk = self.env.call(
            "POST",
            f"{TASKS}/bulk",
            self.env.intruder,
            json={"action": "delete", "ids": [task_id]},
        )
        assert_problem(bulk, 404, "not-found")
        assert self.current(task_id) == self.model[task_id]

    @rule(
        statuses=st.lists(st.sampled_from(STATUSES), unique=True, max_size=2),
        priorities=st.lists(st.sampled_from(PRIORITIES), unique=True, max_size=2),
        sort=st.sampled_from(["-created_at", "title", "-priority", "due_at", "-updated_at"]),
    )
    def list_with_filters(self, statuses: list[str], priorities: list[str], sort: str) -> None:
        params: dict[str, Any] = {"sort": sort}
        if statuses:
            params["status"] = statuses
        if priorities:
            params["priority"] = priorities
        expected = {
            task_id: task
            for task_id, task in self.model.items()
            if (not statuses or task["status"] in statuses)
            and (not priorities or task["priority"] in priorities)
        }
        items = self.listed(params)
        assert len(items) == len({item["id"] for item in items}), "a task listed twice"
        assert {item["id"]: item for item in items} == expected

    @rule(cursor=HAND_MADE_CURSORS, sort=st.sampled_from(["-created_at", "title"]))
    def foreign_cursor(self, cursor: str, sort: str) -> None:
        response = self.env.call("GET", TASKS, self.user, params={"cursor": cursor, "sort": sort})
        if response.status_code != 200:
            assert_problem(response, 422, "validation-error")

    @precondition(lambda self: len(self.model) > 2)
    @rule()
    def cursor_from_another_sort(self) -> None:
        first = self.env.call("GET", TASKS, self.user, params={"limit": 1, "sort": "title"})
        assert first.status_code == 200, first.text
        cursor = first.json()["next_cursor"]
        assert cursor
        response = self.env.call(
            "GET", TASKS, self.user, params={"limit": 1, "sort": "-priority", "cursor": cursor}
        )
        assert_problem(response, 422, "validation-error")

    @invariant()
    def the_list_is_the_model(self) -> None:
        items = self.listed({})
        assert {item["id"]: item for item in items} == self.model


async def test_task_life_cycle_state_machine(api: Api) -> None:
    env = Env(OnLoop(asyncio.get_running_loop()), api, await api.user())
    TaskLifecycle.env = env
    config = profile(8, 100)
    await asyncio.to_thread(run_state_machine_as_test, TaskLifecycle, settings=config)
    figures.record(
        f"task-state-machine-{KIND}",
        {"machines": config.max_examples, "requests": env.steps, "failures": 0},
    )


async def test_dates_at_the_edges_round_trip_or_are_refused(api: Api) -> None:
    user = await api.user()
    on_loop = OnLoop(asyncio.get_running_loop())
    seen = 0

    @settings(
        max_examples=examples(40, 400),
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=NO_SHRINK,
    )
    @given(due=instants(), filter_name=st.sampled_from(["due_before", "due_after"]))
    def check(due: tuple[str, datetime | None], filter_name: str) -> None:
        nonlocal seen
        seen += 1
        text, stored = due
        created = on_loop(
            api.client.post(TASKS, json={"title": "edge", "due_at": text}, headers=user.headers)
        )
        listed = on_loop(api.client.get(TASKS, params={filter_name: text}, headers=user.headers))
        if stored is None:
            assert_problem(created, 422, "validation-error")
            assert_problem(listed, 422, "validation-error")
            return
        assert created.status_code == 201, created.text
        assert datetime.fromisoformat(created.json()["due_at"]) == stored
        assert listed.status_code == 200, listed.text
        for item in listed.json()["items"]:
            when = datetime.fromisoformat(item["due_at"]).astimezone(UTC)
            assert when < stored if filter_name == "due_before" else when >= stored
        on_loop(api.client.delete(f"{TASKS}/{created.json()['id']}", headers=user.headers))

    await asyncio.to_thread(check)
    figures.record(f"date-edges-{KIND}", {"examples": seen, "failures": 0, "seed": SEED})
