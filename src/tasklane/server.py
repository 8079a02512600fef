"""``tasklane serve``: N worker processes under one supervisor, with a graceful stop.

The server is granian (measured against uvicorn and gunicorn with uvicorn workers: see
docs/benchmarks.md). Its supervisor, this process, binds the socket and starts the workers;
each worker builds the app with :func:`asgi_app`. Workers start from a fresh interpreter
(``spawn``): nothing the supervisor did before, such as running the migrations, leaks into
them.

Stopping, on SIGTERM to the supervisor:

1. **drain** (``TASKLANE_SHUTDOWN_DRAIN_SECONDS``): the workers keep serving everything, but
   ``/readyz`` answers 503, so whatever polls it (an orchestrator, a load balancer with active
   checks) takes the instance out of rotation while nothing is refused yet;
2. **stop**: the workers close their listening sockets (new connections are refused, so a
   proxy retries them elsewhere), finish the requests in flight, run the lifespan shutdown
   and exit; a worker still busy after ``TASKLANE_SHUTDOWN_GRACE_SECONDS`` is killed.

A second SIGTERM, or SIGINT (Ctrl+C), skips what is left of the drain. Send the signal to the
supervisor only (systemd: ``KillMode=mixed``): a worker that gets SIGTERM itself stops at once,
without the drain.

The drain is shared with the workers through a marker file whose path the supervisor puts in
the environment before it starts them; ``/readyz`` looks for it (one ``stat``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tasklane.core.lifecycle import DRAIN_MARKER_ENV
from tasklane.settings import Settings, get_settings

logger = logging.getLogger("tasklane.server")

#: What the workers are built from (a factory: called once in each worker).
APP_TARGET = "tasklane.server:asgi_app"


def asgi_app() -> ProxyHeadersMiddleware:
    """The app as served: X-Forwarded-For / X-Forwarded-Proto are believed only from the
    configured proxies (``TASKLANE_TRUSTED_PROXIES``); anyone else's are ignored."""
    from tasklane.app import create_app  # noqa: PLC0415 - the supervisor never builds it

    settings = get_settings()
    app: Any = create_app(settings)  # starlette's and uvicorn's ASGI annotations differ
    return ProxyHeadersMiddleware(app, trusted_hosts=settings.trusted_proxies)


def default_workers(settings: Settings) -> int:
    """1 in development and tests; one per CPU in production."""
    if settings.environment == "production":
        return os.cpu_count() or 1
    return 1


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 0,
    access_log: bool = False,
) -> None:
    """Serve until stopped (see the module's docstring); returns after a clean stop."""
    from granian.constants import HTTPModes, Interfaces, Loops  # noqa: PLC0415
    from granian.server import MPServer  # noqa: PLC0415

    workers = workers or default_workers(settings)
    drain_seconds = settings.shutdown_drain_seconds

    class Supervisor(MPServer):
        """granian's supervisor, with the drain in front of its stop."""

        draining = False

        def signal_handler_interrupt(self, *args: Any, **kwargs: Any) -> None:
            signum = args[0] if args else None
            if signum == signal.SIGTERM and drain_seconds > 0 and not self.draining:
                self.draining = True
                Path(marker).touch()
                logger.info(
                    "SIGTERM: /readyz answers 503 for %.1f s, then the instance stops",
                    drain_seconds,
                )
                timer = threading.Timer(drain_seconds, self._stop)
                timer.daemon = True
                timer.start()
                return
            if signum is not None and self.draining:
                logger.info("signal %s: ending the drain early", signum)
            self._stop()

        def _stop(self) -> None:
            Path(marker).touch()
            logger.info(
                "stopping: no new connections; requests in flight get %d s",
                settings.shutdown_grace_seconds,
            )
            super().signal_handler_interrupt()  # type: ignore[no-untyped-call]

    state_dir = tempfile.mkdtemp(prefix="tasklane-serve-")
    marker = os.path.join(state_dir, "draining")
    os.environ[DRAIN_MARKER_ENV] = marker
    # A fresh interpreter per worker (and the same on every platform and Python version).
    multiprocessing.set_start_method("spawn", force=True)
    try:
        server = Supervisor(
            APP_TARGET,
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            loop=Loops.asyncio,
            http=HTTPModes.http1,
            websockets=False,
            log_access=access_log,
            respawn_failed_workers=True,
            respawn_interval=1.0,
            workers_kill_timeout=settings.shutdown_grace_seconds,
        )
        logger.info(
            "serving on http://%s:%d with %d worker(s); drain %.1f s, grace %d s",
            host,
            port,
            workers,
            drain_seconds,
            settings.shutdown_grace_seconds,
        )
        server.serve()
    finally:
        os.environ.pop(DRAIN_MARKER_ENV, None)
        shutil.rmtree(state_dir, ignore_errors=True)
