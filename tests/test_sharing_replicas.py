"""A removed member is refused on their next request even while the replica lags: the
caller's memberships are read from the primary when task reads go to a replica.

Runs with the replica tests' MariaDB pair, in the MariaDB pass (see tests/test_replicas.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from tasklane.core.types import utcnow
from tasklane.users.models import users
from tests.helpers import User
from tests.test_replicas import (
    Instance,
    Pair,
    delayed,
    one,
    pair,
    pytestmark,
    replica_settings,
    two,
)

__all__ = ["one", "pair", "pytestmark", "replica_settings", "two"]  # fixtures and the skip


async def _verified(instance: Instance) -> User:
    user = await instance.api.user()
    async with instance.ctx.db.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.id == uuid.UUID(user.id)).values(email_verified_at=utcnow())
        )
    return user


async def test_a_removed_member_is_refused_while_the_replica_lags(
    pair: Pair, one: Instance, two: Instance
) -> None:
    owner, member = await _verified(one), await _verified(one)
    created = await one.client.post(
        "/api/v1/projects", json={"name": "Shared"}, headers=owner.headers
    )
    project = created.json()
    added = await one.client.post(
        f"/api/v1/projects/{project['id']}/members",
        json={"email": member.email, "role": "editor"},
        headers=owner.headers,
    )
    assert added.status_code == 201, added.text
    task = await one.api.create_task(owner, project_id=project["id"])
    url = f"/api/v1/tasks/{task['id']}"
    async with delayed(pair, 30, one, two):
        # Instance two reads from the replica, which has the task and the membership.
        assert (await two.client.get(url, headers=member.headers)).status_code == 200
        removed = await one.client.delete(
            f"/api/v1/projects/{project['id']}/members/{member.id}", headers=owner.headers
        )
        assert removed.status_code == 204, removed.text
        # The replica still lists the member (30 s behind); the primary does not, and it is
        # the primary that is asked. Instance two has heard of no write by the member.
        assert (await two.client.get(url, headers=member.headers)).status_code == 404
        listed = await two.client.get("/api/v1/tasks", headers=member.headers)
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == []
        # The owner still reads the task through the replica.
        assert (await two.client.get(url, headers=owner.headers)).status_code == 200
