from __future__ import annotations

from tests.helpers import Api, assert_problem, assert_task


async def test_register_login_and_task_roundtrip(api: Api) -> None:
    user = await api.user()
    me = await api.client.get("/api/v1/users/me", headers=user.headers)
    assert me.status_code == 200, me.text
    assert me.json()["email"] == user.email
    task = await api.create_task(user, title="Buy oat milk", tags=["Shopping"], priority="high")
    assert task["tags"] == ["shopping"]
    assert task["priority"] == "high"
    got = await api.client.get(f"/api/v1/tasks/{task['id']}", headers=user.headers)
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'
    assert_task(got.json())
    listed = await api.client.get("/api/v1/tasks", params={"q": "mil"}, headers=user.headers)
    assert listed.status_code == 200, listed.text
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]
    patched = await api.client.patch(
        f"/api/v1/tasks/{task['id']}", json={"status": "done"}, headers=user.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["completed_at"] is not None
    stats = await api.client.get("/api/v1/tasks/stats", headers=user.headers)
    assert stats.status_code == 200, stats.text
    assert stats.json()["by_status"]["done"] == 1
    other = await api.user()
    assert_problem(await api.client.get(f"/api/v1/tasks/{task['id']}", headers=other.headers), 404)
