"""API bugs the reliability suites found, kept as regression tests. An open bug is a strict
xfail here (with its entry in test_schemathesis' KNOWN_BUGS while it lasts); fixing it fails
the xfail, and the marker and the entry go."""

from __future__ import annotations

import pytest

from tests.helpers import Api, assert_problem


@pytest.mark.parametrize(
    ("path", "methods"),
    [("/api/v1/users/me", {"GET", "PATCH", "DELETE"}), ("/api/v1/tasks/{id}", None)],
)
async def test_a_405_lists_every_method_of_the_resource(
    api: Api, path: str, methods: set[str] | None
) -> None:
    """bug-405-allow (fixed): Allow named only the first route's methods (RFC 9110 15.5.6)."""
    user = await api.user()
    if "{id}" in path:
        task = await api.create_task(user)
        path = path.replace("{id}", task["id"])
        methods = {"GET", "PATCH", "DELETE"}
    response = await api.client.put(path, headers=user.headers)
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert methods is not None
    assert methods <= allowed, response.headers["allow"]


@pytest.mark.parametrize(("method", "path"), [("PATCH", "stats"), ("DELETE", "bulk")])
async def test_an_unsupported_method_on_a_fixed_task_path_is_405(
    api: Api, method: str, path: str
) -> None:
    """bug-sibling-422 (fixed): it fell through to /tasks/{task_id} and answered 422."""
    user = await api.user()
    response = await api.client.request(method, f"/api/v1/tasks/{path}", headers=user.headers)
    assert_problem(response, 405)


@pytest.mark.parametrize("where", ["query", "body"])
async def test_an_instant_given_as_a_number_is_refused(api: Api, where: str) -> None:
    """bug-instant-number (fixed): a Unix time was read as an instant."""
    user = await api.user()
    if where == "query":
        response = await api.client.get(
            "/api/v1/tasks", params={"due_before": "0.5"}, headers=user.headers
        )
    else:
        response = await api.client.post(
            "/api/v1/tasks", json={"title": "x", "due_at": 1_700_000_000}, headers=user.headers
        )
    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize("field", ["title", "description"])
async def test_a_nul_in_a_text_field_is_stored_or_refused_never_a_5xx(api: Api, field: str) -> None:
    """bug-pg-nul (fixed): on PostgreSQL a NUL reached the database, which refused it (503)."""
    user = await api.user()
    body = {"title": "a title", field: "before\x00after"}
    response = await api.client.post("/api/v1/tasks", json=body, headers=user.headers)
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        assert response.json()[field] == "before\x00after"
    else:
        assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize(
    "body", [{"title": "same"}, {"priority": "medium"}, {"description": None}, {"tags": []}]
)
async def test_a_patch_that_changes_nothing_keeps_the_version(
    api: Api, body: dict[str, object]
) -> None:
    """bug-noop-version (fixed): an unchanged value counted as a change, but for status."""
    user = await api.user()
    task = await api.create_task(user, title="same")
    control = await api.client.patch(
        f"/api/v1/tasks/{task['id']}", json={"status": "todo"}, headers=user.headers
    )
    assert control.json()["version"] == 1  # an unchanged status is no change
    response = await api.client.patch(
        f"/api/v1/tasks/{task['id']}", json=body, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1
    assert response.json()["updated_at"] == task["updated_at"]


@pytest.mark.parametrize("value", [0, 1, "no", "true"])
async def test_a_boolean_field_refuses_numbers_and_strings(api: Api, value: object) -> None:
    user = await api.user()
    response = await api.client.patch(
        "/api/v1/users/me", json={"preferences": {"show_completed": value}}, headers=user.headers
    )
    assert_problem(response, 422, "validation-error")
