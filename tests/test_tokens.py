"""Access tokens: what the API accepts as a bearer token, what it refuses, and that other
services can verify its tokens from the published JWKS alone."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tasklane.core.context import AppContext
from tasklane.settings import Settings
from tests.helpers import Api, User, assert_problem

ME = "/api/v1/users/me"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "jti", "sid")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unverified(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def app_kid(ctx: AppContext) -> str:
    kid: str = ctx.tokens.jwks["keys"][0]["kid"]
    return kid


def sign(
    ctx: AppContext,
    claims: dict[str, Any],
    *,
    key: Ed25519PrivateKey | None = None,
    headers: dict[str, Any] | None = None,
) -> str:
    """An EdDSA token signed with the app's own private key unless ``key`` is given."""
    return jwt.encode(
        claims,
        key or ctx.tokens._private,
        algorithm="EdDSA",
        headers={"kid": app_kid(ctx), "typ": "at+jwt", **(headers or {})},
    )


@pytest.fixture(scope="module")
async def victim(app: object) -> AsyncIterator[User]:
    """One account for the whole module: these tests only present tokens, never revoke."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield await Api(client).user()


@pytest.fixture(scope="module")
async def bystander(app: object) -> AsyncIterator[User]:
    """Another real account."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield await Api(client).user()


@pytest.fixture
def claims(victim: User, settings: Settings) -> dict[str, Any]:
    """Claims a genuine access token of ``victim`` would carry, issued now."""
    real = unverified(victim.access_token)
    now = int(time.time())
    return {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": real["sub"],
        "sid": real["sid"],
        "iat": now,
        "exp": now + 900,
        "jti": b64url(uuid.uuid4().bytes),
    }


