"""One search on SQLite, MariaDB and PostgreSQL: every term of ``q`` must start a word of the
title or the description (after the start or a character that is not a letter, digit or
``_``), case-insensitively. The same questions, the same answers, in each pass of the suite."""

from __future__ import annotations

import pytest

from tests.helpers import Api, User

TASKS = {
    "node": ("Learn node.js", None),
    "snake": ("snake_case naming", None),
    "mail": ("Mail bob@example.com", None),
    "c": ("C programming", None),
    "case": ("Case study", "see https://example.org/docs"),
    "summer": ("Été à Paris", None),
}

QUESTIONS = {
    "js": {"node"},
    "node.js": {"node"},
    "example": {"mail", "case"},
    "c": {"mail", "c", "case"},  # "com" starts a word; "case" in "snake_case" does not
    "case": {"case"},
    "snake_case": {"snake"},
    "ÉTÉ": {"summer"},
    "par": {"summer"},
    "study example": {"case"},
    "js example": set(),
}


@pytest.mark.parametrize(("question", "expected"), QUESTIONS.items(), ids=list(QUESTIONS))
async def test_the_same_question_finds_the_same_tasks(
    api: Api, question: str, expected: set[str], searcher: tuple[User, dict[str, str]]
) -> None:
    user, ids = searcher
    params: dict[str, str | int] = {"q": question, "limit": 100}
    response = await api.client.get("/api/v1/tasks", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    found = {task["id"] for task in response.json()["items"]}
    names = {name for name, task_id in ids.items() if task_id in found}
    assert names == expected


@pytest.fixture(scope="module")
def made() -> dict[str, tuple[User, dict[str, str]]]:
    return {}


@pytest.fixture
async def searcher(
    api: Api, made: dict[str, tuple[User, dict[str, str]]]
) -> tuple[User, dict[str, str]]:
    """One user with the tasks above, made once for the module."""
    if not made:
        user = await api.user()
        ids = {}
        for name, (title, description) in TASKS.items():
            task = await api.create_task(user, title=title, description=description)
            ids[name] = task["id"]
        made["searcher"] = (user, ids)
    return made["searcher"]
