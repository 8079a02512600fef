"""A session ended while Redis is frozen stays ended when Redis comes back.

Redis keeps each session's last answer ("live, owned by this user") for
``session_check_ttl_seconds``. A logout during a Redis freeze cannot write "ended" there, so
when Redis resumes it still holds the old "live" answer. Every instance must not believe it:
an instance that saw Redis fail re-checks cached "live" answers against the database for a
while, and the instance that ended the session publishes the revocation once Redis answers.
The freeze is real: the private redis-server is stopped with SIGSTOP."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis

from tasklane.settings import Settings
from tests.helpers import SAME_SITE, Api, User
from tests.servers import RedisServer, serving

ME = "/api/v1/users/me"


@pytest.fixture
async def config(settings: Settings, redis_server: RedisServer) -> Settings:
    if redis_server.process is None:
        redis_server.start()
    client = aioredis.Redis.from_url(redis_server.url)
    await client.flushdb()
    await client.aclose()
    return settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "redis_timeout_seconds": 0.1,
            "redis_breaker_seconds": 0.2,
        }
    )


@pytest.fixture
def freezer(redis_server: RedisServer) -> Iterator[tuple[object, object]]:
    assert redis_server.process is not None
    pid = redis_server.process.pid

    def freeze() -> None:
        os.kill(pid, signal.SIGSTOP)

    def thaw() -> None:
        os.kill(pid, signal.SIGCONT)

    try:
        yield freeze, thaw
    finally:
        thaw()


async def _logout(api: Api, user: User) -> None:
    response = await api.client.post(
        "/api/v1/auth/logout",
        headers={**SAME_SITE, "Cookie": f"tasklane_refresh={user.refresh_token}"},
    )
    assert response.status_code == 204, response.text


async def _after_the_breaker() -> None:
    await asyncio.sleep(0.3)  # past redis_breaker_seconds: Redis is asked again


async def test_an_instance_that_saw_redis_fail_rechecks_the_database(
    config: Settings, freezer: tuple[object, object]
) -> None:
    freeze, thaw = freezer
    async with serving(config) as (_, client_a), serving(config) as (_, client_b):
        user = await Api(client_a()).user()
        b = client_b()
        assert (await b.get(ME, headers=user.headers)).status_code == 200  # "live" in Redis
        freeze()  # type: ignore[operator]
        try:
            await _logout(Api(client_a()), user)
            # During the freeze B cannot read Redis: the database answers, ended.
            assert (await b.get(ME, headers=user.headers)).status_code == 401
        finally:
            thaw()  # type: ignore[operator]
        await _after_the_breaker()
        # Redis is back with its old "live" answer; B does not believe it.
        for _ in range(3):
            assert (await b.get(ME, headers=user.headers)).status_code == 401


async def test_the_instance_that_ended_the_session_publishes_it_once_redis_answers(
    config: Settings, freezer: tuple[object, object]
) -> None:
    freeze, thaw = freezer
    async with serving(config) as (_, client_a), serving(config) as (_, client_b):
        user = await Api(client_a()).user()
        bystander = await Api(client_a()).user()
        b = client_b()
        assert (await b.get(ME, headers=user.headers)).status_code == 200  # "live" in Redis
        freeze()  # type: ignore[operator]
        try:
            await _logout(Api(client_a()), user)  # "ended" cannot reach Redis
        finally:
            thaw()  # type: ignore[operator]
        await _after_the_breaker()
        # A serves its next request (anyone's): the revocation reaches Redis. B, which never
        # saw Redis fail, reads it there.
        assert (await client_a().get(ME, headers=bystander.headers)).status_code == 200
        assert (await b.get(ME, headers=user.headers)).status_code == 401
        assert (await b.get(ME, headers=bystander.headers)).status_code == 200
