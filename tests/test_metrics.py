"""/metrics, request ids and logs: what an operator scrapes and reads."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import math
import re
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from prometheus_client.parser import text_string_to_metric_families

from tasklane.core import metrics
from tasklane.core.context import AppContext
from tasklane.core.db import ReplicaStatus
from tasklane.observability import RequestIdFilter, Sampler, configure_logging
from tasklane.settings import Settings
from tasklane.worker import Worker
from tests import cluster_support as support
from tests.helpers import Api, assert_problem, live_account
from tests.services_support import served

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, method: str, route: str, status: int) -> float:
    return value(
        samples,
        "tasklane_http_request_duration_seconds_count",
        method=method,
        route=route,
        status=str(status),
    )


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


async def test_every_route_counts_by_template_fast_paths_and_edge_refusals_included(
    api: Api,
) -> None:
    user = await api.user()
    task = (
        await api.client.post("/api/v1/tasks", json={"title": "x"}, headers=user.headers)
    ).json()
    before = await scrape(api.client)
    # The read lane (no FastAPI routing), a FastAPI route, an edge refusal, an unknown path.
    for _ in range(3):
        got = await api.client.get(f"/api/v1/tasks/{task['id']}", headers=user.headers)
        assert got.status_code == 200
    assert (await api.client.get("/api/v1/tasks", headers=user.headers)).status_code == 200
    assert (await api.client.get("/api/v1/users/me", headers=user.headers)).status_code == 200
    refused = await api.client.request("GET", "/api/v1/tasks", content=b"{}")
    assert refused.status_code == 400
    assert (await api.client.get("/api/v1/no-such-thing")).status_code == 404
    after = await scrape(api.client)

    def grew(method: str, route: str, status: int) -> float:
        return requests(after, method, route, status) - requests(before, method, route, status)

    assert grew("GET", "/api/v1/tasks/{task_id}", 200) == 3
    assert grew("GET", "/api/v1/tasks", 200) == 1
    assert grew("GET", "/api/v1/users/me", 200) == 1
    assert grew("GET", "edge", 400) == 1
    assert grew("GET", "unmatched", 404) == 1
    # A latency histogram per route: the buckets and the sum are there too.
    bucket = value(
        after,
        "tasklane_http_request_duration_seconds_bucket",
        method="GET",
        route="/api/v1/tasks/{task_id}",
        status="200",
        le="+Inf",
    )
    assert bucket == requests(after, "GET", "/api/v1/tasks/{task_id}", 200)
    # Paths never become labels: the task's id appears nowhere.
    assert task["id"] not in (await api.client.get("/metrics")).text


async def test_metrics_are_refused_to_the_public_and_through_a_proxy(app: object) -> None:
    public = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=public, base_url="http://api") as client:
        assert_problem(await client.get("/metrics"), 404, "not-found")
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=local, base_url="http://api") as client:
        # nginx (or an ingress) on the same machine passes a public client on: refused.
        forwarded = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
        assert_problem(forwarded, 404, "not-found")
        assert (await client.get("/metrics")).status_code == 200


async def test_every_response_carries_a_request_id_and_nginx_s_is_kept(api: Api) -> None:
    first = await api.client.get("/livez")
    second = await api.client.get("/livez")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    given = await api.client.get(
        "/livez", headers={"X-Request-ID": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}
    )
    assert given.headers["x-request-id"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    # Anything that is not a plain token (log injection, megabytes) is replaced.
    odd = await api.client.get("/livez", headers={"X-Request-ID": 'a"b\\n' + "c" * 300})
    assert len(odd.headers["x-request-id"]) == 32
    problem = await api.client.get("/api/v1/users/me")
    assert problem.status_code == 401
    assert problem.headers["x-request-id"]


Start = Callable[..., Awaitable[tuple[httpx.AsyncClient, AppContext]]]


@pytest.fixture
async def own_app(settings: Settings) -> AsyncIterator[Start]:
    """Starts apps of their own, with changed settings; stops them at the end."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**update: Any) -> tuple[httpx.AsyncClient, AppContext]:
            return await stack.enter_async_context(served(settings, **update))

        yield start


async def test_rate_limit_rejections_are_counted_by_policy(own_app: Start) -> None:
    client, _ = await own_app(rate_limit_anonymous="2/minute")
    before = parse(metrics.render().decode())
    statuses = [(await client.get("/api/v1/tasks")).status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]
    after = parse(metrics.render().decode())
    name = "tasklane_rate_limit_rejections_total"
    grew = value(after, name, policy="anonymous") - value(before, name, policy="anonymous")
    assert grew == 2
    assert requests(after, "GET", "edge", 429) - requests(before, "GET", "edge", 429) == 2


