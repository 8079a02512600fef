"""Accounts and sessions as a user (or an attacker) meets them: registration, login, the refresh
cookie and its rotation, logging out."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import argon2
import httpx
import pytest
from sqlalchemy import select, update

from tasklane.auth.models import refresh_tokens, sessions
from tasklane.core.context import AppContext
from tasklane.core.security import hash_refresh_token
from tasklane.settings import Settings
from tasklane.users.models import users
from tests.helpers import (
    PASSWORD,
    SAME_SITE,
    USER_FIELDS,
    Api,
    User,
    assert_problem,
    refresh_cookie,
    unique_email,
)

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"


def fullwidth(text: str) -> str:
    """The fullwidth forms of printable ASCII (what a CJK input method may type)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def cookie_attributes(response: httpx.Response) -> dict[str, Any]:
    """The attributes of the refresh cookie set by ``response`` (value included)."""
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if "tasklane_refresh" in jar:
            morsel = jar["tasklane_refresh"]
            return {"value": morsel.value, **{k: v for k, v in morsel.items() if v != ""}}
    raise AssertionError(f"no refresh cookie in {response.headers.get_list('set-cookie')}")


async def assert_refused(client: httpx.AsyncClient, access_token: str) -> None:
    """The token opens nothing: neither the profile nor the task list (which, unlike the
    profile, does not look the account up)."""
    for path in (ME, "/api/v1/tasks"):
        response = await client.get(path, headers={"Authorization": f"Bearer {access_token}"})
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def assert_accepted(client: httpx.AsyncClient, access_token: str, email: str) -> None:
    response = await client.get(ME, headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == email


async def logout(api: Api, token: str | None, **headers: str) -> httpx.Response:
    cookie = {"Cookie": f"tasklane_refresh={token}"} if token else {}
    return await api.client.post(f"{AUTH}/logout", headers={**SAME_SITE, **cookie, **headers})


async def logout_all(api: Api, user: User, **headers: str) -> httpx.Response:
    return await api.client.post(
        f"{AUTH}/logout-all",
        headers={
            **SAME_SITE,
            **user.headers,
            "Cookie": f"tasklane_refresh={user.refresh_token}",
            **headers,
        },
    )


async def second_login(api: Api, user: User) -> User:
    """Another session (another device) of the same account."""
    response = await api.login(user.email, user.password)
    assert response.status_code == 200, response.text
    token = refresh_cookie(response)
    assert token
    other = User(user.email, user.password, response.json()["access_token"], token)
    other.id = user.id
    return other


# ---------------------------------------------------------------------------------------------
# Registration


async def test_register_answers_the_profile_without_secrets(api: Api) -> None:
    email = unique_email("Reg")
    response = await api.register(email, name="  Ada Lovelace  ")
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == USER_FIELDS
    assert uuid.UUID(body["id"])
    assert body["email"] == email.lower()
    assert body["name"] == "Ada Lovelace"
    assert body["role"] == "user"
    assert body["timezone"] == "UTC"
    assert body["preferences"]["theme"] == "system"
    assert PASSWORD not in response.text
    assert "argon2" not in response.text
    assert "password" not in response.text


async def test_register_refuses_a_taken_email_whatever_its_case(api: Api) -> None:
    local = f"Foo-{uuid.uuid4().hex[:10]}"
    first = await api.register(f"{local}@Example.com")
    assert first.status_code == 201, first.text
    for variant in (f"{local.lower()}@example.com", f"{local.upper()}@EXAMPLE.COM"):
        assert_problem(await api.register(variant), 409, "conflict")
    # The first account is untouched and logs in with any case too.
    login = await api.login(f"{local.lower()}@EXAMPLE.com")
    assert login.status_code == 200, login.text


async def test_register_refuses_an_invalid_email_naming_the_field(api: Api) -> None:
    body = assert_problem(await api.register("not-an-email"), 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["email"]


async def test_register_refuses_unknown_fields(api: Api) -> None:
    # Mass assignment: a caller cannot make itself an administrator.
    response = await api.client.post(
        f"{AUTH}/register",
        json={"email": unique_email(), "password": PASSWORD, "name": "Eve", "role": "admin"},
    )
    body = assert_problem(response, 422, "validation-error")
    assert body["errors"] == [{"field": "role", "message": "Unknown field"}]


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", "PASSWORD123", "aaaaaaaaaaaa"])
async def test_register_refuses_a_common_password(api: Api, password: str) -> None:
    email = unique_email()
    body = assert_problem(await api.register(email, password), 422, "validation-error")
    assert body["errors"][0]["field"] == "password"
    assert "common" in body["errors"][0]["message"]
    assert_problem(await api.login(email, password), 401, "invalid-credentials")


async def test_register_refuses_a_short_password(api: Api, settings: Settings) -> None:
    short = "Zq7#pW"[: settings.password_min_length - 1]
    body = assert_problem(await api.register(unique_email(), short), 422, "validation-error")
    assert body["errors"][0]["field"] == "password"
    assert str(settings.password_min_length) in body["errors"][0]["message"]


async def test_register_refuses_the_email_as_password(api: Api) -> None:
    email = unique_email("mirror")
    body = assert_problem(await api.register(email, email), 422, "validation-error")
    assert body["errors"][0]["field"] == "password"


async def test_a_long_unicode_password_is_accepted_and_logs_in(api: Api) -> None:
    password = "Ünïcödé façade 密码很长 🦄🔐✨ ĳsselmeer Ωμέγα — " * 2
    assert len(password) >= 64
    email = unique_email()
    assert (await api.register(email, password)).status_code == 201
    response = await api.login(email, password)
    assert response.status_code == 200, response.text
    assert_problem(await api.login(email, password[:-1]), 401, "invalid-credentials")


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        # Fullwidth forms (a CJK keyboard) and ASCII are the same password under NFKC.
        (fullwidth("tasklane-fullwidth-2026"), "tasklane-fullwidth-2026"),
        ("tasklane-fullwidth-2026", fullwidth("tasklane-fullwidth-2026")),
        # Precomposed vs combining accents (macOS vs Windows input).
        ("cr\u00e8me br\u00fbl\u00e9e forever", "cre\u0300me bru\u0302le\u0301e forever"),
    ],
    ids=["fullwidth-then-ascii", "ascii-then-fullwidth", "composed-then-combining"],
)
async def test_equivalent_unicode_forms_log_in(api: Api, registered: str, typed: str) -> None:
    assert registered != typed
    email = unique_email()
    assert (await api.register(email, registered)).status_code == 201
    response = await api.login(email, typed)
    assert response.status_code == 200, response.text
    # Normalisation does not make unrelated passwords equal.
    assert_problem(await api.login(email, typed + "!"), 401, "invalid-credentials")


