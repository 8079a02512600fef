"""The local cluster supervises what it starts (scripts/cluster.py, as `make cluster` runs it):
three instances, a private Redis, nginx and the monitor, on 127.0.0.1, with the cluster's own
SQLite database and the documented rate limits.

- an instance whose supervisor alone is killed (kill -9) leaves no orphan on its port and is
  back, started by the monitor, within 10 s (or, on a machine too busy for that, within the
  time it took to start the whole cluster);
- `restart` replaces every instance in turn with no failed request through nginx;
- one user at half the per-user limit gets no 429 over the three instances, and the limits
  are counted once for all of them (Redis);
- a token issued before a cluster restart works after it (the signing key and the ports are
  kept under the cluster's directory, private to its owner);
- `scripts/cluster.py stop` (`make cluster-stop`) leaves nothing listening, whatever was
  killed before; `status` says what actually listens; `start` refuses a port that answers.

One cluster for the module, restarted once. It does not depend on the suite's database (the
cluster has its own, as `make cluster` does), so it runs in the sqlite pass only.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.cluster import (
    Backoff,
    Cluster,
    ClusterError,
    alive,
    answers,
    boot_id,
    group_members,
    listeners,
    main,
    marked_processes,
    start_time,
)
from tasklane import cli
from tasklane.settings import Settings
from tests import cluster_support as support
from tests.helpers import refresh_cookie

KIND = os.environ.get("TASKLANE_TEST_DATABASE", "sqlite")
pytestmark = pytest.mark.skipif(
    KIND != "sqlite",
    reason="the cluster runs on its own SQLite database: the same in every pass, run once",
)

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "cluster.py"
BACK_WITHIN = 10.0  # seconds: detection and a cold start of one instance


class Running:
    """The module's cluster (the object changes when the cluster is started again)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cluster = self.make()

    def start(self) -> None:
        self.cluster.start(monitor=True)

    def make(self) -> Cluster:
        # A busy test machine can keep Redis from answering within the default 0.25 s; the
        # limits would then count per process for a while (by design), not what is tested.
        env = support.served_env(TASKLANE_REDIS_TIMEOUT_SECONDS="2")
        return Cluster.create(self.root, instances=3, workers=1, env=env, redis=True)

    def restart(self) -> Cluster:
        self.cluster = self.make()
        self.start()
        return self.cluster


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    support.require_tools("nginx", "openssl", "redis-server")
    holder = Running(tmp_path_factory.mktemp("supervised") / "cluster")
    holder.start()
    try:
        yield holder
    finally:
        holder.cluster.stop(quiet=True)
    assert nothing_listens(holder.cluster) == []


@pytest.fixture
def cluster(running: Running) -> Cluster:
    running.cluster.refresh()
    return running.cluster


def nothing_listens(cluster: Cluster) -> list[int]:
    """The cluster's ports that still answer (none, after a stop)."""
    return [port for port in cluster.ports() if answers(port)]


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stop_command(cluster: Cluster) -> subprocess.CompletedProcess[str]:
    """What `make cluster-stop` runs."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "stop", "--dir", str(cluster.root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def account(base_url: str, **client: Any) -> tuple[str, str]:
    """A new user's access and refresh tokens."""
    email = f"sup-{uuid.uuid4().hex[:12]}@example.com"
    with httpx.Client(base_url=base_url, timeout=30, **client) as http:
        body = {"email": email, "password": support.PASSWORD, "name": "Supervised"}
        assert http.post("/api/v1/auth/register", json=body).status_code == 201
        login = http.post("/api/v1/auth/login", json={"email": email, "password": support.PASSWORD})
    assert login.status_code == 200, login.text
    refresh = refresh_cookie(login)
    assert refresh
    return login.json()["access_token"], refresh


def tls(cluster: Cluster) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cluster.cert))


# --- status ---------------------------------------------------------------------------------


