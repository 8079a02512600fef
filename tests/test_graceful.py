"""A real `tasklane serve` (granian, 2 worker processes) stopped with SIGTERM: /readyz turns
503 while everything else is still served, then the requests in flight all finish.

No request is made slow on purpose: logins are (Argon2id, ~20 ms of CPU each, in a small
thread pool), so a burst of them keeps the instance busy when the stop begins.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from tests import cluster_support as support

BURST = 40


def new_account(base_url: str) -> tuple[str, str]:
    """Register and log in; return (email, access token)."""
    email = f"graceful-{uuid.uuid4().hex[:12]}@example.com"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        body = {"email": email, "password": support.PASSWORD, "name": "Graceful"}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
        login = client.post(
            "/api/v1/auth/login", json={"email": email, "password": support.PASSWORD}
        )
        assert login.status_code == 200, login.text
        return email, login.json()["access_token"]


class RawLogin:
    """One login on its own connection, written in full before ``sent`` is set, so the test
    knows it is in flight; the answer is read to the end of the connection."""

    def __init__(self, port: int, email: str) -> None:
        body = json.dumps({"email": email, "password": support.PASSWORD}).encode()
        self.request = (
            f"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body
        self.port = port
        self.sent = threading.Event()
        self.done = threading.Event()
        self.status: int | None = None
        self.error: str | None = None
        self.body = b""

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
                sock.sendall(self.request)
                self.sent.set()
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            answer = b"".join(chunks)
            self.status = int(answer.split(b" ", 2)[1])
            self.body = answer.split(b"\r\n\r\n", 1)[1]
        except (OSError, IndexError, ValueError) as error:
            self.error = repr(error)
        finally:
            self.sent.set()
            self.done.set()


def test_sigterm_drains_then_lets_requests_in_flight_finish(make_instance: Any) -> None:
    # A drain far longer than the test: the second SIGTERM ends it, so nothing below
    # depends on how fast the machine is.
    cluster = make_instance(
        TASKLANE_SHUTDOWN_DRAIN_SECONDS="600", TASKLANE_SHUTDOWN_GRACE_SECONDS="60"
    )
    instance = cluster.instances[0]
    email, token = new_account(instance.url)
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=instance.url, timeout=30) as client:
        assert client.get("/readyz").status_code == 200

        cluster.signal_instance(0, signal.SIGTERM)

        # The drain: /readyz says 503 as soon as the supervisor has marked it...
        for _ in range(200):
            readyz = client.get("/readyz")
            if readyz.status_code != 200:
                break
            time.sleep(0.05)
        assert readyz.status_code == 503, readyz.text
        assert readyz.json()["detail"] == "The instance is shutting down."
        assert readyz.headers["retry-after"] == "1"
    # ...and everything else is still served, on new connections too.
    with httpx.Client(base_url=instance.url, timeout=30) as client:
        assert client.get("/livez").status_code == 200
        assert client.get("/api/v1/tasks", headers=auth).status_code == 200
        created = client.post("/api/v1/tasks", json={"title": "During the drain"}, headers=auth)
        assert created.status_code == 201, created.text
        login = client.post(
            "/api/v1/auth/login", json={"email": email, "password": support.PASSWORD}
        )
        assert login.status_code == 200

    # A burst of logins, every one fully sent before the stop begins.
    logins = [RawLogin(instance.port, email) for _ in range(BURST)]
    threads = [threading.Thread(target=login.run) for login in logins]
    for thread in threads:
        thread.start()
    for login in logins:
        assert login.sent.wait(30)
    # Once one has been answered, the instance has taken all of them in.
    while not any(login.done.is_set() for login in logins):
        time.sleep(0.001)
    cluster.signal_instance(0, signal.SIGTERM)  # ends the drain: stop now
    answered_before_stop = sum(login.done.is_set() for login in logins)
    for thread in threads:
        thread.join(60)

    assert answered_before_stop < BURST, "the burst was over before the stop: nothing tested"
    assert [(login.status, login.error) for login in logins] == [(200, None)] * BURST
    assert all(b"access_token" in login.body for login in logins)
    # The instance exits by itself, cleanly, with all its workers...
    assert cluster.wait_instance(0, timeout=60)
    assert cluster._children[instance.pid].returncode == 0
    # ...and accepts no connection any more.
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{instance.url}/livez", timeout=5)


def test_forwarded_headers_are_ignored_from_untrusted_peers(make_instance: Any) -> None:
    """X-Forwarded-Proto decides the scheme the same-origin check compares with, but only
    from TASKLANE_TRUSTED_PROXIES: here not 127.0.0.1, the address the test connects from."""
    cluster = make_instance(workers=1, TASKLANE_TRUSTED_PROXIES="127.0.0.2")
    url = cluster.instances[0].url
    netloc = url.removeprefix("http://")
    headers = {"X-Requested-With": "XMLHttpRequest", "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=url, timeout=30) as client:
        spoofed = client.post(
            "/api/v1/auth/logout", headers={**headers, "Origin": f"https://{netloc}"}
        )
        assert spoofed.status_code == 403, spoofed.text
        plain = client.post(
            "/api/v1/auth/logout", headers={**headers, "Origin": f"http://{netloc}"}
        )
        assert plain.status_code == 204, plain.text
