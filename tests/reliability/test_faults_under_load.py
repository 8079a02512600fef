"""Faults under load: clients through nginx over three `tasklane serve` instances (the cluster
of scripts/cluster.py) while a fault is injected, then what a user or an operator notices.

The faults go only to servers this module starts on 127.0.0.1: a private mariadbd (the
database of the cluster) and a private redis-server, never the machine's own services.

- MariaDB stopped, then frozen (SIGSTOP): every failed answer is a fast 503 problem (none waits
  past the statement timeout plus a margin), the cluster serves again within 5 s of the
  server's return, and every write acknowledged with a 2xx is in the database, once.
- Redis stopped, then frozen: no 5xx (one open exception: ``OUTBOX_LOCK_BUG``), and a session
  ended during the outage is refused by every instance, during it and after Redis returns
  (docs/security.md).
- An instance killed with SIGKILL while the load goes on (the cluster's monitor starts it
  again): no GET through nginx fails, no acknowledged write is lost, and writes retried with
  their Idempotency-Key are stored once.

Writes always carry an Idempotency-Key and a title unique to the write; a client retries a
write that got no 2xx with the same key until it does, so "stored once" is checked for every
write, retried or not. The short form (``make test``) holds each fault a few seconds; the long
form (``TASKLANE_RELIABILITY=long``) 30 s, as issue 11 asks. MariaDB pass only: the private
server is a mariadbd. Only the issue's bounds are deadlines (a request's timeout, the 5 s of
recovery, polled); everything else is counted.
"""

from __future__ import annotations

import os
import re
import signal
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from scripts.private_mariadb import PrivateServer
from tests import cluster_support as support
from tests import test_db_timeouts
from tests.reliability.figures import record
from tests.reliability.support import examples
from tests.servers import RedisServer
from tests.test_db_timeouts import BOUNDS, _freeze, _thaw

#: test_db_timeouts' private mariadbd (it may be stopped and frozen), as a fixture of this
#: module: it skips outside the MariaDB pass.
private_mariadb = test_db_timeouts.frozen_able

#: How long each fault lasts.
FAULT_SECONDS = float(examples(3, 30))
#: Load before the fault and after the recovery.
STEADY_SECONDS = 1.0
#: Seconds the cluster has to serve again once the server is back (issue 11).
RECOVERY_SECONDS = 5.0
#: The database bounds of the instances: test_db_timeouts' short ones, but a statement may
#: take 3 s (not 1 s): here the load shares two cores with three instances, nginx and both
#: servers, and a slow statement must not pass for a fault.
DB_BOUNDS = {**BOUNDS, "db_statement_timeout": 3.0}
#: A request not answered by then counts as hung: the statement timeout, the connect timeout
#: (a frozen server does not even complete the handshake), and a margin for a busy machine.
DEADLINE = DB_BOUNDS["db_statement_timeout"] + DB_BOUNDS["db_connect_timeout"] + 3.0
CLIENTS = 6
ME = "/api/v1/users/me"


def _env() -> dict[str, str]:
    return {f"TASKLANE_{name.upper()}": str(value) for name, value in DB_BOUNDS.items()}


@pytest.fixture(scope="module")
def cluster(
    private_mariadb: PrivateServer,
    redis_server: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    support.require_tools("nginx", "openssl")
    root = tmp_path_factory.mktemp("faults")
    url = private_mariadb.url_for("tasklane", "tasklane", "secret-for-tests")
    env = {**_env(), "TASKLANE_REDIS_URL": redis_server.url}
    cluster = support.new_cluster(root / "run", url, instances=3, workers=1, env=env)
    cluster.start(monitor=True)
    try:
        yield cluster
    finally:
        cluster.stop(quiet=True)


@pytest.fixture(scope="module")
def tls(cluster: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cluster.cert))


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    started: float
    seconds: float
    method: str
    kind: str  # "ok", "503 problem", "hung", "transport", or the status code
    detail: str = ""  # a failed answer's body, shortened, or the client's error
    task_id: str = ""  # a created task's id


@dataclass
class Account:
    token: str
    ids: list[str] = field(default_factory=list)


def kind_of(response: httpx.Response) -> str:
    if 200 <= response.status_code < 300:
        return "ok"
    problem = response.headers.get("content-type", "").startswith("application/problem+json")
    if response.status_code == 503 and problem:
        return "503 problem"
    return str(response.status_code)


