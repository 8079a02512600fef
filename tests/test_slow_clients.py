"""Slow clients cannot keep others out: 2,000 connections that never finish their request head
(the "slowloris" pattern), from the same address, and a normal client is still answered —
by a real `tasklane serve` (granian) and by nginx in front of an instance.

Before the limits of docs/operations.md ("Slow clients and connection limits"), about 1,030
such connections were enough to stop `tasklane serve` answering anyone: granian's default
backpressure (1,024 connections per worker) was all taken, and new connections waited in the
listen backlog until a slow one was dropped, 30 s later.

The bounds below are on waiting (a client that gets no answer at all must not hang the
suite), not on speed.
"""

from __future__ import annotations

import contextlib
import logging
import re
import resource
import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tasklane.server import RESERVED_FILES, connections_per_worker, raise_open_files_limit
from tasklane.settings import Settings
from tests import cluster_support as support

SLOW = 2000
#: How long a normal client may wait for its answer while the slow connections are held.
ANSWER_WITHIN = 5.0
PARTIAL_HEAD = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-client\r\n"
TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "nginx" / "tasklane.conf.template"


@pytest.fixture(scope="module", autouse=True)
def enough_open_files() -> Iterator[None]:
    """Room for the slow sockets in this process (and in the servers it starts, which inherit
    the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 3 * SLOW
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.fail(
                f"the open-files hard limit ({hard}) is below the {needed} these tests need: "
                f"raise it (ulimit -Hn {needed})",
                pytrace=False,
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def open_slow(port: int, count: int, context: ssl.SSLContext | None = None) -> list[Any]:
    """``count`` connections, each with a request head begun and never finished (a few
    threads: TLS handshakes take a few milliseconds of CPU each, mostly outside the GIL)."""

    def one(_: int) -> Any:
        sock: Any = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname="localhost")
            sock.sendall(PARTIAL_HEAD)
        except BaseException:
            sock.close()
            raise
        return sock

    sockets: list[Any] = []
    errors: list[str] = []
    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(one, n) for n in range(count)]:
            try:
                sockets.append(future.result())
            except OSError as error:
                errors.append(repr(error))
    if errors:
        close_all(sockets)
        pytest.fail(f"{len(errors)} of {count} slow connections failed to open: {errors[0]}")
    return sockets


def close_all(sockets: list[Any]) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.close()


def still_open(sock: Any) -> bool:
    """Whether the server still holds this connection (it has neither closed nor reset it):
    a look at the TCP socket (under TLS too) that neither waits nor reads anything."""
    raw = socket.socket(fileno=sock.fileno())
    try:
        return bool(raw.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        raw.detach()  # the descriptor stays ``sock``'s


def livez(base_url: str, **client: Any) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=ANSWER_WITHIN, **client) as http:
        return http.get("/livez")


# --- the app server's own limits --------------------------------------------------------------


@pytest.fixture
def make_instance(settings: Settings, tmp_path: Path) -> Iterator[Any]:
    started: list[Any] = []

    def make(**env: str) -> Any:
        cluster = support.new_cluster(
            tmp_path / f"run{len(started)}",
            settings.database_url,
            instances=1,
            workers=1,
            env=env,
        )
        started.append(cluster)
        cluster.start_instance(0)
        return cluster.instances[0]

    yield make
    for cluster in started:
        cluster.stop(timeout=30, quiet=True)


def test_slow_connections_do_not_keep_a_normal_client_out_of_tasklane_serve(
    make_instance: Any,
) -> None:
    # The slow connections are held by the server for the whole test (a long head timeout):
    # what lets the normal client in is room for connections, not their being dropped.
    instance = make_instance(TASKLANE_SERVER_HEADER_READ_TIMEOUT_SECONDS="120")
    slow = open_slow(instance.port, SLOW)
    try:
        answer = livez(instance.url)
        assert answer.status_code == 200, answer.text
        held = sum(still_open(sock) for sock in slow)
        assert held == SLOW, f"the server dropped {SLOW - held} slow connections: nothing tested"
    finally:
        close_all(slow)


def test_a_connection_that_does_not_finish_its_head_is_closed_after_the_timeout(
    make_instance: Any,
) -> None:
    instance = make_instance(TASKLANE_SERVER_HEADER_READ_TIMEOUT_SECONDS="1")
    slow = open_slow(instance.port, 20)
    idle = socket.create_connection(("127.0.0.1", instance.port), timeout=10)  # sends nothing
    slow.append(idle)
    try:
        deadline = time.monotonic() + 15
        while any(still_open(sock) for sock in slow) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(still_open(sock) for sock in slow)
        assert livez(instance.url).status_code == 200
    finally:
        close_all(slow)


def test_connections_per_worker_stay_within_the_open_files_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(server_max_connections=16384)
    assert connections_per_worker(settings, 1_048_576) == 16384
    with caplog.at_level(logging.WARNING, logger="tasklane.server"):
        assert connections_per_worker(settings, 1024) == 1024 - RESERVED_FILES
    assert "TASKLANE_SERVER_MAX_CONNECTIONS" in caplog.text
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        assert raise_open_files_limit() == (hard if hard != resource.RLIM_INFINITY else 1_048_576)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- nginx in front ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edge(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One instance behind nginx (deploy/nginx), over HTTPS."""
    support.require_tools("nginx", "openssl")
    cluster = support.new_cluster(
        tmp_path_factory.mktemp("slow-edge") / "run",
        settings.database_url,
        instances=1,
        workers=1,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop(timeout=30, quiet=True)


@pytest.fixture(scope="module")
def tls(edge: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(edge.cert))


def test_slow_connections_do_not_keep_a_normal_client_out_of_nginx(
    edge: Any, tls: ssl.SSLContext
) -> None:
    started = time.monotonic()
    slow = open_slow(edge.https_port, SLOW, tls)
    opened_in = time.monotonic() - started
    try:
        answer = livez(edge.https_url, verify=tls)
        assert answer.status_code == 200, answer.text
        held = sum(still_open(sock) for sock in slow)
        # nginx drops a slow connection 10 s after it opened (client_header_timeout): those
        # opened last are all still there unless opening them took that long.
        assert held > 0 or opened_in > 10, "nginx dropped every slow connection: nothing tested"
    finally:
        close_all(slow)


def test_nginx_bounds_the_requests_in_progress_per_address(edge: Any, tls: ssl.SSLContext) -> None:
    """Requests whose head has been read count towards ``limit_conn`` (here: POSTs whose body
    never comes); beyond the limit, a 429 problem; once they are gone, answers again."""
    configured = re.search(r"limit_conn per_address (\d+);", TEMPLATE.read_text())
    assert configured is not None
    limit = int(configured[1])
    head = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    held: list[Any] = []
    try:
        for _ in range(limit):
            sock = tls.wrap_socket(
                socket.create_connection(("127.0.0.1", edge.https_port), timeout=10),
                server_hostname="localhost",
            )
            held.append(sock)
            sock.sendall(head)
        deadline = time.monotonic() + ANSWER_WITHIN
        while (answer := livez(edge.https_url, verify=tls)).status_code != 429:
            assert time.monotonic() < deadline, answer.status_code
            time.sleep(0.05)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == 429
        assert answer.headers["retry-after"] == "1"
    finally:
        close_all(held)
    deadline = time.monotonic() + ANSWER_WITHIN
    while (answer := livez(edge.https_url, verify=tls)).status_code != 200:
        assert time.monotonic() < deadline, answer.status_code
        time.sleep(0.05)