# ---------------------------------------------------------------------------------------------
# Login


async def test_login_with_json_answers_a_bearer_token_and_a_strict_cookie(
    api: Api, settings: Settings
) -> None:
    email = unique_email()
    assert (await api.register(email)).status_code == 201
    response = await api.login(email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    cookie = cookie_attributes(response)
    assert len(cookie["value"]) >= 40
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/api/v1/auth"
    assert int(cookie["max-age"]) == settings.refresh_token_ttl_seconds
    assert cookie["value"] not in response.text  # never in the body
    await assert_accepted(api.client, body["access_token"], email)


async def test_login_with_the_oauth2_form(api: Api) -> None:
    email = unique_email()
    assert (await api.register(email)).status_code == 201
    response = await api.client.post(
        f"{AUTH}/login", data={"username": email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert refresh_cookie(response)
    await assert_accepted(api.client, body["access_token"], email)
    wrong = await api.client.post(f"{AUTH}/login", data={"username": email, "password": "nope" * 3})
    assert_problem(wrong, 401, "invalid-credentials")
    missing = await api.client.post(f"{AUTH}/login", data={"username": email})
    body = assert_problem(missing, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["password"]


async def test_login_refuses_unknown_fields_and_malformed_json(api: Api) -> None:
    extra = await api.client.post(
        f"{AUTH}/login", json={"email": unique_email(), "password": PASSWORD, "otp": "1"}
    )
    assert assert_problem(extra, 422)["errors"] == [{"field": "otp", "message": "Unknown field"}]
    broken = await api.client.post(
        f"{AUTH}/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert_problem(broken, 400, "malformed-json")


def _comparable(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    # Every response has its own date and request id.
    own = ("date", "x-request-id")
    headers = {k: v for k, v in response.headers.items() if k.lower() not in own}
    return response.status_code, headers, response.content


async def test_wrong_password_and_unknown_account_answer_identically(api: Api) -> None:
    user = await api.user()
    wrong = await api.login(user.email, "not the right password")
    unknown = await api.login(unique_email("ghost"), "not the right password")
    malformed = await api.login("not-even-an-address", "not the right password")
    body = assert_problem(wrong, 401, "invalid-credentials")
    assert wrong.headers["www-authenticate"] == 'Bearer realm="tasklane"'
    assert "set-cookie" not in wrong.headers
    assert _comparable(unknown) == _comparable(wrong)
    assert _comparable(malformed) == _comparable(wrong)
    assert body["detail"] == "The email address or password is not correct."


@pytest.fixture
def argon2_verifications(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stored hashes the running app's Argon2 hasher verifies against, in order. A spy: the
    real verification still runs (``argon2.PasswordHasher`` has slots, so the method is wrapped
    on the class and only calls made by the app's own instance are recorded)."""
    calls: list[str] = []
    target = ctx.hasher._ph
    real_verify = argon2.PasswordHasher.verify

    def spy(self: argon2.PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        if self is target:
            calls.append(stored if isinstance(stored, str) else stored.decode())
        return real_verify(self, stored, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", spy)
    return calls


async def test_unknown_account_costs_one_argon2_verification_like_a_wrong_password(
    api: Api, ctx: AppContext, argon2_verifications: list[str]
) -> None:
    user = await api.user()
    argon2_verifications.clear()

    assert_problem(await api.login(user.email, "not the right password"), 401)
    assert len(argon2_verifications) == 1
    stored = argon2_verifications[0]
    assert stored.startswith("$argon2id$")
    assert stored != ctx.hasher._dummy_hash  # the account's own hash

    argon2_verifications.clear()
    assert_problem(await api.login(unique_email("ghost"), "not the right password"), 401)
    # No account, yet one full Argon2id verification, against the dummy hash.
    assert argon2_verifications == [ctx.hasher._dummy_hash]
    assert ctx.hasher._dummy_hash.startswith("$argon2id$")

    argon2_verifications.clear()
    assert (await api.login(user.email)).status_code == 200
    assert argon2_verifications == [stored]


async def test_a_deactivated_account_cannot_log_in(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.id == uuid.UUID(user.id)).values(is_active=False)
        )
    refused = await api.login(user.email)
    assert_problem(refused, 401, "invalid-credentials")
    assert "set-cookie" not in refused.headers
    # Indistinguishable from a wrong password: the account's state does not leak.
    assert _comparable(refused) == _comparable(await api.login(user.email, "a wrong password!"))


# ---------------------------------------------------------------------------------------------
# Refresh


async def test_refresh_rotates_and_a_second_tab_gets_the_same_successor(api: Api) -> None:
    user = await api.user()
    first = await api.refresh(user.refresh_token)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    successor = refresh_cookie(first)
    assert successor
    assert successor != user.refresh_token
    cookie = cookie_attributes(first)
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/api/v1/auth"

    # Another tab still holding the old cookie, within the grace window.
    again = await api.refresh(user.refresh_token)
    assert again.status_code == 200, again.text
    assert refresh_cookie(again) == successor

    for response in (first, again):
        await assert_accepted(api.client, response.json()["access_token"], user.email)
    await assert_accepted(api.client, user.access_token, user.email)

    # The successor rotates in turn.
    third = await api.refresh(successor)
    assert third.status_code == 200, third.text
    assert refresh_cookie(third) not in (successor, user.refresh_token)


async def _age_rotation(ctx: AppContext, token: str, seconds: int) -> None:
    """Pretend ``token`` was rotated ``seconds`` earlier than it was."""
    async with ctx.db.transaction() as conn:
        row = (
            await conn.execute(
                select(refresh_tokens.c.id, refresh_tokens.c.rotated_at).where(
                    refresh_tokens.c.token_hash == hash_refresh_token(token)
                )
            )
        ).one()
        assert row.rotated_at is not None
        await conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == row.id)
            .values(rotated_at=row.rotated_at - timedelta(seconds=seconds))
        )


async def test_reuse_after_the_grace_window_revokes_the_whole_session(
    api: Api, ctx: AppContext
) -> None:
    user = await api.user()
    other_device = await second_login(api, user)
    rotated = await api.refresh(user.refresh_token)
    assert rotated.status_code == 200, rotated.text
    successor = refresh_cookie(rotated)
    assert successor
    new_access = rotated.json()["access_token"]
    await assert_accepted(api.client, new_access, user.email)
    await assert_accepted(api.client, user.access_token, user.email)

    await _age_rotation(ctx, user.refresh_token, 60)
    replay = await api.refresh(user.refresh_token)
    assert_problem(replay, 401, "unauthorized")
    assert replay.headers["www-authenticate"].startswith("Bearer")
    assert refresh_cookie(replay) is None

    # The thief's (or the victim's) successor is dead too, and so is the session's access.
    assert_problem(await api.refresh(successor), 401)
    await assert_refused(api.client, new_access)
    await assert_refused(api.client, user.access_token)

    # Only that family: the other device's session lives on.
    await assert_accepted(api.client, other_device.access_token, user.email)
    assert (await api.refresh(other_device.refresh_token)).status_code == 200


async def _idle_for(ctx: AppContext, refresh_token: str, seconds: float) -> None:
    """Pretend the session of ``refresh_token`` was last used ``seconds`` earlier than it was."""
    async with ctx.db.transaction() as conn:
        session_id = (
            await conn.execute(
                select(refresh_tokens.c.session_id).where(
                    refresh_tokens.c.token_hash == hash_refresh_token(refresh_token)
                )
            )
        ).scalar_one()
        used = (
            await conn.execute(select(sessions.c.last_used_at).where(sessions.c.id == session_id))
        ).scalar_one()
        await conn.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(last_used_at=used - timedelta(seconds=seconds))
        )


async def test_a_session_idle_past_the_timeout_ends(
    api: Api, ctx: AppContext, settings: Settings
) -> None:
    user = await api.user()
    other_device = await second_login(api, user)
    idle = settings.session_idle_timeout_seconds

    # Unused for a little less than the timeout: the refresh works, and counts as use.
    await _idle_for(ctx, user.refresh_token, idle - 60)
    rotated = await api.refresh(user.refresh_token)
    assert rotated.status_code == 200, rotated.text
    successor = refresh_cookie(rotated)
    assert successor
    access = rotated.json()["access_token"]

    # Unused for longer than the timeout: refused, and the session is over (its access
    # tokens too), without touching the user's other sessions.
    await _idle_for(ctx, successor, idle + 1)
    ended = await api.refresh(successor)
    assert_problem(ended, 401, "unauthorized")
    assert "without use" in ended.json()["detail"]
    assert refresh_cookie(ended) is None
    await assert_refused(api.client, access)
    assert_problem(await api.refresh(successor), 401)
    await assert_accepted(api.client, other_device.access_token, user.email)
    assert (await api.refresh(other_device.refresh_token)).status_code == 200


def test_the_idle_timeout_must_outlast_two_access_tokens() -> None:
    with pytest.raises(ValueError, match="twice"):
        Settings(access_token_ttl_seconds=900, session_idle_timeout_seconds=1200)
    assert Settings(access_token_ttl_seconds=900, session_idle_timeout_seconds=1800)


async def test_refresh_without_a_usable_cookie_is_401(api: Api) -> None:
    missing = await api.client.post(f"{AUTH}/refresh", headers=SAME_SITE)
    assert_problem(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_problem(await api.refresh("made-up-token-" + uuid.uuid4().hex), 401)
    assert_problem(await api.refresh(""), 401)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Requested-With": ""}, 403),
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "https://app.example.com.evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Origin": "http://testserver:8080"}, 403),
        ({"Origin": "https://app.example.com"}, 200),
        ({"Origin": "http://testserver"}, 200),
    ],
)
async def test_refresh_accepts_only_same_site_requests(
    api: Api, headers: dict[str, str], expected: int
) -> None:
    user = await api.user()
    request_headers = {**SAME_SITE, "Cookie": f"tasklane_refresh={user.refresh_token}", **headers}
    request_headers = {k: v for k, v in request_headers.items() if v}
    response = await api.client.post(f"{AUTH}/refresh", headers=request_headers)
    if expected == 403:
        assert_problem(response, 403, "forbidden")
        assert refresh_cookie(response) is None
        # Refused before the token was looked at: it rotates normally afterwards.
        assert (await api.refresh(user.refresh_token)).status_code == 200
    else:
        assert response.status_code == 200, response.text
        assert refresh_cookie(response)


async def test_refresh_refuses_a_cross_site_fetch_without_origin(api: Api) -> None:
    user = await api.user()
    headers = {
        "X-Requested-With": "XMLHttpRequest",
        "Sec-Fetch-Site": "cross-site",
        "Cookie": f"tasklane_refresh={user.refresh_token}",
    }
    assert_problem(await api.client.post(f"{AUTH}/refresh", headers=headers), 403, "forbidden")
    headers["Sec-Fetch-Site"] = "same-origin"
    assert (await api.client.post(f"{AUTH}/refresh", headers=headers)).status_code == 200


# ---------------------------------------------------------------------------------------------
# Logout


async def test_logout_ends_the_session_and_clears_the_cookie(api: Api) -> None:
    user = await api.user()
    other_device = await second_login(api, user)
    # In use (its session check answered "valid") right before the logout.
    await assert_accepted(api.client, user.access_token, user.email)
    response = await logout(api, user.refresh_token)
    assert response.status_code == 204, response.text
    cookie = cookie_attributes(response)
    assert cookie["value"] == ""
    assert int(cookie["max-age"]) == 0
    assert cookie["path"] == "/api/v1/auth"
    assert cookie["httponly"] is True
    assert cookie["secure"] is True

    assert_problem(await api.refresh(user.refresh_token), 401)
    await assert_refused(api.client, user.access_token)
    # Logging out is per device.
    await assert_accepted(api.client, other_device.access_token, user.email)


async def test_logout_after_rotation_ends_the_session(api: Api) -> None:
    user = await api.user()
    rotated = await api.refresh(user.refresh_token)
    successor = refresh_cookie(rotated)
    assert successor
    await assert_accepted(api.client, rotated.json()["access_token"], user.email)
    assert (await logout(api, successor)).status_code == 204
    assert_problem(await api.refresh(successor), 401)
    assert_problem(await api.refresh(user.refresh_token), 401)
    await assert_refused(api.client, rotated.json()["access_token"])


async def test_logout_without_a_cookie_still_clears_it(api: Api) -> None:
    response = await logout(api, None)
    assert response.status_code == 204
    assert cookie_attributes(response)["value"] == ""


@pytest.mark.parametrize(
    "headers",
    [{"X-Requested-With": ""}, {"Origin": "https://evil.example"}],
    ids=["no-x-requested-with", "foreign-origin"],
)
async def test_logout_refuses_cross_site_requests(api: Api, headers: dict[str, str]) -> None:
    user = await api.user()
    request_headers = {**SAME_SITE, "Cookie": f"tasklane_refresh={user.refresh_token}", **headers}
    request_headers = {k: v for k, v in request_headers.items() if v}
    response = await api.client.post(f"{AUTH}/logout", headers=request_headers)
    assert_problem(response, 403, "forbidden")
    # A forged cross-site logout changed nothing.
    await assert_accepted(api.client, user.access_token, user.email)
    assert (await api.refresh(user.refresh_token)).status_code == 200


async def test_logout_accepts_the_allowed_origin(api: Api) -> None:
    user = await api.user()
    await assert_accepted(api.client, user.access_token, user.email)
    response = await logout(api, user.refresh_token, Origin="https://app.example.com")
    assert response.status_code == 204, response.text
    await assert_refused(api.client, user.access_token)


async def test_logout_all_ends_every_session_of_the_user_only(api: Api) -> None:
    user = await api.user()
    laptop = await second_login(api, user)
    bystander = await api.user()
    for session in (user, laptop):
        await assert_accepted(api.client, session.access_token, user.email)

    response = await logout_all(api, user)
    assert response.status_code == 204, response.text
    assert cookie_attributes(response)["value"] == ""

    for session in (user, laptop):
        await assert_refused(api.client, session.access_token)
        assert_problem(await api.refresh(session.refresh_token), 401)
    await assert_accepted(api.client, bystander.access_token, bystander.email)
    assert (await api.refresh(bystander.refresh_token)).status_code == 200
    # Logging in again works.
    assert (await api.login(user.email)).status_code == 200


async def test_logout_all_needs_a_token_and_a_same_site_request(api: Api) -> None:
    user = await api.user()
    anonymous = await api.client.post(f"{AUTH}/logout-all", headers=SAME_SITE)
    assert_problem(anonymous, 401, "unauthorized")
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    cross = await logout_all(api, user, Origin="https://evil.example")
    assert_problem(cross, 403, "forbidden")
    await assert_accepted(api.client, user.access_token, user.email)


async def test_a_hash_with_outdated_parameters_is_upgraded_at_login(
    api: Api, ctx: AppContext
) -> None:
    """Stored hashes made with other Argon2 parameters are replaced on the next login."""
    user = await api.user()
    old = argon2.PasswordHasher(time_cost=3, memory_cost=19456, parallelism=1).hash(PASSWORD)
    async with ctx.db.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.email == user.email).values(password_hash=old)
        )
    assert (await api.login(user.email)).status_code == 200
    async with ctx.db.reader() as conn:
        stored = (
            await conn.execute(select(users.c.password_hash).where(users.c.email == user.email))
        ).scalar_one()
    assert stored != old
    assert not ctx.hasher.needs_rehash(stored)
    assert (await api.login(user.email)).status_code == 200


async def test_validation_errors_never_echo_the_password(api: Api) -> None:
    secret = "correct horse battery staple " * 40  # over the 1,024-character bound
    response = await api.client.post(
        "/api/v1/auth/register",
        json={"email": unique_email(), "password": secret, "name": "X"},
    )
    assert response.status_code == 422
    assert "correct horse" not in response.text


async def test_password_hashing_yields_the_cpu_to_requests(ctx: AppContext) -> None:
    """During a login storm the hashing threads run nicer than the event loop's thread, so the
    scheduler serves other requests first (docs/benchmarks.md measures the effect)."""
    await ctx.hasher.hash("a password to hash")
    hashing = [t for t in threading.enumerate() if t.name.startswith("argon2")]
    assert hashing
    loop_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    expected = min(19, loop_nice + ctx.settings.password_hash_nice)
    assert ctx.settings.password_hash_nice > 0
    for thread in hashing:
        assert thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == expected
    # Only those threads: the thread serving requests keeps its priority.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == loop_nice
