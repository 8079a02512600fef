"""Errors are problem+json, bad input never reaches a 500, and the HTTP contract holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace

from tasklane.settings import Settings
from tests.helpers import Api, assert_problem
from tests.servers import serving

ROOT = Path(__file__).resolve().parent.parent


async def test_oversized_body_is_413(api: Api) -> None:
    user = await api.user()
    big = json.dumps({"title": "x", "description": "y" * 2_000_000})
    response = await api.client.post(
        "/api/v1/tasks",
        content=big,
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload-too-large")


async def test_oversized_chunked_body_is_413(api: Api) -> None:
    user = await api.user()

    async def chunks():  # no Content-Length: the limit is counted while reading
        for _ in range(40):
            yield b"x" * 65536

    response = await api.client.post(
        "/api/v1/tasks",
        content=chunks(),
        headers={**user.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload-too-large")
    listed = await api.client.get("/api/v1/tasks", headers=user.headers)
    assert listed.json()["items"] == []


@pytest.mark.parametrize("size", [10, 10_000_000])
async def test_a_get_with_a_body_is_refused_unread(api: Api, size: int) -> None:
    """A GET carries no body: refused with a 400 problem before anything is read, whatever
    its size; the same GET without one is answered."""
    user = await api.user()
    response = await api.client.request(
        "GET", "/api/v1/tasks", content=b"x" * size, headers=user.headers
    )
    assert_problem(response, 400, "bad-request")
    assert (await api.client.get("/api/v1/tasks", headers=user.headers)).status_code == 200
    assert (await api.client.get("/livez", headers={"Content-Length": "0"})).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
async def test_wrong_content_type_is_415(api: Api, content_type: str | None) -> None:
    user = await api.user()
    headers = dict(user.headers)
    if content_type:
        headers["Content-Type"] = content_type
    response = await api.client.post("/api/v1/tasks", content=b'{"title": "x"}', headers=headers)
    assert_problem(response, 415, "unsupported-media-type")


async def test_json_with_charset_is_accepted(api: Api) -> None:
    user = await api.user()
    response = await api.client.post(
        "/api/v1/tasks",
        content=b'{"title": "x"}',
        headers={**user.headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize("body", [b'{"title": ', b"\xff\xfe", b"[1, 2", b"nul"])
async def test_malformed_json_is_400(api: Api, body: bytes) -> None:
    user = await api.user()
    response = await api.client.post(
        "/api/v1/tasks", content=body, headers={**user.headers, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed-json")


async def test_wrong_json_shape_is_422(api: Api) -> None:
    user = await api.user()
    for body in (b"[]", b'"text"', b"42", b"null"):
        response = await api.client.post(
            "/api/v1/tasks",
            content=body,
            headers={**user.headers, "Content-Type": "application/json"},
        )
        assert_problem(response, 422, "validation-error")


async def test_validation_errors_name_each_field(api: Api) -> None:
    user = await api.user()
    response = await api.client.post(
        "/api/v1/tasks",
        json={"title": "", "tags": ["ok", "fine", "good", "bad tag!"], "colour": "red"},
        headers=user.headers,
    )
    body = assert_problem(response, 422, "validation-error")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"title", "tags.3", "colour"}
    assert fields["colour"] == "Unknown field"


async def test_query_validation_names_the_parameter(api: Api) -> None:
    user = await api.user()
    response = await api.client.get(
        "/api/v1/tasks", params={"limit": 1000, "status": "later"}, headers=user.headers
    )
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"limit", "status.0"}


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(await client.put("/api/v1/tasks"), 405, "method-not-allowed")


async def test_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_reports_a_reachable_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    # Nothing listens on port 1: a real refused connection, not a stub.
    broken = settings.model_copy(
        update={
            "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "db_pool_timeout": 1.0,
        }
    )
    broken.__dict__.pop("dialect", None)
    async with serving(broken) as (_, client):
        c = client()
        assert (await c.get("/livez")).status_code == 200
        assert_problem(await c.get("/readyz"), 503, "service-unavailable")
        # A request that needs the database fails cleanly too, and says to retry.
        response = await c.post(
            "/api/v1/auth/login", json={"email": "a@example.com", "password": "whatever1"}
        )
        assert_problem(response, 503)
        assert response.headers["retry-after"]


async def test_served_schema_matches_the_committed_one(client: httpx.AsyncClient) -> None:
    served = (await client.get("/api/openapi.json")).json()
    committed = json.loads((ROOT / "openapi.json").read_text())
    assert served == committed, "openapi.json is stale: run `make openapi`"


async def test_every_error_response_is_a_documented_problem(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    assert "Problem" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "500" in responses, (method, path)
            if "requestBody" in operation:
                for status in ("400", "413", "415", "422"):
                    assert status in responses, (method, path, status)
            if any(p["in"] == "path" for p in operation.get("parameters", [])):
                assert "404" in responses or "422" in responses, (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (method, path, status)
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }


async def test_task_routes_document_not_found_and_precondition(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/openapi.json")).json()
    item = schema["paths"]["/api/v1/tasks/{task_id}"]
    for method in ("get", "patch", "delete"):
        assert "404" in item[method]["responses"]
        assert "401" in item[method]["responses"]
    assert "412" in item["patch"]["responses"]
    assert "412" in item["delete"]["responses"]


async def test_exhausted_pool_answers_503_quickly(settings: Settings) -> None:
    """With every connection taken, a request waits at most the pool timeout, then gets a 503
    problem with Retry-After; it does not hang."""
    tight = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.3}
    )
    async with serving(tight) as (app, client):
        c = client()
        user = await Api(c).user()
        ctx = app.state.ctx
        async with ctx.db.reader(), ctx.db.transaction():  # hold both pools' only connection
            response = await c.get("/api/v1/tasks", headers=user.headers)
            assert_problem(response, 503, "service-unavailable")
            assert response.headers["retry-after"]
        assert (await c.get("/api/v1/tasks", headers=user.headers)).status_code == 200


async def test_each_engine_has_its_own_pool_size(settings: Settings) -> None:
    """A read pool of one connection, taken: reads get a fast 503 while writes, from their own
    larger pool, still go through."""
    split = settings.model_copy(
        update={
            "db_pool_size": 3,
            "db_max_overflow": 0,
            "db_read_pool_size": 1,
            "db_read_max_overflow": 0,
            "db_pool_timeout": 0.3,
            "session_check_ttl_seconds": 60.0,
        }
    )
    async with serving(split) as (app, client):
        c = client()
        api = Api(c)
        user = await api.user()
        assert (await c.get("/api/v1/tasks", headers=user.headers)).status_code == 200
        ctx = app.state.ctx
        assert ctx.db.read_engine.pool.size == 1
        assert ctx.db.write_engine.pool.size == 3
        async with ctx.db.reader():  # the read pool's only connection
            assert_problem(await c.get("/api/v1/tasks", headers=user.headers), 503)
            created = await c.post(
                "/api/v1/tasks", json={"title": "still writable"}, headers=user.headers
            )
            assert created.status_code == 201, created.text


class _RecordingTracer(trace.Tracer):
    """OpenTelemetry's tracer API, keeping the name of every span started (no SDK needed)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.names.append(name)
        return trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)

    @contextmanager
    def start_as_current_span(self, name: str, *args: Any, **kwargs: Any) -> Iterator[trace.Span]:
        yield self.start_span(name)


class _RecordingTracerProvider(trace.TracerProvider):
    def __init__(self) -> None:
        self.tracer = _RecordingTracer()

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return self.tracer


async def test_request_spans_only_when_opentelemetry_is_enabled(settings: Settings) -> None:
    """With a tracer provider configured by the deployment, requests are traced when
    TASKLANE_OTEL_ENABLED is set, and not otherwise (the default: no per-request check)."""
    provider = _RecordingTracerProvider()
    trace.set_tracer_provider(provider)  # process-wide; every other app here has it off
    seen: dict[bool, list[str]] = {}
    for enabled in (False, True):
        provider.tracer.names.clear()
        async with serving(settings.model_copy(update={"otel_enabled": enabled})) as (_, client):
            assert (await client().get("/livez")).status_code == 200
        seen[enabled] = list(provider.tracer.names)
    assert seen[False] == []
    assert any(name.split()[0] == "GET" for name in seen[True]), seen[True]  # the request's span