class Load:
    """``CLIENTS`` clients through nginx, three reads for each write, until ``stop``."""

    def __init__(self, cluster: Any, context: ssl.SSLContext, accounts: list[Account]) -> None:
        self.cluster = cluster
        self.context = context
        self.marker = uuid.uuid4().hex[:10]
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[Outcome] = []
        self.accounts = accounts
        self.acknowledged: dict[str, str] = {}  # title -> id
        self.pending: dict[int, tuple[str, str]] = {}  # client -> (key, title)
        self.threads: list[threading.Thread] = []

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.cluster.https_url,
            verify=self.context,
            timeout=httpx.Timeout(DEADLINE, pool=None),
            headers=headers,
        )

    def call(self, client: httpx.Client, method: str, path: str, **kwargs: Any) -> Outcome:
        began = time.monotonic()
        detail = task_id = ""
        try:
            response = client.request(method, path, **kwargs)
            kind = kind_of(response)
            if kind != "ok":
                detail = response.text[:200]
            elif method == "POST":
                task_id = response.json()["id"]
        except httpx.TimeoutException as error:
            kind, detail = "hung", repr(error)
        except httpx.HTTPError as error:
            kind, detail = "transport", repr(error)
        outcome = Outcome(began, time.monotonic() - began, method, kind, detail, task_id)
        if detail:
            outcome.detail = f"{method} {path}: {detail}"
        with self.lock:
            self.outcomes.append(outcome)
        return outcome

    def write(self, client: httpx.Client, number: int, account: Account) -> bool:
        """The client's pending write (a retry, same key) or a new one; True once stored."""
        key, title = self.pending.get(number) or (str(uuid.uuid4()), self.new_title())
        self.pending[number] = (key, title)
        outcome = self.call(
            client, "POST", "/api/v1/tasks", json={"title": title}, headers={"Idempotency-Key": key}
        )
        if outcome.kind != "ok":
            return False
        with self.lock:
            self.acknowledged[title] = outcome.task_id
        account.ids.append(outcome.task_id)
        del self.pending[number]
        return True

    def new_title(self) -> str:
        return f"fault-{self.marker}-{uuid.uuid4().hex[:12]}"

    def work(self, number: int) -> None:
        account = self.accounts[number % len(self.accounts)]
        with self.client(Authorization=f"Bearer {account.token}") as client:
            step = number
            while not self.stop.is_set():
                step += 1
                if step % 4 == 0:
                    if not self.write(client, number, account):
                        time.sleep(0.05)  # a failed write is retried, not hammered
                    continue
                if step % 2:
                    path = "/api/v1/tasks?limit=20"
                else:
                    path = f"/api/v1/tasks/{account.ids[step % len(account.ids)]}"
                if self.call(client, "GET", path).kind != "ok":
                    time.sleep(0.05)

    def start(self) -> None:
        self.threads = [threading.Thread(target=self.work, args=(n,)) for n in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        """Stop the clients; then each write still without a 2xx is retried with its key until
        it gets one (the cluster is healthy again by now)."""
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        deadline = time.monotonic() + 30
        for number in list(self.pending):
            account = self.accounts[number % len(self.accounts)]
            with self.client(Authorization=f"Bearer {account.token}") as client:
                while not self.write(client, number, account):
                    assert time.monotonic() < deadline, f"write {self.pending[number]} never stored"
                    time.sleep(0.2)

    def failed(
        self, since: float = 0.0, until: float = float("inf"), method: str = ""
    ) -> Counter[str]:
        """Failed requests of ``method`` answered (or given up) between the two instants."""
        return Counter(
            o.kind
            for o in self.outcomes
            if o.kind != "ok"
            and since <= o.started + o.seconds < until
            and o.method.startswith(method)
        )

    def failed_from(self, instant: float) -> Counter[str]:
        """Failed requests sent at ``instant`` or later."""
        return Counter(o.kind for o in self.outcomes if o.kind != "ok" and o.started >= instant)

    def p99_ms(self, since: float, until: float) -> float:
        times = sorted(o.seconds for o in self.outcomes if since <= o.started < until)
        if not times:
            return 0.0
        return round(1000 * times[min(len(times) - 1, int(len(times) * 0.99))], 1)


@pytest.fixture(scope="module")
def accounts(cluster: Any, tls: ssl.SSLContext) -> list[Account]:
    """Three accounts with three tasks each, for the load's clients (two clients each)."""
    made = []
    with httpx.Client(base_url=cluster.https_url, verify=tls, timeout=30) as client:
        for _ in range(3):
            token, _ = login(client, register(client))
            account = Account(token)
            for n in range(3):
                created = client.post(
                    "/api/v1/tasks",
                    json={"title": f"Seed {n}"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert created.status_code == 201, created.text
                account.ids.append(created.json()["id"])
            made.append(account)
    return made


def register(client: httpx.Client) -> str:
    email = f"fault-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": support.PASSWORD, "name": "Fault"}
    registered = client.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    return email


def login(client: httpx.Client, email: str) -> tuple[str, str]:
    """An access token and the session's refresh token."""
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": support.PASSWORD})
    assert answer.status_code == 200, answer.text
    cookie = re.search(r"tasklane_refresh=([^;]+)", answer.headers.get("set-cookie", ""))
    assert cookie is not None, answer.headers
    return answer.json()["access_token"], cookie.group(1)


def stored(server: PrivateServer, marker: str) -> Counter[str]:
    """The load's titles in the database, with how many rows each has."""
    rows = server.sql(
        f"SELECT title, COUNT(*) FROM tasklane.tasks WHERE title LIKE 'fault-{marker}-%' "
        "GROUP BY title"
    )
    found: Counter[str] = Counter()
    for line in rows.splitlines():
        title, count = line.split("\t")
        found[title] = int(count)
    return found


def check_writes(load: Load, server: PrivateServer) -> dict[str, int]:
    """Every acknowledged write is in the database, and no title is there twice."""
    found = stored(server, load.marker)
    missing = set(load.acknowledged) - set(found)
    doubled = {title: n for title, n in found.items() if n > 1}
    assert load.acknowledged, "no write was acknowledged"
    assert not missing, f"{len(missing)} of {len(load.acknowledged)} acknowledged writes missing"
    assert not doubled, f"written more than once: {doubled}"
    return {
        "acknowledged_writes": len(load.acknowledged),
        "writes_found": len(set(load.acknowledged) & set(found)),
        "duplicates": len(doubled),
    }


def serves_again(load: Load) -> bool:
    """Every instance lists tasks, and a write through nginx is stored."""
    account = load.accounts[0]
    headers = {"Authorization": f"Bearer {account.token}"}
    try:
        for instance in load.cluster.instances:
            if (
                httpx.get(f"{instance.url}/api/v1/tasks", headers=headers, timeout=2).status_code
                != 200
            ):
                return False
        with load.client(**headers) as client:
            title = load.new_title()
            created = client.post("/api/v1/tasks", json={"title": title}, timeout=2)
    except httpx.HTTPError:
        return False
    if created.status_code != 201:
        return False
    with load.lock:
        load.acknowledged[title] = created.json()["id"]
    return True


def recovery(load: Load, returned: float) -> float:
    """Seconds from the server's return to the first poll that finds the cluster serving
    again; fails when no poll sent within ``RECOVERY_SECONDS`` does."""
    while True:
        polled = time.monotonic()
        assert polled - returned < RECOVERY_SECONDS, (
            f"not serving again {RECOVERY_SECONDS:.0f} s after the server returned"
        )
        if serves_again(load):
            return round(polled - returned, 2)
        time.sleep(0.1)


def describe(failed: Counter[str]) -> str:
    return ", ".join(f"{kind}: {n}" for kind, n in sorted(failed.items())) or "none"


# --- MariaDB ------------------------------------------------------------------------------------


def _stop_database(server: PrivateServer) -> Callable[[], None]:
    server.stop()

    def back() -> None:
        server.spawn()
        server.wait_ready()

    return back


def _freeze_database(server: PrivateServer) -> Callable[[], None]:
    _freeze(server)
    return lambda: _thaw(server)


@pytest.mark.parametrize(
    ("fault", "inject"),
    [("stopped", _stop_database), ("frozen", _freeze_database)],
)
def test_mariadb_fault_gets_fast_503s_recovers_and_loses_no_write(
    cluster: Any,
    tls: ssl.SSLContext,
    accounts: list[Account],
    private_mariadb: PrivateServer,
    fault: str,
    inject: Callable[[PrivateServer], Callable[[], None]],
) -> None:
    load = Load(cluster, tls, accounts)
    load.start()
    try:
        time.sleep(STEADY_SECONDS)
        began = time.monotonic()
        back = inject(private_mariadb)
        try:
            time.sleep(FAULT_SECONDS)
        finally:
            back()
        returned = time.monotonic()
        recovered_in = recovery(load, returned)
        recovered = time.monotonic()
        time.sleep(STEADY_SECONDS)
    finally:
        load.finish()

    before = load.failed(until=began)
    after = load.failed_from(recovered)
    during = load.failed() - before - after  # in flight at the fault, or sent during it
    figures = {
        "fault_s": FAULT_SECONDS,
        "requests": len(load.outcomes),
        "failed_during": describe(during),
        "failed_outside": describe(before + after),
        "p99_during_fault_ms": load.p99_ms(began, returned),
        "recovery_s": recovered_in,
    }
    figures.update(check_writes(load, private_mariadb))
    record(f"faults-mariadb-{fault}-mariadb", figures)
    assert sum(during.values()) > 0, "no request met the fault"
    # A fault is met with a 503 problem, fast: nothing hangs, nothing else fails.
    assert set(during) == {"503 problem"}, during
    assert not before, f"requests failed before the fault: {before}"
    assert not after, f"requests failed after the recovery: {after}"


# --- Redis --------------------------------------------------------------------------------------


def _stop_redis(server: RedisServer) -> Callable[[], None]:
    server.stop()
    return server.start


def _freeze_redis(server: RedisServer) -> Callable[[], None]:
    assert server.process is not None
    pid = server.process.pid
    os.kill(pid, signal.SIGSTOP)
    return lambda: os.kill(pid, signal.SIGCONT)


def refused_everywhere(cluster: Any, token: str, rounds: int = 1) -> list[int]:
    """What each instance (one worker each) answers the access token, ``rounds`` times."""
    headers = {"Authorization": f"Bearer {token}"}
    return [
        httpx.get(f"{instance.url}{ME}", headers=headers, timeout=DEADLINE).status_code
        for _ in range(rounds)
        for instance in cluster.instances
    ]


@pytest.mark.parametrize(("fault", "inject"), [("stopped", _stop_redis), ("frozen", _freeze_redis)])
def test_redis_fault_fails_no_request_and_keeps_a_revocation(
    cluster: Any,
    tls: ssl.SSLContext,
    accounts: list[Account],
    private_mariadb: PrivateServer,
    redis_server: RedisServer,
    fault: str,
    inject: Callable[[RedisServer], Callable[[], None]],
) -> None:
    load = Load(cluster, tls, accounts)
    with load.client() as client:
        token, refresh = login(client, register(client))
    # Every instance has seen the session live (the answer is kept in Redis).
    assert set(refused_everywhere(cluster, token)) == {200}
    origin = f"https://127.0.0.1:{cluster.https_port}"
    load.start()
    try:
        time.sleep(STEADY_SECONDS)
        began = time.monotonic()
        back = inject(redis_server)
        try:
            time.sleep(FAULT_SECONDS / 2)
            with load.client() as client:
                ended = client.post(
                    "/api/v1/auth/logout",
                    headers={
                        "X-Requested-With": "XMLHttpRequest",
                        "Origin": origin,
                        "Cookie": f"tasklane_refresh={refresh}",
                    },
                )
            assert ended.status_code == 204, ended.text
            during = refused_everywhere(cluster, token)
            time.sleep(FAULT_SECONDS / 2)
        finally:
            back()
        returned = time.monotonic()
        time.sleep(STEADY_SECONDS)
        after = refused_everywhere(cluster, token, rounds=2)
    finally:
        load.finish()

    figures = {
        "fault_s": FAULT_SECONDS,
        "requests": len(load.outcomes),
        "failed": describe(load.failed()),
        "p99_during_fault_ms": load.p99_ms(began, returned),
        "revoked_session_accepted": sum(s == 200 for s in during + after),
    }
    figures.update(check_writes(load, private_mariadb))
    record(f"faults-redis-{fault}-mariadb", figures)
    assert set(during) == {401}, f"a session ended during the outage was accepted: {during}"
    assert set(after) == {401}, f"a session ended during the outage came back: {after}"
    # Writes add outbox events: the relay never holds their locks waiting on Redis
    # (tasklane.worker), so they fail no more than reads.
    failed = [o.detail for o in load.outcomes if o.kind != "ok"]
    assert not failed, f"requests failed: {failed}"


# --- an instance killed ---------------------------------------------------------------------------


def test_an_instance_killed_fails_no_get_and_loses_or_doubles_no_write(
    cluster: Any, tls: ssl.SSLContext, accounts: list[Account], private_mariadb: PrivateServer
) -> None:
    load = Load(cluster, tls, accounts)
    victim = 1
    load.start()
    try:
        time.sleep(STEADY_SECONDS)
        began = time.monotonic()
        cluster.signal_instance(victim, signal.SIGKILL)
        assert cluster.wait_instance(victim, timeout=10)
        # The load goes on while the instance is down and its monitor starts it again (that
        # it comes back is test_cluster's; the long form sees it back within its 30 s).
        time.sleep(FAULT_SECONDS)
        returned = time.monotonic()
    finally:
        load.finish()

    figures = {
        "requests": len(load.outcomes),
        "failed_gets": describe(load.failed(method="GET")),
        "failed_writes_retried": describe(load.failed(method="POST")),
        "p99_during_fault_ms": load.p99_ms(began, returned),
        "fault_s": FAULT_SECONDS,
    }
    figures.update(check_writes(load, private_mariadb))
    record("faults-instance-killed-mariadb", figures)
    assert any(began <= o.started < returned for o in load.outcomes), "no request while down"
    assert not load.failed(method="GET"), f"GETs failed: {load.failed(method='GET')}"
