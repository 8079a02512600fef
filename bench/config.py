"""What every part of ``bench/run.py`` shares: where things are, the workloads and servers,
the scales, the log line and the harness's own failure."""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "wrk" / "workloads.lua"
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench"

READS = ("get", "list", "search", "page1", "page50")
WRITES = ("create", "update")
WORKLOADS = (*READS, *WRITES, "login", "mix", "storm")
SERVERS = ("tasklane", "floor")
PAGE_LIMIT = 10  # page1 and page50 use this page size, so page 50 exists at 500 tasks a user
SEARCH_TERMS = (
    "invo", "repo", "budg", "dent", "gard", "slid", "flig", "pass", "book", "sched", "cont",
    "prop", "kitch", "groc", "laptop", "taxes", "review", "deploy", "meeting", "backup",
)  # fmt: skip
RAISED = "1000000/minute"


@dataclass(frozen=True)
class Scale:
    users: int
    tasks_per_user: int
    seconds: int
    rounds: int
    buffer_pool: str
    page: int  # which page the deep-page workload reads
    hash_seconds: float
    warmup: int
    settle: float  # pause before each run: the previous run's backlog drains
    pool: int  # pre-formatted requests per wrk thread
    # A smaller data set (users, tasks a user) whose list is measured beside this one's, in
    # the same run: the target "list at 1M within 1.2x of its throughput at 100k".
    smaller: tuple[int, int] | None = None


SCALES = {
    "smoke": Scale(20, 250, 1, 1, "256M", 20, 0.3, 0, 0.0, 1000, smaller=(5, 50)),
    "100k": Scale(200, 500, 10, 2, "1G", 50, 5.0, 3, 1.0, 20000),
    "1m": Scale(1000, 1000, 10, 2, "3G", 50, 5.0, 3, 1.0, 20000, smaller=(200, 500)),
}
#: Each server again on the smaller data set (its own database in the same mariadbd).
SMALLER = {server: f"{server}-smaller" for server in SERVERS}


def log(message: str) -> None:
    # A closed stdout (``| head``) must not stop the harness before it cleans up.
    with contextlib.suppress(OSError, ValueError):
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class HarnessError(Exception):
    pass
