"""/api/docs works without internet: every file it loads comes from the app, under its CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tasklane.app import create_app
from tasklane.settings import Settings
from tests.helpers import assert_problem


class _Refs(HTMLParser):
    """The URLs a page makes the browser load (scripts, styles, icons, images)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            if values.get("src"):
                self.urls.append(str(values["src"]))
            else:
                self.inline_scripts += 1
        elif tag == "link" and values.get("href"):
            self.urls.append(str(values["href"]))
        elif tag in ("img", "iframe") and values.get("src"):
            self.urls.append(str(values["src"]))


def _csp(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


async def test_docs_page_loads_only_same_origin_files_and_all_are_served(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    refs = _Refs()
    refs.feed(page.text)
    assert refs.inline_scripts == 0
    assert len(refs.urls) >= 3
    for url in refs.urls:
        # Same origin: a path, never a scheme or a protocol-relative host.
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        served = await client.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 0, url
    types = {
        url.rsplit(".", 1)[-1]: (await client.get(url)).headers["content-type"] for url in refs.urls
    }
    assert types["js"].startswith("text/javascript")
    assert types["css"].startswith("text/css")

    # The page's script starts Swagger UI on the app's own schema, which is served too.
    init = await client.get("/api/docs/init.js")
    assert "SwaggerUIBundle(" in init.text
    schema_url = re.search(r'url: "([^"]+)"', init.text)
    assert schema_url is not None
    assert schema_url.group(1) == "/api/openapi.json"
    schema = await client.get(schema_url.group(1))
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Tasklane API"
    # The bundle is Swagger UI itself, which renders OpenAPI 3.1 (version 5).
    bundle = await client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text[:2000]


async def test_docs_policy_allows_this_origin_only(client: httpx.AsyncClient) -> None:
    for path in ("/api/docs", "/api/docs/init.js", "/api/docs/assets/swagger-ui-bundle.js"):
        policy = _csp(await client.get(path))
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == ["'self'"], path
        for directive, sources in policy.items():
            assert not any(s.startswith(("http:", "https:", "*")) for s in sources), directive


async def test_docs_assets_are_cached_and_unknown_ones_are_a_problem(
    client: httpx.AsyncClient,
) -> None:
    css = await client.get("/api/docs/assets/swagger-ui.css")
    assert css.headers["cache-control"] == "public, max-age=86400"
    # Only the files the page uses are served, not whatever else the distribution holds.
    for path in ("/api/docs/assets/redoc.standalone.js", "/api/docs/assets/missing.js"):
        assert_problem(await client.get(path), 404, "not-found")


@pytest.mark.parametrize("services", ["tasks", "auth", "notifications", "auth,notifications"])
def test_each_service_describes_the_whole_api(services: str, settings: Settings) -> None:
    """Behind the proxy, /api/docs and /api/openapi.json come from whichever service the path
    is routed to (the task service): each describes the whole API, not its own part."""
    whole = create_app(settings).openapi()
    part = settings.model_copy(
        update={
            "services": tuple(services.split(",")),
            "jwks_url": "http://127.0.0.1:9/.well-known/jwks.json",
        }
    )
    schema = create_app(part).openapi()
    assert schema == whole
