"""The shared cache (Redis): profiles, dashboard stats and session revocations; what happens
when Redis goes away mid-traffic and comes back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import insert, update

from tasklane.core.context import AppContext
from tasklane.core.types import utcnow, uuid7
from tasklane.settings import Settings
from tasklane.tasks.models import tasks
from tasklane.users.models import users
from tests.helpers import SAME_SITE, Api, assert_problem, refresh_cookie
from tests.servers import RedisServer, serving


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    if redis_server.process is None:
        redis_server.start()
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def cached_settings(settings: Settings, redis_server: RedisServer) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "redis_breaker_seconds": 0.2,
            "session_check_ttl_seconds": 300.0,
        }
    )


def _ctx(app: object) -> AppContext:
    return app.state.ctx  # type: ignore[attr-defined, no-any-return]


async def test_profile_is_served_from_the_cache_and_dropped_on_change(
    cached_settings: Settings, redis: aioredis.Redis
) -> None:
    async with serving(cached_settings) as (app, client):
        api = Api(client())
        user = await api.user()
        key = f"tl:v1:profile:{user.id}"
        assert await redis.get(key) is None
        first = await api.client.get("/api/v1/users/me", headers=user.headers)
        assert first.json()["name"] == "Test User"
        assert await redis.get(key) is not None  # miss: filled
        # Changed behind the API's back: the cached copy is what the API answers (a hit).
        async with _ctx(app).db.transaction() as conn:
            await conn.execute(update(users).where(users.c.email == user.email).values(name="X"))
        assert (await api.client.get("/api/v1/users/me", headers=user.headers)).json()[
            "name"
        ] == "Test User"
        # A change through the API drops the entry once committed: the next read is fresh.
        patched = await api.client.patch(
            "/api/v1/users/me", json={"name": "Grace"}, headers=user.headers
        )
        assert patched.status_code == 200
        assert await redis.get(key) is None
        assert (await api.client.get("/api/v1/users/me", headers=user.headers)).json()[
            "name"
        ] == "Grace"


async def test_dashboard_stats_are_cached_and_every_task_write_invalidates_them(
    cached_settings: Settings, redis: aioredis.Redis
) -> None:
    async with serving(cached_settings) as (app, client):
        api = Api(client())
        user = await api.user()
        task = await api.create_task(user, title="one")
        stats = (await api.client.get("/api/v1/tasks/stats", headers=user.headers)).json()
        assert stats["total"] == 1
        # A row written behind the API's back is not seen while the cached answer lives.
        now = utcnow()
        async with _ctx(app).db.transaction() as conn:
            await conn.execute(
                insert(tasks).values(
                    id=uuid7(),
                    user_id=uuid.UUID(user.id),
                    project_id=uuid.UUID(task["project_id"]),
                    title="direct",
                    description=None,
                    status="todo",
                    priority=2,
                    due_at=None,
                    completed_at=None,
                    tags=[],
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
        cached = (await api.client.get("/api/v1/tasks/stats", headers=user.headers)).json()
        assert cached["total"] == 1
        # Each kind of write through the API drops it.
        for method, path, body in (
            ("PATCH", f"/api/v1/tasks/{task['id']}", {"status": "done"}),
            ("POST", "/api/v1/tasks", {"title": "two"}),
            ("DELETE", f"/api/v1/tasks/{task['id']}", None),
        ):
            await api.client.get("/api/v1/tasks/stats", headers=user.headers)  # refill
            assert await redis.get(f"tl:v1:stats:{user.id}") is not None
            response = await api.client.request(method, path, json=body, headers=user.headers)
            assert response.status_code in (200, 201, 204), response.text
            assert await redis.get(f"tl:v1:stats:{user.id}") is None
        fresh = (await api.client.get("/api/v1/tasks/stats", headers=user.headers)).json()
        assert fresh["total"] == 2  # "direct" and "two"


async def test_a_logout_on_one_instance_is_refused_at_once_on_another(
    cached_settings: Settings, redis: aioredis.Redis
) -> None:
    async with serving(cached_settings) as (_, client_a), serving(cached_settings) as (_, client_b):
        api_a, api_b = Api(client_a()), Api(client_b())
        user = await api_a.user()
        # Instance B has checked the session and cached "valid" for 5 minutes...
        assert (await api_b.client.get("/api/v1/users/me", headers=user.headers)).status_code == 200
        logout = await api_a.client.post(
            "/api/v1/auth/logout",
            headers={**SAME_SITE, "Cookie": f"tasklane_refresh={user.refresh_token}"},
        )
        assert logout.status_code == 204
        # ...yet refuses the token right away: the revocation went through Redis.
        assert_problem(await api_b.client.get("/api/v1/users/me", headers=user.headers), 401)


async def test_redis_dying_mid_traffic_fails_no_request_and_caching_resumes(
    cached_settings: Settings, redis: aioredis.Redis, redis_server: RedisServer
) -> None:
    async with serving(cached_settings) as (_, client):
        api = Api(client())
        user = await api.user()
        failures: list[str] = []

        async def traffic(round_: int) -> None:
            calls = [
                await api.client.get("/api/v1/users/me", headers=user.headers),
                await api.client.get("/api/v1/tasks/stats", headers=user.headers),
                await api.client.get("/api/v1/tasks", headers=user.headers),
                await api.client.post(
                    "/api/v1/tasks", json={"title": f"t{round_}"}, headers=user.headers
                ),
            ]
            login = await api.login(user.email)
            calls.append(login)
            failures.extend(
                f"{r.request.url.path}: {r.status_code}" for r in calls if r.status_code >= 400
            )

        for round_ in range(3):
            await traffic(round_)
        redis_server.stop()  # Redis dies
        for round_ in range(3, 9):
            await traffic(round_)
        assert failures == []
        redis_server.start()  # and comes back, empty
        client_after = aioredis.Redis.from_url(redis_server.url)
        try:
            key = f"tl:v1:profile:{user.id}"
            for _ in range(50):  # the breaker lets a trial call through after 0.2 s
                await api.client.get("/api/v1/users/me", headers=user.headers)
                if await client_after.get(key) is not None:
                    break
                await asyncio.sleep(0.05)
            assert await client_after.get(key) is not None, "caching did not resume"
        finally:
            await client_after.aclose()
        listed = (await api.client.get("/api/v1/tasks?limit=100", headers=user.headers)).json()
        assert len(listed["items"]) == 9  # every acknowledged write is there


async def test_refresh_still_works_without_redis(
    cached_settings: Settings, redis_server: RedisServer, redis: aioredis.Redis
) -> None:
    async with serving(cached_settings) as (_, client):
        api = Api(client())
        user = await api.user()
        redis_server.stop()
        try:
            refreshed = await api.refresh(user.refresh_token)
            assert refreshed.status_code == 200, refreshed.text
            assert refresh_cookie(refreshed)
        finally:
            redis_server.start()