async def test_cache_hits_and_misses_are_counted(api: Api) -> None:
    user = await api.user()
    before = await scrape(api.client)
    for _ in range(3):  # the profile: filled once, then read from the cache
        assert (await api.client.get("/api/v1/users/me", headers=user.headers)).status_code == 200
    after = await scrape(api.client)
    name = "tasklane_cache_requests_total"
    hits = value(after, name, result="hit") - value(before, name, result="hit")
    misses = value(after, name, result="miss") - value(before, name, result="miss")
    assert hits >= 2
    assert misses >= 1


async def test_pool_use_and_waits_are_measured(own_app: Start) -> None:
    _, ctx = await own_app(db_read_pool_size=1, db_read_max_overflow=0)
    sampler = Sampler(ctx)
    name = "tasklane_db_pool_wait_seconds_count"
    before = parse(metrics.render().decode())
    async with ctx.db.primary_reader():
        sampler.sample_pools()
        held = parse(metrics.render().decode())

        async def second() -> None:
            async with ctx.db.primary_reader() as conn:
                await conn.exec_driver_sql("SELECT 1")

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.05)  # it is waiting for the one connection
        assert not waiting.done()
    await waiting
    await sampler.sample()
    after = parse(metrics.render().decode())
    in_use = "tasklane_db_pool_connections_in_use"
    assert value(held, in_use, engine="read") == 1
    assert value(after, in_use, engine="read") == 0
    assert value(after, "tasklane_db_pool_connections_max", engine="read") == 1
    assert value(after, name, engine="read") - value(before, name, engine="read") >= 1


async def test_json_logs_carry_the_request_id(own_app: Start, settings: Settings) -> None:
    client, _ = await own_app(access_log=True)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    try:
        configure_logging(settings.model_copy(update={"log_format": "json"}))
        handler = root.handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)
        response = await client.get("/livez", headers={"X-Request-ID": "req-42"})
        logging.getLogger("tasklane.test").info("outside any request")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert response.headers["x-request-id"] == "req-42"
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = next(r for r in records if r["logger"] == "tasklane.access")
    assert access["request_id"] == "req-42"
    assert access["status"] == 200
    assert access["message"] == "GET /livez 200"
    assert {"ts", "level", "duration_ms"} <= access.keys()
    outside = next(r for r in records if r["logger"] == "tasklane.test")
    assert outside["request_id"] is None


