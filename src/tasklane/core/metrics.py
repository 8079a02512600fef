"""Prometheus metrics through the official client (``prometheus_client``).

``tasklane serve`` runs several worker processes; each writes its samples to memory-mapped
files in ``PROMETHEUS_MULTIPROC_DIR`` (one directory per instance under ``var_dir``, emptied
when the instance starts: ``prepare_multiprocess_dir``), and ``GET /metrics`` on any worker
adds up every worker's files (the client's multiprocess mode). The variable must be set
before ``prometheus_client`` is first imported in a worker: the server sets it before it
starts them. Without it (tests, ``uvicorn``) the metrics live in the process.

What a request costs: the edge (``core.http``) times every request and observes it once in
``REQUEST_SECONDS`` (about twenty Python calls: docs/benchmarks.md). Counts made on hot paths
that are not requests (cache lookups) are plain integer additions in :data:`TALLY`, handed to
their counters every few seconds and before each scrape (:func:`flush`).
"""

from __future__ import annotations

import os
import re
import shutil
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import Scope

from tasklane.core.sql import Pool

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Request latency (and, by its ``_count``, rate and status codes) per route template.
REQUEST_SECONDS = Histogram(
    "tasklane_http_request_duration_seconds",
    "Time from the request reaching the app to the end of its response, by route template.",
    ("method", "route", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RATE_LIMITED = Counter(
    "tasklane_rate_limit_rejections_total",
    "Requests refused with a 429, by rate-limit policy.",
    ("policy",),
)
SSE_CONNECTIONS = Gauge(
    "tasklane_sse_connections",
    "Open event streams (text/event-stream responses).",
    multiprocess_mode="livesum",
)
DB_POOL_IN_USE = Gauge(
    "tasklane_db_pool_connections_in_use",
    "Database connections checked out of the pools (sampled), by engine.",
    ("engine",),
    multiprocess_mode="livesum",
)
DB_POOL_MAX = Gauge(
    "tasklane_db_pool_connections_max",
    "Database connections the pools may hold (size + overflow), by engine.",
    ("engine",),
    multiprocess_mode="livesum",
)
DB_POOL_WAIT = Histogram(
    "tasklane_db_pool_wait_seconds",
    "Time to get a connection when the pool had none idle (waiting for one, or opening one).",
    ("engine",),
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REPLICA_LAG = Gauge(
    "tasklane_db_replica_lag_seconds",
    "How far each read replica is behind the primary, as last checked (NaN: unknown).",
    ("replica",),
    multiprocess_mode="mostrecent",
)
REPLICA_IN_USE = Gauge(
    "tasklane_db_replica_in_use",
    "1 while reads go to the replica, 0 while it is skipped (lagging, stopped, unreachable).",
    ("replica",),
    multiprocess_mode="mostrecent",
)
CACHE_REQUESTS = Counter(
    "tasklane_cache_requests_total",
    "Shared-cache lookups (profiles, dashboard counts, session checks), by result.",
    ("result",),
)
OUTBOX_LAG = Gauge(
    "tasklane_outbox_lag_seconds",
    "Age of the oldest domain event not yet relayed (0 when none waits; read at each scrape).",
    multiprocess_mode="mostrecent",
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The scope key a layer that answers without routing (the tasks' read lane) puts its route
#: template under.
ROUTE_KEY = "tasklane.route"
#: Requests answered by the edge itself before routing (429, 413, 415, a GET with a body).
EDGE_ROUTE = "edge"
UNMATCHED_ROUTE = "unmatched"

_children: dict[tuple[str, str, int], Any] = {}


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/api/v1/tasks/{task_id}``), never the path:
    label values stay few whatever clients ask for."""
    route = scope.get("route")
    if route is not None:
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(template, str):
            return template
    lane: str | None = scope.get(ROUTE_KEY)
    return lane or UNMATCHED_ROUTE


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    child = _children.get(key)
    if child is None:
        label = method if method in _METHODS else "other"
        child = _children[key] = REQUEST_SECONDS.labels(label, route, str(status))
    child.observe(seconds)


@dataclass
class Tally:
    """Counts kept as plain integers on hot paths and handed to their counters by
    :func:`flush` (a counter's ``inc`` is a handful of calls and, in multiprocess mode, a
    write to a memory-mapped file)."""

    cache_hits: int = 0
    cache_misses: int = 0


TALLY = Tally()
_flushed = Tally()


def flush() -> None:
    """Hand what :data:`TALLY` counted since the last call to the counters."""
    hits, misses = TALLY.cache_hits, TALLY.cache_misses
    if hits != _flushed.cache_hits:
        CACHE_REQUESTS.labels("hit").inc(hits - _flushed.cache_hits)
        _flushed.cache_hits = hits
    if misses != _flushed.cache_misses:
        CACHE_REQUESTS.labels("miss").inc(misses - _flushed.cache_misses)
        _flushed.cache_misses = misses


# --- pools ------------------------------------------------------------------------------------


def measure_pool(pool: Pool, engine: str) -> None:
    """Observe in ``DB_POOL_WAIT`` every checkout of ``pool`` that found no idle connection
    (it waited for one, or opened one)."""
    pool.on_wait = DB_POOL_WAIT.labels(engine).observe


def sample_pool(pool: Pool, engine: str) -> None:
    """Set the pool gauges of ``engine`` from ``pool`` now."""
    DB_POOL_IN_USE.labels(engine).set(pool.checkedout())
    DB_POOL_MAX.labels(engine).set(pool.capacity)


# --- exposition and the multiprocess directory -----------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def render() -> bytes:
    """Every metric in the Prometheus text format: of every worker of the instance in
    multiprocess mode, of this process otherwise."""
    flush()
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def prepare_multiprocess_dir(var_dir: Path, instance: str) -> Path:
    """The directory of this instance's metric files (``PROMETHEUS_MULTIPROC_DIR`` if set,
    else ``var_dir/metrics/<instance>``), emptied, and put in the environment the workers
    inherit. Called by the server before it starts them: counters start from zero with the
    instance, as Prometheus expects of a restarted target."""
    given = multiprocess_dir()
    path = Path(given) if given else Path(var_dir) / "metrics" / _safe(instance)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def process_ended(pid: int | None = None) -> None:
    """Drop a stopping worker's live gauges (open streams, pools) from the sums."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


# --- request ids --------------------------------------------------------------------------------

#: The id of the request being served (log records carry it).
request_id: ContextVar[str | None] = ContextVar("tasklane_request_id", default=None)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The request's ``X-Request-ID`` (as nginx passes it) when it is a plain token of at most
    128 characters, else a new random one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(text):
                return text
            break
    return os.urandom(16).hex()
