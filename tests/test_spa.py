"""The API serves the built web app: client-route fallback, caching, precompression, CSP."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tasklane.app import create_app
from tasklane.core.http import API_CSP
from tasklane.settings import Settings
from tasklane.spa import IMMUTABLE, accepted_encodings

INDEX = (
    '<!doctype html><html><head><script type="module" crossorigin '
    'src="/assets/index-abc123.js"></script><link rel="stylesheet" crossorigin '
    'href="/assets/index-def456.css"></head><body><div id="root"></div></body></html>'
)
SCRIPT = b"console.log('tasklane');\n" * 40


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    (root / "assets").mkdir()
    (root / ".vite").mkdir()
    (root / "index.html").write_text(INDEX)
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / ".vite" / "manifest.json").write_text("{}")
    script = root / "assets" / "index-abc123.js"
    script.write_bytes(SCRIPT)
    script.with_name(script.name + ".gz").write_bytes(gzip.compress(SCRIPT))
    # Stand-in bytes: the server sends the twin as it is, without decoding it.
    script.with_name(script.name + ".br").write_bytes(b"BROTLI" + SCRIPT[:10])
    (root / "assets" / "index-def456.css").write_text("body{margin:0}")
    return root


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def web(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings.model_copy(update={"web_dist_dir": dist})):
        yield c


@pytest.fixture
async def cdn_web(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    update = {"web_dist_dir": dist, "asset_base_url": "https://cdn.example.net/tl/"}
    async for c in _client(settings.model_copy(update=update)):
        yield c


async def test_root_serves_index_without_caching(web: httpx.AsyncClient) -> None:
    r = await web.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    assert '<div id="root">' in r.text
    csp = r.headers["content-security-policy"]
    assert csp != API_CSP
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize("path", ["/tasks", "/tasks?status=todo&q=x", "/board/", "/settings/a/b"])
async def test_client_routes_fall_back_to_index(web: httpx.AsyncClient, path: str) -> None:
    r = await web.get(path)
    assert r.status_code == 200
    assert '<div id="root">' in r.text
    assert r.headers["cache-control"] == "no-cache"


async def test_index_is_gzipped_when_accepted(web: httpx.AsyncClient) -> None:
    r = await web.get("/tasks", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert '<div id="root">' in r.text  # httpx decodes it


async def test_hashed_assets_are_immutable(web: httpx.AsyncClient) -> None:
    r = await web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.content == SCRIPT
    assert r.headers["cache-control"] == IMMUTABLE
    assert r.headers["content-type"].startswith("text/javascript")
    assert "content-encoding" not in r.headers
    assert "Accept-Encoding" in r.headers["vary"]


async def test_brotli_twin_is_preferred(web: httpx.AsyncClient) -> None:
    r = await web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip, br"})
    assert r.headers["content-encoding"] == "br"
    assert r.headers["cache-control"] == IMMUTABLE
    assert r.headers["content-type"].startswith("text/javascript")


async def test_gzip_twin_when_brotli_refused(web: httpx.AsyncClient) -> None:
    r = await web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == SCRIPT


async def test_file_without_twin_is_sent_plain(web: httpx.AsyncClient) -> None:
    r = await web.get("/assets/index-def456.css", headers={"Accept-Encoding": "br, gzip"})
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert r.headers["content-type"].startswith("text/css")


async def test_unhashed_files_get_a_short_cache(web: httpx.AsyncClient) -> None:
    r = await web.get("/favicon.svg")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=3600"


async def test_head_sends_headers_only(web: httpx.AsyncClient) -> None:
    r = await web.head("/tasks")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nope", "/api", "/api/", "/.well-known/nothing", "/assets/gone-123.js", "/x.png"],
)
async def test_api_and_missing_files_are_problem_404s(web: httpx.AsyncClient, path: str) -> None:
    r = await web.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 404


async def test_hidden_and_outside_files_are_not_served(web: httpx.AsyncClient) -> None:
    assert (await web.get("/.vite/manifest.json")).status_code == 404
    r = await web.get("/assets/..%2f..%2f..%2fetc%2fpasswd")
    assert "root:" not in r.text


async def test_api_still_answers(web: httpx.AsyncClient) -> None:
    assert (await web.get("/livez")).status_code == 200
    r = await web.get("/api/v1/users/me")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["content-security-policy"] == API_CSP


async def test_other_methods_are_not_the_page(web: httpx.AsyncClient) -> None:
    r = await web.post("/tasks", json={})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


async def test_asset_base_url_points_the_page_at_the_cdn(cdn_web: httpx.AsyncClient) -> None:
    r = await cdn_web.get("/")
    assert 'src="https://cdn.example.net/tl/assets/index-abc123.js"' in r.text
    assert 'href="https://cdn.example.net/tl/assets/index-def456.css"' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self' https://cdn.example.net;" in csp
    assert "style-src 'self' https://cdn.example.net;" in csp


async def test_without_a_build_nothing_is_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/tasks")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


def test_asset_base_url_must_be_a_url() -> None:
    with pytest.raises(ValueError, match="not a base URL"):
        Settings(asset_base_url="javascript:alert(1)")
    assert Settings(asset_base_url="https://cdn.example.net/").asset_base_url == (
        "https://cdn.example.net"
    )


def test_accept_encoding_parsing() -> None:
    assert accepted_encodings("gzip, deflate, br") == {"gzip", "deflate", "br"}
    assert accepted_encodings("br;q=0, gzip;q=0.5") == {"gzip"}
    assert accepted_encodings("") == set()
    assert accepted_encodings("gzip;q=abc") == set()