@pytest.fixture(scope="module")
def cluster(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """nginx in front of one instance of two worker processes (scripts/cluster.py)."""
    support.require_tools("nginx", "openssl")
    root = tmp_path_factory.mktemp("metrics-cluster")
    cluster = support.new_cluster(root / "run", settings.database_url, instances=1, workers=2)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop(quiet=True)


def test_an_instance_adds_up_its_workers_in_multiprocess_mode(cluster: Any) -> None:
    instance = cluster.instances[0]
    files = cluster.root / "var" / "metrics" / f"127.0.0.1-{instance.port}"
    sent = 30
    for _ in range(sent):  # a connection each: the kernel spreads them over the workers
        with httpx.Client(base_url=instance.url, timeout=30) as client:
            assert client.get("/livez").status_code == 200
    # Both workers write their samples to the instance's own directory...
    pids = {path.stem.rsplit("_", 1)[1] for path in files.glob("*.db")}
    assert len(pids) >= 2, sorted(files.iterdir())
    # ...and whichever worker answers the scrape adds up all of them.
    for _ in range(4):
        with httpx.Client(base_url=instance.url, timeout=30) as client:
            samples = parse(client.get("/metrics").text)
        assert requests(samples, "GET", "/livez", 200) == sent


async def test_open_event_streams_are_counted(cluster: Any) -> None:
    instance = cluster.instances[0]
    async with httpx.AsyncClient(base_url=instance.url, timeout=30) as client:
        headers, _ = await live_account(client)

        async def open_streams() -> float:
            scraped = parse((await client.get("/metrics")).text)
            return value(scraped, "tasklane_sse_connections")

        assert await open_streams() == 0
        async with client.stream("GET", "/api/v1/events", headers=headers) as response:
            assert response.status_code == 200
            assert await open_streams() == 1
        for _ in range(100):  # the worker sees the stream end when it next writes to it
            if await open_streams() == 0:
                break
            await asyncio.sleep(0.1)
        assert await open_streams() == 0


def test_nginx_passes_its_request_id_on_and_keeps_the_metrics_private(cluster: Any) -> None:
    tls = ssl.create_default_context(cafile=str(cluster.cert))
    with httpx.Client(base_url=cluster.https_url, verify=tls, timeout=30) as edge:
        marker = uuid.uuid4().hex
        response = edge.get("/livez", params={"m": marker})
        assert response.status_code == 200
        request_id = response.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        # The id the app returned is the one nginx made and logged for this request.
        log = cluster.root / "nginx" / "logs" / "access.log"
        for _ in range(100):  # nginx flushes its log buffer every second
            lines = [line for line in log.read_text().splitlines() if marker in line]
            if lines:
                break
            time.sleep(0.1)
        assert lines, "the request is not in nginx's access log"
        assert f"rid={request_id}" in lines[0]
        # /metrics is not served to anyone coming through nginx (which answers unknown paths
        # with the web app's page, or passes them to an instance that refuses them).
        through = edge.get("/metrics")
        assert "# TYPE" not in through.text
        assert through.status_code in (200, 404)
        if through.status_code == 200:
            assert through.headers["content-type"].startswith("text/html")


class Collector:
    """An OpenTelemetry collector's OTLP/HTTP trace endpoint on loopback: keeps the spans."""

    def __init__(self) -> None:
        self.spans: list[Any] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest.FromString(body)
                for resource in request.resource_spans:
                    for scoped in resource.scope_spans:
                        collector.spans.extend(scoped.spans)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_requests_are_traced_to_the_configured_collector(
    settings: Settings, api: Api
) -> None:
    user = await api.user()
    collector = Collector()
    try:
        async with served(settings, otel_endpoint=collector.url) as (client, _):
            got = await client.get("/api/v1/users/me", headers=user.headers)
            assert got.status_code == 200
        # The app's shutdown sent what was buffered.
    finally:
        collector.close()
    spans = {
        span.name: {a.key: a.value for a in span.attributes}
        for span in collector.spans
        if span.kind == span.SPAN_KIND_SERVER
    }
    assert "GET /api/v1/users/me" in spans, list(spans)
    attributes = spans["GET /api/v1/users/me"]
    assert attributes["http.route"].string_value == "/api/v1/users/me"
    assert attributes["http.response.status_code"].int_value == 200


async def test_replica_lag_is_exposed_as_the_replica_checks_see_it(
    own_app: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ctx = await own_app()
    states = [
        ReplicaStatus(index=1, name="r1", state="ok", lag_seconds=0.4, in_use=True),
        ReplicaStatus(index=2, name="r2", state="lagging", lag_seconds=42.0, in_use=False),
        ReplicaStatus(index=3, name="r3", state="unreachable", lag_seconds=None, in_use=False),
    ]
    monkeypatch.setattr(ctx.db, "replica_states", lambda: states)
    Sampler(ctx).sample_pools()
    samples = parse(metrics.render().decode())
    assert value(samples, "tasklane_db_replica_lag_seconds", replica="1") == 0.4
    assert value(samples, "tasklane_db_replica_lag_seconds", replica="2") == 42.0
    assert math.isnan(value(samples, "tasklane_db_replica_lag_seconds", replica="3"))
    assert value(samples, "tasklane_db_replica_in_use", replica="1") == 1
    assert value(samples, "tasklane_db_replica_in_use", replica="2") == 0


async def test_outbox_lag_is_read_at_each_scrape(api: Api, ctx: AppContext) -> None:
    user = await api.user()
    await api.create_task(user, title="An event the relay has not handed on")
    waiting = value(await scrape(api.client), "tasklane_outbox_lag_seconds")
    assert waiting > 0
    worker = Worker(ctx)  # the notification service's relay catches up
    try:
        while await worker.relay():
            pass
    finally:
        await worker.close()
    assert value(await scrape(api.client), "tasklane_outbox_lag_seconds") == 0


async def test_an_unexpected_error_is_answered_and_logged_with_the_request_id(
    api: Api, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await api.user()

    async def broken(name: str) -> bytes | None:
        raise RuntimeError("the cache broke in a way nobody planned for")

    monkeypatch.setattr(ctx.cache, "get", broken)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.addFilter(RequestIdFilter())
    handler.emit = records.append  # type: ignore[method-assign]
    errors = logging.getLogger("tasklane.errors")
    errors.addHandler(handler)
    try:
        response = await api.client.get(
            "/api/v1/users/me", headers={**user.headers, "X-Request-ID": "broken-1"}
        )
    finally:
        errors.removeHandler(handler)
    assert_problem(response, 500)
    assert response.headers["x-request-id"] == "broken-1"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert [r.request_id for r in records] == ["broken-1"]  # type: ignore[attr-defined]
    assert records[0].exc_info is not None
