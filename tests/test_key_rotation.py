"""Rotating the signing key while clients keep using their sessions: the new key is published
before it signs, the old one is kept until its tokens have expired, and no valid session
sees a 401 (docs/operations.md, "Rotating the signing key")."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tasklane.core.context import AppContext
from tasklane.settings import Settings
from tests.helpers import SAME_SITE, Api, refresh_cookie
from tests.services_support import JwksServer, served

CLIENTS = 6


def _keypair() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def _until(condition: object, what: str) -> None:
    for _ in range(600):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_rotating_the_key_under_load_ends_no_session(
    settings: Settings, tmp_path: Path
) -> None:
    old_private, old_public = _keypair()
    new_private, new_public = _keypair()
    async with contextlib.AsyncExitStack() as stack:
        auth_phases: list[tuple[httpx.AsyncClient, AppContext]] = []
        for private, extra in (
            (old_private, None),  # before
            (old_private, new_public),  # 1. the new key is published, the old one signs
            (new_private, old_public),  # 2. the new key signs, the old one still verifies
            (new_private, None),  # 3. once the old key's tokens have all expired
        ):
            auth_phases.append(
                await stack.enter_async_context(
                    served(
                        settings,
                        services=("auth",),
                        jwt_private_key=private,
                        jwt_extra_public_keys=extra,
                    )
                )
            )
        current = auth_phases[0]
        jwks = stack.enter_context(JwksServer(lambda: current[1].tokens.jwks))
        tasks, tasks_ctx = await stack.enter_async_context(
            served(
                settings,
                services=("tasks",),
                jwt_private_key=None,
                jwks_url=jwks.url,
                var_dir=tmp_path,
                jwks_refresh_seconds=1,
                # Only the periodic fetch may bring the new key: publishing ahead must do.
                jwks_refetch_min_seconds=3600,
            )
        )
        remote = tasks_ctx.tokens.remote
        assert remote is not None
        old_kid = auth_phases[0][1].tokens.jwks["keys"][0]["kid"]
        new_kid = auth_phases[2][1].tokens.jwks["keys"][0]["kid"]

        sessions = []
        for _ in range(CLIENTS):
            user = await Api(current[0]).user()
            sessions.append([user.access_token, user.refresh_token])
        seen: Counter[tuple[str, int]] = Counter()  # (kid, status) of each task request
        refreshes: Counter[int] = Counter()
        stop = asyncio.Event()

        async def client(session: list[str]) -> None:
            turn = 0
            while not stop.is_set():
                turn += 1
                kid = jwt.get_unverified_header(session[0])["kid"]
                headers = {"Authorization": f"Bearer {session[0]}"}
                listed = await tasks.get("/api/v1/tasks", headers=headers)
                seen[(kid, listed.status_code)] += 1
                if turn % 4 == 0:  # the web app refreshes when its token nears its end
                    cookie = {"Cookie": f"tasklane_refresh={session[1]}"}
                    refreshed = await current[0].post(
                        "/api/v1/auth/refresh", headers={**SAME_SITE, **cookie}
                    )
                    refreshes[refreshed.status_code] += 1
                    if refreshed.status_code == 200:
                        session[0] = refreshed.json()["access_token"]
                        session[1] = refresh_cookie(refreshed) or session[1]
                await asyncio.sleep(0)

        def served_with(kid: str) -> int:
            return sum(count for (k, _), count in seen.items() if k == kid)

        running = [asyncio.create_task(client(session)) for session in sessions]
        try:
            await _until(lambda: served_with(old_kid) >= 40, "load with the old key")
            # 1. Publish the new key; the verifiers pick it up before it signs anything.
            current = auth_phases[1]
            await _until(lambda: new_kid in remote.keys, "the tasks service knows the new key")
            # 2. Sign with the new key. Tokens signed with the old one are still in use.
            current = auth_phases[2]
            at_switch = served_with(old_kid)
            await _until(lambda: served_with(new_kid) >= 60, "load with the new key")
            await _until(
                lambda: all(jwt.get_unverified_header(s[0])["kid"] == new_kid for s in sessions),
                "every client refreshed",
            )
        finally:
            stop.set()
            await asyncio.gather(*running)

        statuses = {status for (_, status) in seen}
        assert statuses == {200}, seen
        assert set(refreshes) == {200}, refreshes
        assert served_with(old_kid) > at_switch  # the old key's tokens kept working after it
        assert jwks.hits >= 2

        # 3. After the longest token lifetime the old key goes: a token it signed (by then
        # none is unexpired) is refused; the current ones are not.
        claims = jwt.decode(sessions[0][0], options={"verify_signature": False})
        old_token, _ = auth_phases[0][1].tokens.issue_access_token(
            uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
        )
        current = auth_phases[3]
        await _until(lambda: old_kid not in remote.keys, "the old key is dropped")
        refused = await tasks.get("/api/v1/tasks", headers={"Authorization": f"Bearer {old_token}"})
        assert refused.status_code == 401
        accepted = await tasks.get(
            "/api/v1/tasks", headers={"Authorization": f"Bearer {sessions[0][0]}"}
        )
        assert accepted.status_code == 200
