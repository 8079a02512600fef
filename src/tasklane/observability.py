"""What operators see: ``GET /metrics``, the gauges sampled in the background, JSON logs with
the request id, and OpenTelemetry tracing when a collector is configured
(``TASKLANE_OTEL_ENDPOINT``).

The request metrics themselves are taken at the edge (``core.http``, ``core.metrics``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import math
import sys
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.telemetry import TelemetryConfig
from pythonjsonlogger.json import JsonFormatter

from tasklane.core import metrics
from tasklane.core.caller import caller_of
from tasklane.core.context import AppContext
from tasklane.core.errors import NotFound
from tasklane.core.sql import Pool
from tasklane.core.types import utcnow
from tasklane.events import service as events
from tasklane.settings import Settings

logger = logging.getLogger("tasklane.observability")

METRICS_PATH = "/metrics"
#: Headers a proxy adds: a request that carries one came through a proxy, so from outside.
_PROXY_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")

metrics_router = APIRouter(include_in_schema=False)


def _direct_peer_allowed(request: Request, settings: Settings) -> bool:
    """Whether the request comes straight from an allowed network (a Prometheus server)
    rather than through a proxy (nginx, an ingress) or from anywhere else."""
    if any(name in _PROXY_HEADERS for name, _ in request.scope["headers"]):
        return False
    try:
        address = ipaddress.ip_address(caller_of(request.scope).client)
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.metrics_allowed_networks
    )


@metrics_router.get(METRICS_PATH)
async def prometheus_metrics(request: Request) -> Response:
    """Every metric of the instance (all its worker processes) in the Prometheus text format;
    a 404 to anyone but a direct peer in ``TASKLANE_METRICS_ALLOWED_NETWORKS``."""
    ctx = caller_of(request.scope).app
    if not _direct_peer_allowed(request, ctx.settings):
        raise NotFound("Not found.")
    if "notifications" in ctx.settings.services:
        await sample_outbox(ctx)
    body = await asyncio.to_thread(metrics.render)  # reads every worker's files
    return Response(body, media_type=metrics.CONTENT_TYPE)


async def sample_outbox(ctx: AppContext) -> None:
    """The outbox's lag, read when a scrape asks for it (one indexed query a scrape, rather
    than one in every process every few seconds), by the notification service whose relay
    it measures."""
    try:
        async with ctx.db.primary_reader() as conn:
            oldest = await events.unpublished(conn, 1, lock=False)
    except Exception as error:  # the scrape still answers, with the last value
        logger.warning("could not read the outbox lag: %s", error)
        return
    lag = (utcnow() - oldest[0].created_at).total_seconds() if oldest else 0.0
    metrics.OUTBOX_LAG.set(max(0.0, lag))


# --- background sampling ---------------------------------------------------------------------


class Sampler:
    """Every ``metrics_sample_seconds``, in memory (no query): the pools' use, the replicas'
    lag as their checks last saw it, and the tallies."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        db = ctx.db
        self.pools: list[tuple[str, Pool]] = [
            ("write", db.write_engine.pool),
            ("read", db.read_engine.pool),
            *((f"replica-{i}", r.engine.pool) for i, r in enumerate(db.replicas, start=1)),
        ]
        for name, pool in self.pools:
            metrics.measure_pool(pool, name)

    def sample_pools(self) -> None:
        for name, pool in self.pools:
            metrics.sample_pool(pool, name)
        for replica in self.ctx.db.replica_states():  # as the replica checks last saw them
            label = str(replica.index)
            lag = replica.lag_seconds
            metrics.REPLICA_LAG.labels(label).set(math.nan if lag is None else lag)
            metrics.REPLICA_IN_USE.labels(label).set(1 if replica.in_use else 0)

    async def sample(self) -> None:
        self.sample_pools()
        metrics.flush()

    async def run(self, stop: asyncio.Event) -> None:
        interval = self.ctx.settings.metrics_sample_seconds
        while not stop.is_set():
            try:
                await self.sample()
            except Exception as error:  # the database may be away; try again next time
                logger.warning("metrics sampling failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


class Background:
    """The observability and key-set loops of one process, started and stopped with it."""

    def __init__(self, ctx: AppContext) -> None:
        self.stop = asyncio.Event()
        self.sampler = Sampler(ctx)
        loops: list[Callable[[asyncio.Event], Any]] = [self.sampler.run]
        if ctx.tokens.remote is not None:
            loops.append(ctx.tokens.remote.run)
        self.tasks = [asyncio.create_task(loop(self.stop)) for loop in loops]

    async def close(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        metrics.flush()
        metrics.process_ended()


# --- logs ------------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being served (``core.metrics.request_id``) on every
    record, ``null`` outside requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = metrics.request_id.get()
        return True


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """The process's log: JSON lines (``ts``, ``level``, ``logger``, ``message``,
    ``request_id`` and any extra fields) in production or with ``TASKLANE_LOG_FORMAT=json``,
    readable text otherwise; on stderr, where a container runtime or systemd collects it."""
    fmt = settings.log_format or ("json" if settings.environment == "production" else "text")
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter(
            "{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="ts",  # ISO 8601, UTC
        )
    else:
        formatter = logging.Formatter("%(levelname)s %(name)s [%(request_id)s]: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)


# --- tracing ---------------------------------------------------------------------------------


def tracing_config(settings: Settings) -> TelemetryConfig | None:
    """FastAPI's native OpenTelemetry, exporting request spans over OTLP/HTTP to
    ``TASKLANE_OTEL_ENDPOINT`` (``<endpoint>/v1/traces``) through a provider of the app's own,
    so nothing global changes; None when no endpoint is set. Metrics stay Prometheus's."""
    if not settings.otel_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415

    resource = Resource.create(
        {"service.name": "tasklane", "tasklane.services": ",".join(settings.services)}
    )
    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    endpoint = f"{settings.otel_endpoint.rstrip('/')}/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return {
        "tracer_provider": provider,
        "tracing": True,
        "metrics": False,
        "logs": False,
        "auto_configure": False,
    }


def close_tracing(config: TelemetryConfig | None) -> None:
    """Send the spans still buffered and stop the exporter (at the app's shutdown)."""
    provider = config.get("tracer_provider") if config else None
    shutdown = getattr(provider, "shutdown", None)
    if shutdown is not None:
        shutdown()
