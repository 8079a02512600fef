"""TASKLANE_SERVICES: which routes a process serves, who holds the signing key, and how the
other services verify tokens with the auth service's JWKS."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from tasklane.settings import Settings
from tests.helpers import Api, assert_problem
from tests.services_support import JwksServer, served

ROUTES = {
    # path: the service that answers it
    "/api/v1/tasks": "tasks",
    "/api/v1/projects": "tasks",
    "/api/v1/auth/logout": "auth",
    "/api/v1/users/me": "auth",
    "/.well-known/jwks.json": "auth",
    "/api/v1/notifications": "notifications",
    "/api/v1/events": "notifications",
}


@pytest.mark.parametrize("service", ["auth", "tasks", "notifications"])
async def test_each_service_serves_its_own_routes_only(
    settings: Settings, api: Api, service: str, tmp_path: Path
) -> None:
    with JwksServer(lambda: {"keys": []}) as jwks:
        update = {"services": (service,), "var_dir": tmp_path}
        if service != "auth":
            update |= {"jwks_url": jwks.url, "jwt_private_key": None}
        async with served(settings, **update) as (client, _):
            for path, owner in ROUTES.items():
                method = "POST" if path.endswith("logout") else "GET"
                response = await client.request(method, path)
                if owner == service:
                    assert response.status_code != 404, (service, path)
                else:
                    assert_problem(response, 404)
            assert (await client.get("/livez")).status_code == 200
    # Only the auth service holds a signing key: the others never made one.
    assert (tmp_path / "jwt-ed25519.pem").exists() == (service == "auth")


def test_only_the_auth_service_may_hold_the_signing_key() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ValidationError, match="belongs to the auth service only"):
        Settings(services="tasks", jwks_url="http://auth/jwks", jwt_private_key=pem)
    with pytest.raises(ValidationError, match="TASKLANE_JWKS_URL is required"):
        Settings(services="tasks,notifications")
    both = Settings(services="notifications,tasks", jwks_url="http://auth/jwks")
    assert both.services == ("tasks", "notifications")
    assert Settings().services == ("auth", "tasks", "notifications")


def _forged(kid: str) -> str:
    now = int(time.time())
    claims = {
        "iss": "tasklane",
        "aud": "tasklane-api",
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    headers = {"kid": kid, "typ": "at+jwt"}
    return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers=headers)


async def test_tasks_service_verifies_with_the_jwks_and_forged_key_ids_cannot_make_it_fetch(
    settings: Settings, api: Api, app: object, tmp_path: Path
) -> None:
    auth = app.state.ctx  # type: ignore[attr-defined]  # the suite's app runs every service
    user = await api.user()
    with JwksServer(lambda: auth.tokens.jwks) as jwks:
        async with served(
            settings,
            services=("tasks",),
            jwks_url=jwks.url,
            jwt_private_key=None,
            var_dir=tmp_path,
            jwks_refetch_min_seconds=60,
        ) as (tasks, ctx):
            # A token the auth service issued is accepted, and the key set is cached.
            for _ in range(3):
                listed = await tasks.get("/api/v1/tasks", headers=user.headers)
                assert listed.status_code == 200, listed.text
            assert jwks.hits == 1
            with pytest.raises(RuntimeError, match="only the auth service signs"):
                ctx.tokens.issue_access_token(uuid.uuid4(), uuid.uuid4())

            # A stream of tokens naming unknown key ids: all refused, and they cost at most
            # one fetch of the key set per jwks_refetch_min_seconds (here none: the key set
            # was fetched at start, less than a minute ago).
            for _ in range(40):
                token = _forged(uuid.uuid4().hex)
                forged = await tasks.get(
                    "/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}
                )
                assert_problem(forged, 401)
            assert jwks.hits == 1
            # The genuine token still works.
            assert (await tasks.get("/api/v1/tasks", headers=user.headers)).status_code == 200


async def test_an_unknown_key_id_is_looked_up_once_when_the_interval_allows(
    settings: Settings, app: object, tmp_path: Path
) -> None:
    auth = app.state.ctx  # type: ignore[attr-defined]
    with JwksServer(lambda: auth.tokens.jwks) as jwks:
        async with served(
            settings,
            services=("tasks",),
            jwks_url=jwks.url,
            jwt_private_key=None,
            var_dir=tmp_path,
            jwks_refetch_min_seconds=1,
        ) as (tasks, ctx):
            assert ctx.tokens.remote is not None
            await ctx.tokens.remote.learn("warm-up")  # whatever the background did first
            fetched = jwks.hits
            await asyncio.sleep(1.05)  # past jwks_refetch_min_seconds
            # Twenty requests at once with a forged key id: one fetch between them.
            headers = {"Authorization": f"Bearer {_forged('forged-kid')}"}
            answers = await asyncio.gather(
                *(tasks.get("/api/v1/tasks", headers=headers) for _ in range(20))
            )
            assert {answer.status_code for answer in answers} == {401}
            assert jwks.hits == fetched + 1


def _worker_loops() -> int:
    return sum("Worker.run" in repr(task.get_coro()) for task in asyncio.all_tasks())


@pytest.mark.parametrize(("service", "runs_worker"), [("tasks", False), ("notifications", True)])
async def test_the_embedded_worker_runs_with_the_notification_service_only(
    settings: Settings, app: object, tmp_path: Path, service: str, runs_worker: bool
) -> None:
    auth = app.state.ctx  # type: ignore[attr-defined]
    before = _worker_loops()
    with JwksServer(lambda: auth.tokens.jwks) as jwks:
        async with served(
            settings,
            services=(service,),
            worker_embedded=True,
            jwks_url=jwks.url,
            jwt_private_key=None,
            var_dir=tmp_path,
        ):
            assert _worker_loops() - before == int(runs_worker)


async def test_a_service_is_not_ready_until_it_has_read_the_key_set(
    settings: Settings, api: Api, app: object, tmp_path: Path
) -> None:
    """While the auth service's key set cannot be read, a tasks process answers /readyz with
    503 (a load balancer sends it nothing it would refuse); it keeps trying well within
    jwks_refetch_min_seconds, and is ready and accepts tokens once the key set is served."""
    auth = app.state.ctx  # type: ignore[attr-defined]
    user = await api.user()
    published = False
    with JwksServer(lambda: auth.tokens.jwks if published else {"keys": []}) as jwks:
        async with served(
            settings,
            services=("tasks",),
            jwks_url=jwks.url,
            jwt_private_key=None,
            var_dir=tmp_path,
            jwks_refetch_min_seconds=600,
        ) as (tasks, _):
            for _ in range(100):  # the fetch at start has been answered
                if jwks.hits:
                    break
                await asyncio.sleep(0.05)
            assert_problem(await tasks.get("/readyz"), 503)
            published = True
            for _ in range(200):
                ready = await tasks.get("/readyz")
                if ready.status_code == 200:
                    break
                assert_problem(ready, 503)
                await asyncio.sleep(0.05)
            assert ready.status_code == 200, ready.text
            assert jwks.hits >= 2
            listed = await tasks.get("/api/v1/tasks", headers=user.headers)
            assert listed.status_code == 200, listed.text
