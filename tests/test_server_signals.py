"""`tasklane serve --workers 2` stopped by a signal to its whole process group — what Ctrl+C
in a terminal does (SIGINT), and `kill -TERM -<pgid>` or a service manager that signals the
control group (SIGTERM): the supervisor alone coordinates the stop.

Before, the workers acted on the group's signal too: on SIGTERM they stopped at once (no
drain), the supervisor logged "Unexpected exit from worker-N" and started new ones in the
middle of its stop; on SIGINT, a worker interrupted twice (by the terminal, then by its
supervisor) now and then died with a Rust panic from granian.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tasklane.settings import Settings
from tests import cluster_support as support

GRACE = 20


@pytest.fixture
def instance(settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """One instance with 2 workers, in its own process group (its pid is the group's id). The
    drain is far longer than the test: it ends only when a second signal says so."""
    cluster = support.new_cluster(
        tmp_path / "run",
        settings.database_url,
        instances=1,
        workers=2,
        env={
            "TASKLANE_SHUTDOWN_DRAIN_SECONDS": "600",
            "TASKLANE_SHUTDOWN_GRACE_SECONDS": str(GRACE),
        },
    )
    try:
        cluster.start_instance(0)
        yield cluster
    finally:
        cluster.stop(timeout=30, quiet=True)


def worker_pids(log: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = [
            int(pid) for pid in re.findall(r"Spawning worker-\d+ with PID: (\d+)", log.read_text())
        ]
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} workers started: see {log}")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def assert_clean_exit(cluster: Any, workers: list[int]) -> None:
    supervisor = cluster.instances[0].pid
    assert cluster.wait_instance(0, timeout=GRACE + 10), "the process group did not empty"
    # (reaped here: the group can empty between wait_instance's poll and its look at the group)
    assert cluster._children[supervisor].wait(timeout=10) == 0
    assert not [pid for pid in workers if alive(pid)]
    output = (cluster.root / "logs" / "instance-0.log").read_text()
    assert "panic" not in output.lower(), output
    assert "Unexpected exit" not in output, output
    assert "Respawning" not in output, output


def test_sigterm_to_the_process_group_drains_then_stops_cleanly(instance: Any) -> None:
    server = instance.instances[0]
    log = instance.root / "logs" / "instance-0.log"
    workers = worker_pids(log, 2)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/livez").status_code == 200

        os.killpg(server.pid, signal.SIGTERM)

        # The drain has begun, and the workers, which got the same SIGTERM, serve on.
        deadline = time.monotonic() + 10
        while (readyz := client.get("/readyz")).status_code == 200:
            assert time.monotonic() < deadline, "no drain"
            time.sleep(0.05)
        assert readyz.status_code == 503
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for _ in range(10):  # new connections, spread over both workers
            assert client.get("/livez", headers={"Connection": "close"}).status_code == 200
    assert all(alive(pid) for pid in workers)

    os.killpg(server.pid, signal.SIGTERM)  # ends the drain
    assert_clean_exit(instance, workers)


def test_sigint_to_the_process_group_stops_cleanly(instance: Any) -> None:
    server = instance.instances[0]
    workers = worker_pids(instance.root / "logs" / "instance-0.log", 2)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for _ in range(10):
            assert client.get("/livez", headers={"Connection": "close"}).status_code == 200

    os.killpg(server.pid, signal.SIGINT)  # Ctrl+C: no drain
    assert_clean_exit(instance, workers)