async def me(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.get(ME, headers=headers)


def assert_401(response: httpx.Response) -> None:
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="tasklane"'


# ---------------------------------------------------------------------------------------------
# What a real token is


async def test_a_real_access_token_works_and_carries_the_documented_claims(
    api: Api, victim: User, ctx: AppContext, settings: Settings
) -> None:
    response = await me(api.client, victim.access_token)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == victim.id

    header = jwt.get_unverified_header(victim.access_token)
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "at+jwt"
    assert header["kid"] == app_kid(ctx)
    payload = unverified(victim.access_token)
    assert set(REQUIRED_CLAIMS) <= set(payload)
    assert payload["iss"] == settings.jwt_issuer
    assert payload["aud"] == settings.jwt_audience
    assert payload["sub"] == victim.id
    assert uuid.UUID(payload["sid"])
    assert payload["exp"] - payload["iat"] == 900
    assert abs(payload["iat"] - time.time()) < 60
    # No personal data in a token anyone holding it can read.
    assert victim.email not in json.dumps(payload)


async def test_every_login_gets_a_distinct_session_and_token_id(api: Api, victim: User) -> None:
    again = await api.login(victim.email)
    assert again.status_code == 200
    first, second = unverified(victim.access_token), unverified(again.json()["access_token"])
    assert first["jti"] != second["jti"]
    assert first["sid"] != second["sid"]
    assert first["sub"] == second["sub"]


async def test_a_token_signed_here_with_the_app_key_is_accepted(
    api: Api, ctx: AppContext, claims: dict[str, Any]
) -> None:
    """The control for the refusals below: the claims and signing helper are right."""
    response = await me(api.client, sign(ctx, claims))
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------------------------------------
# What is refused


def _without(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda c: {k: v for k, v in c.items() if k != name}


CLAIM_TAMPERING: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "expired": lambda c: {**c, "iat": c["iat"] - 1000, "exp": c["iat"] - 60},
    "issued-in-the-future": lambda c: {**c, "iat": c["iat"] + 3600, "exp": c["exp"] + 3600},
    "wrong-audience": lambda c: {**c, "aud": "another-api"},
    "wrong-issuer": lambda c: {**c, "iss": "https://evil.example"},
    "unknown-session": lambda c: {**c, "sid": str(uuid.uuid4())},
    "sid-not-a-uuid": lambda c: {**c, "sid": "everything"},
    "sub-not-a-uuid": lambda c: {**c, "sub": "admin"},
    "unknown-sub": lambda c: {**c, "sub": str(uuid.uuid4())},
    **{f"no-{name}": _without(name) for name in REQUIRED_CLAIMS},
}


@pytest.mark.parametrize("tamper", CLAIM_TAMPERING.values(), ids=CLAIM_TAMPERING.keys())
async def test_tokens_with_bad_claims_are_refused(
    api: Api,
    ctx: AppContext,
    claims: dict[str, Any],
    tamper: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    assert (await me(api.client, sign(ctx, claims))).status_code == 200
    assert_401(await me(api.client, sign(ctx, tamper(claims))))


HEADER_TAMPERING: dict[str, dict[str, Any]] = {
    "typ-jwt": {"typ": "JWT"},
    "no-typ": {"typ": ""},
    "refresh-typ": {"typ": "rt+jwt"},
    "unknown-kid": {"kid": "some-other-key"},
    "no-kid": {"kid": None},
}


async def test_a_session_cannot_be_borrowed_for_another_account(
    api: Api, ctx: AppContext, claims: dict[str, Any], victim: User, bystander: User
) -> None:
    """A token is bound to its session's account: ``sub`` of another (real) user with the
    caller's ``sid`` is refused, even signed with the app's key."""
    assert (await me(api.client, bystander.access_token)).status_code == 200
    login = await api.login(victim.email)
    assert login.status_code == 200
    fresh = login.json()["access_token"]
    borrowed = sign(ctx, {**claims, "sid": unverified(fresh)["sid"], "sub": bystander.id})
    # Refused before the session was ever checked, and again once it has been checked...
    assert_401(await me(api.client, borrowed))
    response = await me(api.client, fresh)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == victim.id
    assert_401(await me(api.client, borrowed))
    # ...and the attempt did not spoil the session for its owner.
    assert (await me(api.client, fresh)).status_code == 200
    assert_401(await me(api.client, sign(ctx, {**claims, "sub": bystander.id})))


@pytest.mark.parametrize("header", HEADER_TAMPERING.values(), ids=HEADER_TAMPERING.keys())
async def test_tokens_with_a_bad_header_are_refused(
    api: Api, ctx: AppContext, claims: dict[str, Any], header: dict[str, Any]
) -> None:
    headers = {"kid": app_kid(ctx), "typ": "at+jwt", **header}
    token = jwt.encode(
        claims,
        ctx.tokens._private,
        algorithm="EdDSA",
        headers={k: v for k, v in headers.items() if v is not None},
    )
    if header.get("kid", "") is None:
        assert "kid" not in jwt.get_unverified_header(token)
    assert_401(await me(api.client, token))


async def test_a_token_signed_with_another_ed25519_key_is_refused(
    api: Api, ctx: AppContext, claims: dict[str, Any]
) -> None:
    forged = sign(ctx, claims, key=Ed25519PrivateKey.generate())
    assert jwt.get_unverified_header(forged)["kid"] == app_kid(ctx)
    assert_401(await me(api.client, forged))


async def test_a_genuine_token_with_an_edited_payload_is_refused(
    api: Api, victim: User, ctx: AppContext
) -> None:
    header, _payload, signature = victim.access_token.split(".")
    edited = {**unverified(victim.access_token), "exp": int(time.time()) + 86_400}
    assert_401(await me(api.client, f"{header}.{b64json(edited)}.{signature}"))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_an_unsigned_alg_none_token_is_refused(
    api: Api, ctx: AppContext, claims: dict[str, Any], alg: str
) -> None:
    header = {"alg": alg, "typ": "at+jwt", "kid": app_kid(ctx)}
    for token in (f"{b64json(header)}.{b64json(claims)}.", f"{b64json(header)}.{b64json(claims)}"):
        assert_401(await me(api.client, token))


def _public_key_forms(ctx: AppContext) -> dict[str, bytes]:
    public = ctx.tokens._private.public_key()
    return {
        "pem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "raw": public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        "jwk-x": ctx.tokens.jwks["keys"][0]["x"].encode(),
    }


@pytest.mark.parametrize("form", ["pem", "raw", "jwk-x"])
async def test_hs256_signed_with_the_public_key_is_refused(
    api: Api, ctx: AppContext, claims: dict[str, Any], form: str
) -> None:
    """Algorithm confusion: the public key is public, so an HMAC keyed with it is forgeable."""
    secret = _public_key_forms(ctx)[form]
    header = {"alg": "HS256", "typ": "at+jwt", "kid": app_kid(ctx)}
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert_401(await me(api.client, f"{signing_input}.{b64url(mac)}"))


async def test_the_refresh_token_is_not_a_bearer_token(api: Api, victim: User) -> None:
    assert_401(await me(api.client, victim.refresh_token))


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJFZERTQSJ9..", "", "Bearer", "x" * 5000],
    ids=["word", "three-parts", "empty-parts", "empty", "doubled-scheme", "long"],
)
async def test_garbage_is_refused(api: Api, token: str) -> None:
    assert_401(await me(api.client, token))


async def test_a_missing_or_non_bearer_authorization_is_refused(api: Api, victim: User) -> None:
    assert_401(await me(api.client, None))
    basic = await api.client.get(
        ME, headers={"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}
    )
    assert_401(basic)
    # The token without its scheme is not enough either.
    assert_401(await api.client.get(ME, headers={"Authorization": victim.access_token}))


# ---------------------------------------------------------------------------------------------
# JWKS


async def test_jwks_publishes_only_public_keys(api: Api) -> None:
    response = await api.client.get("/.well-known/jwks.json")
    assert response.status_code == 200, response.text
    keys = response.json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "OKP"
        assert key["crv"] == "Ed25519"
        assert key["alg"] == "EdDSA"
        assert key["use"] == "sig"
        assert key["kid"]
        assert "d" not in key  # the private part


async def test_another_service_verifies_tokens_with_the_jwks_alone(
    api: Api, victim: User, ctx: AppContext, settings: Settings, claims: dict[str, Any]
) -> None:
    jwks = (await api.client.get("/.well-known/jwks.json")).json()
    key_set = jwt.PyJWKSet.from_dict(jwks)
    kid = jwt.get_unverified_header(victim.access_token)["kid"]
    public = key_set[kid]
    payload = jwt.decode(
        victim.access_token,
        key=public,
        algorithms=["EdDSA"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": list(REQUIRED_CLAIMS)},
    )
    assert payload["sub"] == victim.id

    # The JWKS key really checks the signature: a forgery under the same kid fails.
    forged = sign(ctx, claims, key=Ed25519PrivateKey.generate())
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            forged,
            key=public,
            algorithms=["EdDSA"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )


async def test_requests_are_authenticated_without_a_database_round_trip(
    api: Api, ctx: AppContext, settings: Settings
) -> None:
    """A session's state is read once; its answer serves every request of that session for
    ``session_check_ttl_seconds``, so a request costs only its own statements."""
    assert settings.session_check_ttl_seconds >= 30
    users = [await api.user() for _ in range(3)]

    with ctx.db.executor.recording() as statements:
        for _ in range(3):
            for user in users:
                listed = await api.client.get("/api/v1/tasks", headers=user.headers)
                assert listed.status_code == 200, listed.text
                me = await api.client.get(ME, headers=user.headers)
                assert me.status_code == 200, me.text
    session_reads = [s for s in statements if "FROM sessions" in s]
    assert len(session_reads) == len(users)  # the first request of each session only
    lists = [s for s in statements if "FROM tasks" in s]
    assert len(lists) == 3 * len(users)  # and every list still ran its own query
    # ... after reading the caller's projects (the list's own first statement).
    memberships = [s for s in statements if "FROM project_members" in s and s not in lists]
    assert len(memberships) == 3 * len(users)
    lists += memberships
    # Nothing else: the profile /users/me answers is read once per user (its own cache).
    others = [s for s in statements if s not in session_reads and s not in lists]
    assert len(others) <= len(users), others
    assert all("FROM users" in s for s in others), others
