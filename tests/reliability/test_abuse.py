"""Abuse: what a hostile client sends on purpose, at the documented limits (docs/security.md).

A brute force spread over many addresses and spellings of one account runs no more password
checks than the account's budget; oversized and deeply nested bodies, a page size of a
million and twice the rate limit each get their documented 4xx problem, never a 5xx. The
limits are the shipped defaults (``Settings``' own), through the real app and database.
"""

from __future__ import annotations

from typing import Any

import httpx

from tasklane.settings import Settings
from tests.conftest import KIND
from tests.helpers import PASSWORD, Api, assert_problem, unique_email
from tests.reliability import figures
from tests.reliability.support import examples
from tests.servers import serving


def _defaults(settings: Settings, **overrides: object) -> Settings:
    """The suite's settings with the shipped rate limits switched on."""
    shipped = {
        name: Settings.model_fields[name].default
        for name in (
            "rate_limit_anonymous",
            "rate_limit_user",
            "rate_limit_auth_address",
            "rate_limit_auth_account",
        )
    }
    return settings.model_copy(
        update={"rate_limit_enabled": True, "redis_url": None, **shipped, **overrides}
    )


def _spellings(email: str) -> list[str]:
    """Spellings the account lookup takes for ``email`` (case, surrounding spaces)."""
    local, domain = email.split("@")
    return [email, email.upper(), f" {email} ", f"{local.capitalize()}@{domain.upper()}"]


def _look_alikes(email: str) -> list[str]:
    """Spellings that are other addresses (accents, full width): no password check of ours."""
    local, domain = email.split("@")
    accented = "".join({"a": "á", "e": "é", "o": "ö"}.get(c, c) for c in local)
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in local)
    return [f"{accented}@{domain}", f"{full_width}@{domain}"]


async def test_a_brute_force_from_many_addresses_runs_at_most_the_accounts_budget(
    settings: Settings,
) -> None:
    """1,000 wrong passwords (long form; 300 short) on one account from 50 addresses (15
    short), with case and accent variants of the address, as fast as they can be sent: the
    account's password is checked at most its budget's number of times (each check is a 401,
    a refused attempt a 429 before any hashing). Its owner, on a browser they signed in on
    before, still signs in: that device has a budget of its own."""
    attempts, addresses = examples(300, 1000), examples(15, 50)
    async with serving(_defaults(settings)) as (_, client):
        victim = unique_email("abuse")
        owner = Api(client("192.0.2.1"))
        assert (await owner.register(victim)).status_code == 201
        signed_in = await owner.login(victim)
        assert signed_in.status_code == 200
        device = signed_in.cookies["tasklane_device"]
        budget = 10  # "10 per 15 minutes"; the owner's sign-in cleared the registration's
        spellings, look_alikes = _spellings(victim), _look_alikes(victim)
        checked = refused = elsewhere = 0
        sources = [Api(client(f"198.51.{n // 250}.{n % 250 + 1}")) for n in range(addresses)]
        for n in range(attempts):
            source = sources[n % addresses]
            if n % 10 == 9:  # a look-alike: another address, never this account
                response = await source.login(look_alikes[n % 2], PASSWORD)
                assert response.status_code in (401, 429), response.text
                elsewhere += 1
                continue
            response = await source.login(spellings[n % 4], f"wrong password {n}")
            if response.status_code == 401:
                checked += 1
            else:
                assert_problem(response, 429)
                assert int(response.headers["retry-after"]) >= 1
                refused += 1
        assert checked == budget, (checked, refused)
        assert refused == attempts - elsewhere - budget
        # Locked for everyone else, a made-up device cookie included; not for the owner's
        # browser.
        assert_problem(await Api(client("192.0.2.2")).login(victim), 429)
        forged = {"cookie": "tasklane_device=" + "A" * 43}
        late = await client("192.0.2.2").post(
            "/api/v1/auth/login", json={"email": victim, "password": PASSWORD}, headers=forged
        )
        assert_problem(late, 429)
        back = await client("192.0.2.1").post(
            "/api/v1/auth/login",
            json={"email": victim, "password": PASSWORD},
            headers={"cookie": f"tasklane_device={device}"},
        )
        assert back.status_code == 200, back.text
        figures.record(
            f"abuse-brute-force-{KIND}",
            {"attempts": attempts, "addresses": addresses, "password checks": checked},
        )


async def test_hostile_bodies_and_sizes_get_their_documented_4xx(
    settings: Settings, api: Api, client: httpx.AsyncClient
) -> None:
    """A body over the size limit is a 413 before it is read whole; JSON nested deeper than
    any task needs, a page size of a million and the wrong types are 4xx problems."""
    user = await api.user()
    huge = b'{"title": "' + b"x" * (settings.max_body_bytes + 1) + b'"}'
    response = await client.post(
        "/api/v1/tasks",
        content=huge,
        headers={**user.headers, "content-type": "application/json"},
    )
    assert_problem(response, 413)
    for depth in (1000, 100_000):
        nested = b'{"title": "t", "tags": ' + b"[" * depth + b"]" * depth + b"}"
        response = await client.post(
            "/api/v1/tasks",
            content=nested,
            headers={**user.headers, "content-type": "application/json"},
        )
        assert 400 <= response.status_code < 500, (depth, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    for limit in ("1000000", "-1", "1e6", "99999999999999999999999"):
        response = await client.get(f"/api/v1/tasks?limit={limit}", headers=user.headers)
        assert_problem(response, 422)
    listing = await client.get("/api/v1/tasks", headers=user.headers)
    assert listing.status_code == 200
    assert listing.json()["items"] == []  # nothing was stored


async def test_twice_the_per_user_rate_gets_429_for_the_excess(settings: Settings) -> None:
    """A signed-in client sending twice its per-user budget gets exactly the excess refused,
    each a 429 with Retry-After; the budget here is the shipped one scaled down (the same
    counting, fewer requests)."""
    async with serving(_defaults(settings, rate_limit_user="40/minute")) as (_, client):
        api = Api(client("192.0.2.200"))
        user = await api.user()
        statuses: dict[int, int] = {}
        for _ in range(80):
            response: Any = await api.client.get("/api/v1/tasks", headers=user.headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 429:
                assert_problem(response, 429)
        assert statuses == {200: 40, 429: 40}, statuses
