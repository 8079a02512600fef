"""CORS: an allowlist of origins (empty by default: the app is same-origin); credentials only
for the listed ones."""

from __future__ import annotations

import httpx

from tasklane.settings import Settings
from tests.helpers import Api
from tests.servers import serving

ALLOWED = "https://app.example.com"  # configured in conftest
FOREIGN = "https://evil.example.net"


async def test_a_listed_origin_may_call_with_credentials(api: Api) -> None:
    user = await api.user()
    preflight = await api.client.options(
        "/api/v1/tasks",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    allowed_headers = preflight.headers["access-control-allow-headers"].lower()
    assert "if-match" in allowed_headers
    assert "authorization" in allowed_headers
    response = await api.client.get("/api/v1/tasks", headers={**user.headers, "Origin": ALLOWED})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert response.headers["access-control-allow-credentials"] == "true"
    # A script on the allowed origin can read the headers it needs.
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "etag" in exposed
    assert "retry-after" in exposed


async def test_an_unlisted_origin_gets_no_cors_grant(api: Api) -> None:
    user = await api.user()
    preflight = await api.client.options(
        "/api/v1/tasks",
        headers={"Origin": FOREIGN, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    response = await api.client.get("/api/v1/tasks", headers={**user.headers, "Origin": FOREIGN})
    # Without Access-Control-Allow-Origin naming it, a browser gives the foreign page neither
    # the response nor a credentialed call (Starlette's constant Allow-Credentials header
    # grants nothing on its own).
    assert "access-control-allow-origin" not in response.headers


async def test_no_origin_is_allowed_by_default(settings: Settings) -> None:
    same_origin_only = settings.model_copy(update={"allowed_origins": []})
    async with serving(same_origin_only) as (_, client):
        c: httpx.AsyncClient = client()
        preflight = await c.options(
            "/api/v1/tasks",
            headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        response = await c.get("/livez", headers={"Origin": ALLOWED})
        assert "access-control-allow-origin" not in response.headers
