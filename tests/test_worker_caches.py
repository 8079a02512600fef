"""The caches that must agree do agree between the worker processes of one instance, without
Redis: a real ``tasklane serve --workers 2``, every request on a new connection, so both
workers take some. Each worker fills its own copies; a change taken by either one is what
both answer next (a profile's time zone, the dashboard counts, a session ended).

The worker processes share an instance store under the instance's ``var_dir``
(``core.cache.InstanceStore``); the database makes no difference to it, so this runs once, in
the SQLite pass (or wherever TASKLANE_TEST_WORKER_CACHES=1).
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from tests.helpers import ORIGIN, PASSWORD, SAME_SITE, unique_email

KIND = os.environ.get("TASKLANE_TEST_DATABASE", "sqlite")
pytestmark = pytest.mark.skipif(
    KIND != "sqlite" and os.environ.get("TASKLANE_TEST_WORKER_CACHES") != "1",
    reason="what the workers share does not depend on the database: run in the sqlite pass",
)

READS = 12  # per check: on new connections, over both workers


def fresh() -> httpx.Client:
    return httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def test_workers_agree_on_profiles_counts_and_ended_sessions(make_instance: Any) -> None:
    base = (
        make_instance(
            workers=2,
            TASKLANE_SESSION_CHECK_TTL_SECONDS="300",
            TASKLANE_ALLOWED_ORIGINS=ORIGIN,
        )
        .instances[0]
        .url
    )
    email = unique_email()
    with fresh() as client:
        registered = client.post(
            f"{base}/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "name": "Two Workers"},
        )
        assert registered.status_code == 201, registered.text
        login = client.post(
            f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def answers(path: str, key: str) -> list[Any]:
            out = []
            for _ in range(READS):
                response = client.get(f"{base}{path}", headers=headers)
                out.append(response.json().get(key) if response.status_code == 200 else None)
            return out

        # Both workers fill their copies.
        assert answers("/api/v1/users/me", "timezone") == ["UTC"] * READS
        assert answers("/api/v1/tasks/stats", "total") == [0] * READS

        changed = client.patch(
            f"{base}/api/v1/users/me", json={"timezone": "Europe/Paris"}, headers=headers
        )
        assert changed.status_code == 200, changed.text
        assert answers("/api/v1/users/me", "timezone") == ["Europe/Paris"] * READS

        created = client.post(f"{base}/api/v1/tasks", json={"title": "counted"}, headers=headers)
        assert created.status_code == 201, created.text
        assert answers("/api/v1/tasks/stats", "total") == [1] * READS

        # Sessions: checked once, then "still valid" is cached for 300 s here. Ended on one
        # worker, the token is refused on both at once.
        ended = client.post(f"{base}/api/v1/auth/logout-all", headers={**SAME_SITE, **headers})
        assert ended.status_code == 204, ended.text
        statuses = [
            client.get(f"{base}/api/v1/tasks", headers=headers).status_code for _ in range(READS)
        ]
        assert statuses == [401] * READS