def test_status_reports_what_listens(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    statuses = {status.name: status for status in cluster.report()}
    assert [s.state for s in statuses.values()] == ["running"] * 6, statuses
    for instance in cluster.instances:
        listening = set(statuses[f"instance {instance.index}"].listening)
        assert listening, instance
        assert listening <= set(group_members(instance.pid))
    assert main(["status", "--dir", str(cluster.root)]) == 0
    printed = capsys.readouterr().out
    assert printed.count(": running ") == 6, printed


# --- a supervisor killed alone --------------------------------------------------------------


def test_a_supervisor_killed_alone_leaves_no_orphan_and_comes_back(running: Running) -> None:
    """No orphan keeps the port, and the instance is back within 10 s (issue 16)."""
    cluster = running.cluster
    cluster.refresh()
    within = BACK_WITHIN
    victim = cluster.instances[1]
    supervisor = victim.pid
    before = group_members(supervisor)
    assert len(before) > 1, "no worker under the supervisor"
    os.kill(supervisor, signal.SIGKILL)  # the supervisor only: its workers are not signalled

    deadline = time.monotonic() + within
    while True:
        cluster.refresh()
        orphans = [pid for pid in before if alive(pid)]
        owners = listeners([victim.port])[victim.port]
        back = victim.pid != supervisor and alive(victim.pid) and ready(victim.url)
        if back and not orphans and owners and owners <= set(group_members(victim.pid)):
            break
        assert time.monotonic() < deadline, (
            f"after {within:.0f} s: orphans {orphans}, port held by {owners}, "
            f"supervisor {victim.pid} (was {supervisor})"
        )
        time.sleep(0.1)
    # The monitor logs the return once its own readiness check has passed, which may be a
    # moment after the one above.
    back_line = f"instance 1: back on port {victim.port} (pid {victim.pid})"
    logged = time.monotonic() + 10
    while back_line not in (log := (cluster.root / "logs" / "cluster.log").read_text()):
        assert time.monotonic() < logged, log
        time.sleep(0.1)
    assert f"instance 1: supervisor pid {supervisor} " in log


def test_the_monitor_backs_off_while_the_port_is_taken_then_brings_it_back(
    cluster: Cluster,
) -> None:
    """An instance that cannot start (someone else holds its port) is tried again after 1,
    then 2 seconds…, each failure logged, the stranger left alone; once the port is free the
    instance is back."""
    victim = cluster.instances[2]
    log = cluster.root / "logs" / "cluster.log"
    log_size = len(log.read_text())
    os.kill(cluster.monitor_pid, signal.SIGSTOP)  # so the port can be taken in between
    try:
        cluster.signal_instance(2, signal.SIGKILL)
        assert cluster.wait_instance(2, timeout=30)
        with foreign_listener(victim.port):
            os.kill(cluster.monitor_pid, signal.SIGCONT)
            deadline = time.monotonic() + 60
            while "next attempt in 2 s" not in log.read_text()[log_size:]:
                assert time.monotonic() < deadline, log.read_text()[log_size:]
                time.sleep(0.1)
            assert answers(victim.port)  # the stranger was not touched
    finally:
        os.kill(cluster.monitor_pid, signal.SIGCONT)
    deadline = time.monotonic() + 90
    while f"instance 2: back on port {victim.port}" not in log.read_text()[log_size:]:
        assert time.monotonic() < deadline, log.read_text()[log_size:]
        time.sleep(0.2)
    cluster.refresh()
    assert alive(victim.pid)
    assert ready(victim.url)
    logged = log.read_text()[log_size:]
    assert f"instance 2: start failed: instance 2: port {victim.port} still answers" in logged
    assert logged.index("next attempt in 1 s") < logged.index("next attempt in 2 s")


# --- rolling restart ------------------------------------------------------------------------


def test_rolling_restart_replaces_each_instance_without_a_failed_request(
    cluster: Cluster,
) -> None:
    token, _ = account(cluster.https_url, verify=tls(cluster))
    before = {i.index: (i.pid, i.port) for i in cluster.instances}
    log_size = len((cluster.root / "logs" / "cluster.log").read_text())
    results: list[int | str] = []
    done = threading.Event()

    def load() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(
            base_url=cluster.https_url, verify=tls(cluster), timeout=30, headers=headers
        ) as http:
            while not done.is_set():
                try:
                    results.append(http.get("/api/v1/tasks?limit=5").status_code)
                except httpx.HTTPError as error:
                    results.append(repr(error))
                time.sleep(0.03)  # well under the per-user limit

    worker = threading.Thread(target=load)
    worker.start()
    try:
        restart = subprocess.run(
            [sys.executable, str(SCRIPT), "restart", "--dir", str(cluster.root)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        done.set()
        worker.join(60)
    assert restart.returncode == 0, restart.stdout + restart.stderr
    cluster.refresh()
    for instance in cluster.instances:
        old_pid, port = before[instance.index]
        assert instance.port == port
        assert instance.pid != old_pid
        assert alive(instance.pid)
        assert f"instance {instance.index}: restarted on port {port}" in restart.stdout
    assert len(results) > 20, results
    assert Counter(map(str, results)) == Counter({"200": len(results)})
    logged = (cluster.root / "logs" / "cluster.log").read_text()[log_size:]
    assert logged.count(": restarted on port ") == 3, logged
    # The monitor left alone the instances being restarted (it did not see them die).
    assert "supervisor pid" not in logged, logged


# --- shared limits --------------------------------------------------------------------------


def test_one_user_at_half_the_limit_gets_no_429_across_instances(cluster: Cluster) -> None:
    limit = int(Settings.model_fields["rate_limit_user"].default.split("/")[0])  # documented
    token, _ = account(cluster.instances[0].url)
    clients = [
        httpx.Client(
            base_url=instance.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
        for instance in cluster.instances
    ]
    try:
        statuses = Counter(
            clients[n % 3].get("/api/v1/tasks?limit=1").status_code for n in range(limit // 2)
        )
    finally:
        for client in clients:
            client.close()
    assert statuses == Counter({200: limit // 2})


def test_limits_are_counted_once_for_all_instances(cluster: Cluster) -> None:
    """Anonymous requests from one address, spread over the three instances: each instance
    sees a third of them, under the limit, and still the limit is reached (Redis)."""
    limit = int(Settings.model_fields["rate_limit_anonymous"].default.split("/")[0])
    sent = limit * 4 // 3
    address = f"198.51.100.{random.randint(1, 254)}"  # behind the trusted proxy (127.0.0.1)
    clients = [
        httpx.Client(base_url=instance.url, timeout=30, headers={"X-Forwarded-For": address})
        for instance in cluster.instances
    ]
    try:
        statuses = Counter(clients[n % 3].get("/api/v1/tasks").status_code for n in range(sent))
    finally:
        for client in clients:
            client.close()
    assert sent // 3 < limit
    assert set(statuses) == {401, 429}, statuses
    assert statuses[401] <= limit


# --- a cluster restart ----------------------------------------------------------------------


def test_a_token_issued_before_a_cluster_restart_works_after_it(running: Running) -> None:
    cluster = running.cluster
    origin = {"Origin": cluster.https_url, "X-Requested-With": "XMLHttpRequest"}
    access, refresh = account(cluster.https_url, verify=tls(cluster))
    ports = cluster.ports()

    # Stopped while the monitor is bringing back an instance whose supervisor was killed.
    os.kill(cluster.instances[0].pid, signal.SIGKILL)
    stopped = stop_command(cluster)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert nothing_listens(cluster) == []
    assert marked_processes(cluster.root) == []

    # What is kept is its owner's only.
    for path, mode in [
        (cluster.root, 0o700),
        (cluster.root / "keys", 0o700),
        (cluster.key_file, 0o600),
        (cluster.state_file, 0o600),
        (cluster.root / "tls" / "key.pem", 0o600),
        (cluster.root / "redis" / "redis.conf", 0o600),
    ]:
        assert path.stat().st_mode & 0o777 == mode, path

    restarted = running.restart()
    assert restarted.ports() == ports
    with httpx.Client(base_url=restarted.https_url, verify=tls(restarted), timeout=30) as http:
        me = http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 200, me.text
        renewed = http.post(
            "/api/v1/auth/refresh",
            headers={**origin, "Cookie": f"tasklane_refresh={refresh}"},
        )
        assert renewed.status_code == 200, renewed.text


# --- stop, whatever was killed --------------------------------------------------------------


def test_stop_leaves_nothing_listening_after_everything_but_a_worker_was_killed(
    cluster: Cluster,
) -> None:
    victim = cluster.instances[1]
    workers = [pid for pid in group_members(victim.pid) if pid != victim.pid]
    holder = next(pid for pid in listeners([victim.port])[victim.port] if pid in workers)
    # A worker that cannot act on its supervisor's death (stopped), then everything that
    # would stop or restart it killed: the monitor, its supervisor, nginx's master, Redis.
    os.kill(holder, signal.SIGSTOP)
    for pid in (cluster.monitor_pid, victim.pid, cluster.nginx_pid, cluster.redis_pid):
        os.kill(pid, signal.SIGKILL)

    statuses = {status.name: status for status in cluster.report()}
    assert statuses["instance 1"].state == "orphaned"
    assert statuses["instance 1"].listening == [holder]
    assert statuses["nginx"].state == "orphaned"  # its workers outlive the master
    assert statuses["monitor"].state == "stopped"

    stopped = stop_command(cluster)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert nothing_listens(cluster) == []
    assert marked_processes(cluster.root) == []
    assert not alive(holder)


@contextlib.contextmanager
def foreign_listener(port: int) -> Iterator[None]:
    """A listening socket of this process on ``port``: someone else's server. (The port of a
    server just killed can stay unbindable a moment while the kernel closes its
    connections: tried for up to 10 s.)"""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 10
        while True:
            try:
                sock.bind(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        sock.listen()
        yield


def test_start_refuses_a_port_that_still_answers(running: Running) -> None:
    cluster = Cluster.load(running.root)
    port = cluster.instances[0].port
    with foreign_listener(port):
        statuses = {status.name: status for status in cluster.report()}
        assert statuses["instance 0"].state == "port-taken"
        assert statuses["instance 0"].listening == [os.getpid()]
        with pytest.raises(ClusterError, match=f"port {port} still answers"):
            cluster.start_instance(0)
    assert nothing_listens(cluster) == []


def test_the_monitor_backs_off_from_an_instance_that_keeps_dying() -> None:
    """A first death is answered at once; what the monitor started and dies again within
    30 s waits 1, 2, 4… s, at most 30; one that lived 30 s resets the count."""
    backoff = Backoff()
    backoff.running(pid=100, now=0.0)  # found running (started by `start`)
    backoff.died(now=5.0)
    assert backoff.next_attempt == 5.0
    delays = []
    now = 5.0
    for pid in range(101, 109):
        backoff.running(pid, now, restarted=True)
        now += 2.0  # dies again soon
        backoff.died(now)
        delays.append(backoff.next_attempt - now)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    backoff.running(200, now, restarted=True)
    backoff.died(now + 31.0)
    assert backoff.next_attempt == now + 31.0


def test_tasklane_cluster_runs_the_clusters_commands(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tasklane cluster …` is scripts/cluster.py (here: its status)."""
    statuses = Cluster.load(running.root).report()
    assert cli.main(["cluster", "status", "--dir", str(running.root)]) == (
        0 if all(status.ok for status in statuses) else 3
    )
    assert capsys.readouterr().out.startswith(f"instance 0: {statuses[0].state} ")


# --- a worker's lifeline without the kernel's help ------------------------------------------

ORPHAN_SCRIPT = """
import multiprocessing, os, signal, sys, time

def worker(ignore):
    from tasklane import lifeline
    lifeline._parent_death_signal = lambda signum: False  # as where prctl does not exist
    if ignore:
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # a worker that does not stop
    lifeline.exit_with_parent(signal.SIGUSR1, grace_seconds=1, poll_seconds=0.1)
    print(os.getpid(), flush=True)
    time.sleep(120)

if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    process = multiprocessing.Process(target=worker, args=(sys.argv[1] == "ignore",))
    process.start()
    process.join()
"""


@pytest.mark.parametrize("worker", ["stops", "ignore"])
def test_a_worker_whose_supervisor_dies_goes_too_by_the_watchdog(
    worker: str, tmp_path: Path
) -> None:
    """Where the kernel cannot signal a parent's death, the watchdog thread sends the stop
    signal; a worker that does not stop is killed after the grace period."""
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN_SCRIPT)
    parent = subprocess.Popen(
        [sys.executable, str(script), worker], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
    finally:
        parent.kill()
        parent.wait(10)
    deadline = time.monotonic() + 10
    while alive(child):
        assert time.monotonic() < deadline, f"worker {child} outlived its parent"
        time.sleep(0.05)


def test_stop_leaves_alone_a_process_that_took_a_recorded_pid(tmp_path: Path) -> None:
    """A recorded process group is the cluster's only while its leader is the process the
    cluster started (same start time, same boot): after a reboot or a pid's reuse, `stop`
    must not signal a stranger."""
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        cluster = Cluster.create(tmp_path / "cluster", instances=1, env=support.served_env())
        cluster.instances[0].pid = stranger.pid
        cluster.instances[0].groups = [stranger.pid]
        started = start_time(stranger.pid)
        assert started is not None
        for leaders, boot in [
            ({str(stranger.pid): started - 1}, cluster.boot),  # the pid came again since
            ({str(stranger.pid): started}, "another-boot"),  # recorded before a reboot
        ]:
            cluster.leaders, cluster.boot = leaders, boot
            cluster.save()
            assert Cluster.load(cluster.root).stop(quiet=True) == []
            assert stranger.poll() is None, "stop signalled a process it did not start"
        # The same record, right start time and boot: that one is the cluster's to stop.
        cluster.leaders, cluster.boot = {str(stranger.pid): started}, boot_id()
        cluster.save()
        Cluster.load(cluster.root).stop(quiet=True)
        assert stranger.wait(10) == -signal.SIGTERM
    finally:
        stranger.kill()
        stranger.wait()
