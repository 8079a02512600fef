"""The single-machine cluster of scripts/cluster.py, for real: three `tasklane serve`
instances on the suite's database and nginx in front (deploy/nginx), all on 127.0.0.1.

TLS 1.2 and 1.3 only, HTTP redirected to HTTPS, HSTS and the app's security headers through
nginx (on the files nginx serves itself too), requests spread over the instances, and a load
run during which an instance is killed and brought back by the cluster's monitor: no GET
fails, and every write answered with a 2xx is in the database afterwards. (The supervision
itself, kill by kill, is test_cluster_supervision's.)

These tests run in each database pass, against that pass's database: the instances share it
the way production instances share MariaDB or PostgreSQL, so the load run's "every
acknowledged write is there" is checked on each of the three.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import signal
import ssl
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from scripts.cluster import answers
from tasklane.core.context import AppContext
from tasklane.core.http import API_CSP
from tasklane.settings import Settings
from tasklane.spa import spa_csp
from tasklane.tasks.models import tasks
from tests import cluster_support as support
from tests.helpers import live_account, next_event, sse_events

ASSET = "assets/app-3f2a9c1b.js"
HSTS = "max-age=63072000; includeSubDomains"
SECURITY_HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
    "cache-control",
)
# Headers about the transfer, not the content's policy: they may differ between nginx and the
# app. Every other header the app sends must come the same from nginx (a header added to the
# app later is caught here until deploy/nginx sends it too).
TRANSFER_HEADERS = frozenset(
    {
        "date",
        "server",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "vary",
        "etag",
        "last-modified",
        "accept-ranges",
    }
)


# Headers whose value belongs to one answer (two requests never share it): nginx must send
# them as the app does, each with its own value.
PER_REQUEST_HEADERS = frozenset({"x-request-id"})


def assert_same_headers(via_nginx: httpx.Response, own: httpx.Response, where: str) -> None:
    for name in SECURITY_HEADERS:
        assert name in own.headers, (where, name)
    for name in set(own.headers) - TRANSFER_HEADERS:
        if name in PER_REQUEST_HEADERS:
            assert len(via_nginx.headers.get_list(name)) == len(own.headers.get_list(name)), (
                where,
                name,
            )
        else:
            assert via_nginx.headers.get_list(name) == own.headers.get_list(name), (where, name)


def make_dist(path: Path) -> Path:
    """A small build of the web app, shaped like Vite's (hashed assets, a hidden manifest)."""
    (path / "assets").mkdir(parents=True)
    (path / ".vite").mkdir()
    (path / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/app-3f2a9c1b.js">'
        '</script></head><body><div id="root"></div></body></html>\n'
    )
    (path / ASSET).write_text("console.log('tasklane');\n")
    (path / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    (path / ".vite" / "manifest.json").write_text("{}\n")
    return path


@pytest.fixture(scope="module")
def cluster(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    support.require_tools("nginx", "openssl")
    root = tmp_path_factory.mktemp("cluster")
    dist = make_dist(root / "dist")
    cluster = support.new_cluster(
        root / "run",
        settings.database_url,
        instances=3,
        workers=1,
        web_dist=dist,
        # The instances serve the same build, so their answers can be compared with nginx's.
        env={"TASKLANE_WEB_DIST_DIR": str(dist)},
    )
    cluster.start(monitor=True)
    try:
        yield cluster
    finally:
        killed = cluster.stop(quiet=True)  # within drain + grace (+5 s), as documented
    assert killed == [], "a process did not stop after SIGTERM (drain, then graceful stop)"
    assert [port for port in cluster.ports() if answers(port)] == []


@pytest.fixture(scope="module")
def tls(cluster: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cluster.cert))


@pytest.fixture
def edge(cluster: Any, tls: ssl.SSLContext) -> Iterator[httpx.Client]:
    """A client of nginx, over HTTPS."""
    with httpx.Client(base_url=cluster.https_url, verify=tls, timeout=30) as client:
        yield client


@pytest.fixture
def direct(cluster: Any) -> Iterator[httpx.Client]:
    """A client of the first instance, without nginx."""
    with httpx.Client(base_url=cluster.instances[0].url, timeout=30) as client:
        yield client


def handshake(cluster: Any, context: ssl.SSLContext) -> str | None:
    with (
        ssl_socket(cluster.https_port) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls_socket,
    ):
        return tls_socket.version()


def ssl_socket(port: int) -> Any:
    import socket  # noqa: PLC0415

    return socket.create_connection(("127.0.0.1", port), timeout=10)


def client_context(cluster: Any, version: str) -> ssl.SSLContext:
    """A client that offers exactly this protocol version; security level 0, so that it is
    nginx, not this client's OpenSSL, that refuses what is old."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=str(cluster.cert))
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = getattr(ssl.TLSVersion, version)
        context.maximum_version = getattr(ssl.TLSVersion, version)
    return context


# --- TLS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "negotiated"), [("TLSv1_2", "TLSv1.2"), ("TLSv1_3", "TLSv1.3")]
)
def test_tls_12_and_13_handshakes_succeed(cluster: Any, version: str, negotiated: str) -> None:
    assert handshake(cluster, client_context(cluster, version)) == negotiated


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_1"])
def test_tls_11_and_older_are_refused_by_the_server(cluster: Any, version: str) -> None:
    with pytest.raises(ssl.SSLError) as refused:
        handshake(cluster, client_context(cluster, version))
    # The server's alert, not the client declining to offer the version.
    assert refused.value.reason == "TLSV1_ALERT_PROTOCOL_VERSION", refused.value


def test_tls_12_without_forward_secrecy_is_refused(cluster: Any) -> None:
    context = client_context(cluster, "TLSv1_2")
    context.set_ciphers("AES128-SHA:AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError) as refused:
        handshake(cluster, context)
    assert refused.value.reason == "SSLV3_ALERT_HANDSHAKE_FAILURE", refused.value


def test_http_redirects_to_https(cluster: Any, tls: ssl.SSLContext) -> None:
    path = "/api/v1/tasks?status=todo&limit=5"
    answer = httpx.get(f"{cluster.http_url}{path}", timeout=30)
    assert answer.status_code == 301
    location = answer.headers["location"]
    assert location == f"https://127.0.0.1:{cluster.https_port}{path}"
    followed = httpx.get(location, verify=tls, timeout=30)
    assert followed.status_code == 401  # the API's answer, over HTTPS
    assert followed.headers["strict-transport-security"] == HSTS


# --- headers --------------------------------------------------------------------------------


def test_api_answers_through_nginx_keep_the_app_headers_and_gain_hsts(
    edge: httpx.Client, direct: httpx.Client
) -> None:
    for path in ("/livez", "/api/v1/tasks", "/api/v1/nowhere"):
        via_nginx = edge.get(path)
        own = direct.get(path)
        assert via_nginx.status_code == own.status_code
        assert_same_headers(via_nginx, own, path)
        assert via_nginx.headers.get_list("strict-transport-security") == [HSTS]
    assert edge.get("/livez").headers["content-security-policy"] == API_CSP


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        ("/", "no-cache"),
        ("/tasks/42", "no-cache"),  # a client-side route: the page
        (f"/{ASSET}", "public, max-age=31536000, immutable"),
        ("/favicon.svg", "public, max-age=3600"),
    ],
)
def test_nginx_serves_the_web_app_with_the_apps_headers(
    edge: httpx.Client, direct: httpx.Client, path: str, cache_control: str
) -> None:
    via_nginx = edge.get(path)
    own = direct.get(path)
    assert via_nginx.status_code == own.status_code == 200
    assert via_nginx.content == own.content
    assert via_nginx.headers["content-type"] == own.headers["content-type"]
    assert via_nginx.headers["server"] == "nginx"  # served from disk, not proxied
    assert_same_headers(via_nginx, own, path)
    assert via_nginx.headers["cache-control"] == cache_control
    assert via_nginx.headers["content-security-policy"] == spa_csp(None)
    assert via_nginx.headers.get_list("strict-transport-security") == [HSTS]


@pytest.mark.parametrize(
    "path", ["/missing-3f2a9c1b.js", "/assets/nothing.css", "/.vite/manifest.json"]
)
def test_nginx_serves_no_missing_or_hidden_file(edge: httpx.Client, path: str) -> None:
    assert edge.get(path).status_code == 404


def test_forwarded_proto_from_nginx_is_trusted(cluster: Any, edge: httpx.Client) -> None:
    """Behind nginx the instance sees the HTTPS origin the browser is on (X-Forwarded-Proto
    from 127.0.0.1, a trusted proxy), so its same-origin check accepts it."""
    same_site = {"X-Requested-With": "XMLHttpRequest"}
    origin = f"https://127.0.0.1:{cluster.https_port}"
    assert (
        edge.post("/api/v1/auth/logout", headers={**same_site, "Origin": origin}).status_code == 204
    )
    downgraded = origin.replace("https://", "http://")
    refused = edge.post("/api/v1/auth/logout", headers={**same_site, "Origin": downgraded})
    assert refused.status_code == 403


# --- balancing ------------------------------------------------------------------------------


def access_log_lines(cluster: Any, marker: str, count: int) -> list[str]:
    """nginx's access log lines with ``marker`` (it flushes its buffer every second)."""
    log = cluster.root / "nginx" / "logs" / "access.log"
    lines: list[str] = []
    for _ in range(100):
        lines = [line for line in log.read_text().splitlines() if marker in line]
        if len(lines) >= count:
            break
        time.sleep(0.1)
    return lines


def test_requests_are_spread_over_the_instances(cluster: Any, edge: httpx.Client) -> None:
    marker = uuid.uuid4().hex
    total = 60
    for i in range(total):
        assert edge.get(f"/livez?probe={marker}-{i}").status_code == 200
    lines = access_log_lines(cluster, marker, total)
    assert len(lines) == total
    served = Counter(re.search(r'upstream="127\.0\.0\.1:(\d+)"', line).group(1) for line in lines)  # type: ignore[union-attr]
    assert set(served) == {str(i.port) for i in cluster.instances}, served
    # least_conn between idle instances takes them in turn.
    assert min(served.values()) >= total // 6, served


# --- load run with an instance killed -------------------------------------------------------


class LoadRun:
    """Clients through nginx for as long as ``stop`` is not set: three reads for each write."""

    def __init__(self, cluster: Any, context: ssl.SSLContext, clients: int = 6) -> None:
        self.base_url = cluster.https_url
        self.context = context
        self.clients = clients
        self.stop = threading.Event()
        self.reads: list[tuple[str, int | str]] = []
        self.writes: list[tuple[int | str, str | None]] = []
        self.accounts: list[dict[str, Any]] = []

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, verify=self.context, timeout=30, headers=headers
        )

    def prepare(self) -> None:
        with self.client() as client:
            for _ in range(3):
                email = f"load-{uuid.uuid4().hex[:12]}@example.com"
                body = {"email": email, "password": support.PASSWORD, "name": "Load"}
                assert client.post("/api/v1/auth/register", json=body).status_code == 201
                login = client.post(
                    "/api/v1/auth/login", json={"email": email, "password": support.PASSWORD}
                )
                assert login.status_code == 200, login.text
                token = login.json()["access_token"]
                ids = []
                for n in range(3):
                    created = client.post(
                        "/api/v1/tasks",
                        json={"title": f"Seed {n}"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert created.status_code == 201, created.text
                    ids.append(created.json()["id"])
                self.accounts.append({"token": token, "ids": ids})

    def work(self, number: int) -> None:
        account = self.accounts[number % len(self.accounts)]
        rng = random.Random(number)
        with self.client(Authorization=f"Bearer {account['token']}") as client:
            step = 0
            while not self.stop.is_set():
                step += 1
                if step % 4 == 0:
                    try:
                        answer = client.post("/api/v1/tasks", json={"title": f"Load {number}"})
                    except httpx.HTTPError as error:
                        self.writes.append((repr(error), None))
                        continue
                    task_id = answer.json()["id"] if answer.status_code == 201 else None
                    self.writes.append((answer.status_code, task_id))
                    if task_id:
                        account["ids"].append(task_id)
                    continue
                if step % 2:
                    path = "/api/v1/tasks?limit=20"
                else:
                    path = f"/api/v1/tasks/{rng.choice(account['ids'])}"
                try:
                    self.reads.append((path, client.get(path).status_code))
                except httpx.HTTPError as error:
                    self.reads.append((path, repr(error)))

    def run(self, cluster: Any, victim: int = 1) -> dict[str, int]:
        self.prepare()
        threads = [threading.Thread(target=self.work, args=(n,)) for n in range(self.clients)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            reads_before_kill = len(self.reads)
            killed = cluster.instances[victim].pid
            cluster.signal_instance(victim, signal.SIGKILL)
            assert cluster.wait_instance(victim, timeout=10)
            reads_while_down = wait_until_back(cluster, victim, killed, lambda: len(self.reads))
            time.sleep(2)
        finally:
            self.stop.set()
            for thread in threads:
                thread.join(60)
        return {"before_kill": reads_before_kill, "while_down": reads_while_down}


def wait_until_back(cluster: Any, index: int, killed: int, mark: Any) -> Any:
    """Wait until the monitor has started the instance again on its port (a new supervisor,
    /readyz 200); ``mark()`` as it was just before."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        marked = mark()
        cluster.refresh()
        instance = cluster.instances[index]
        if instance.pid != killed:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{instance.url}/readyz", timeout=2).status_code == 200:
                    return marked
        time.sleep(0.1)
    raise AssertionError(f"instance {index} was not back within 60 s")


async def test_load_run_survives_an_instance_killed_and_brought_back(
    cluster: Any, tls: ssl.SSLContext, ctx: AppContext
) -> None:
    load = LoadRun(cluster, tls)
    marks = await asyncio.to_thread(load.run, cluster)

    failed_writes = [status for status, task_id in load.writes if task_id is None]
    print(
        f"load run: {len(load.reads)} GETs, {len(load.writes)} POSTs "
        f"({len(failed_writes)} failed: {Counter(map(str, failed_writes))}), marks {marks}"
    )
    failed_reads = [read for read in load.reads if read[1] != 200]
    assert failed_reads == [], f"{len(failed_reads)} of {len(load.reads)} GETs failed"
    assert marks["while_down"] > marks["before_kill"] > 0, "no GET ran while an instance was down"
    assert len(load.reads) > marks["while_down"], "no GET after the restart"

    acknowledged = {task_id for status, task_id in load.writes if task_id is not None}
    assert acknowledged, load.writes
    ids = [uuid.UUID(task_id) for task_id in acknowledged]
    async with ctx.db.reader() as conn:
        stored = {
            row[0] for row in await conn.execute(select(tasks.c.id).where(tasks.c.id.in_(ids)))
        }
    assert stored == set(ids), f"{len(set(ids) - stored)} acknowledged writes are missing"
    # Writes that failed (in flight on the killed instance) are allowed: nginx does not resend
    # a POST that reached an instance. Those that did not fail were all 201.
    assert {status for status, task_id in load.writes if task_id is not None} == {201}


async def test_a_stream_through_nginx_gets_a_change_made_on_an_instance(
    cluster: Any, tls: ssl.SSLContext
) -> None:
    """Live updates pass through nginx as they come (no buffering), whichever instance the
    change went through."""
    async with (
        httpx.AsyncClient(base_url=cluster.https_url, verify=tls, timeout=30) as edge_client,
        httpx.AsyncClient(base_url=cluster.instances[1].url, timeout=30) as instance,
    ):
        headers, _ = await live_account(instance)
        async with edge_client.stream("GET", "/api/v1/events", headers=headers) as response:
            assert response.status_code == 200
            events = sse_events(response)
            created = await instance.post(
                "/api/v1/tasks", json={"title": "Through nginx"}, headers=headers
            )
            assert created.status_code == 201
            event = await next_event(events, "task.created")
            assert event["subject_id"] == created.json()["id"]
