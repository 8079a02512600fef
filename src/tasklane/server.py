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

A second SIGTERM, or SIGINT (Ctrl+C), skips what is left of the drain. The workers ignore
SIGINT and SIGTERM: Ctrl+C in a terminal, ``kill -TERM -<pgid>`` or systemd's
``KillMode=control-group`` signal the whole process group, and the supervisor alone decides
when the workers stop (it sends them :data:`WORKER_STOP_SIGNAL`). Were the workers to act on
those signals too, they would stop without the drain, and the supervisor would see them exit
("Unexpected exit from worker-N") and start new ones in the middle of its own stop. A stopping
worker lets granian's Rust threads end before its interpreter does (see
:func:`_wait_for_foreign_threads`).

Connections (see docs/operations.md, "Slow clients and connection limits"): each worker holds
up to ``TASKLANE_SERVER_MAX_CONNECTIONS`` open connections, idle or still sending their
headers included; the kernel queues ``TASKLANE_SERVER_BACKLOG`` more; a connection that has
not sent its request head within ``TASKLANE_SERVER_HEADER_READ_TIMEOUT_SECONDS`` is closed.
The open-files limit is raised to its ceiling at start, and the connections per worker lowered
to what it allows.

The drain is shared with the workers through a marker file whose path the supervisor puts in
the environment before it starts them; ``/readyz`` looks for it (one ``stat``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tasklane.core.lifecycle import DRAIN_MARKER_ENV
from tasklane.core.metrics import prepare_multiprocess_dir
from tasklane.lifeline import exit_with_parent
from tasklane.settings import Settings, get_settings

logger = logging.getLogger("tasklane.server")

#: What the workers are built from (a factory: called once in each worker).
APP_TARGET = "tasklane.server:asgi_app"

#: How the supervisor tells a worker to stop (close its socket, finish what is in flight, run
#: the lifespan shutdown). Not SIGTERM or SIGINT: the workers ignore those, which the shell,
#: the terminal or a service manager send to the whole process group.
WORKER_STOP_SIGNAL = signal.SIGUSR1

#: File descriptors a worker keeps for everything but client connections: database and Redis
#: pools, log files, the interpreter's own.
RESERVED_FILES = 256


def asgi_app() -> ProxyHeadersMiddleware:
    """The app as served: X-Forwarded-For / X-Forwarded-Proto are believed only from the
    configured proxies (``TASKLANE_TRUSTED_PROXIES``); anyone else's are ignored."""
    from tasklane.app import create_app  # noqa: PLC0415 - the supervisor never builds it
    from tasklane.observability import configure_logging  # noqa: PLC0415

    settings = get_settings()
    configure_logging(settings)
    app: Any = create_app(settings)  # starlette's and uvicorn's ASGI annotations differ
    return ProxyHeadersMiddleware(app, trusted_hosts=settings.trusted_proxies)


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (the workers inherit
    it): every connection is a file descriptor, and the usual soft limit (1024) is far below
    what a worker can hold. Returns the soft limit now in effect."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1_048_576 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (OSError, ValueError):
            logger.warning("could not raise the open-files limit above %d", soft)
    return 1_048_576 if soft == resource.RLIM_INFINITY else soft


def connections_per_worker(settings: Settings, open_files: int) -> int:
    """``TASKLANE_SERVER_MAX_CONNECTIONS``, lowered to what the open-files limit allows (a
    worker that runs out of descriptors can no longer accept anyone)."""
    allowed = max(64, open_files - RESERVED_FILES)
    if settings.server_max_connections > allowed:
        logger.warning(
            "TASKLANE_SERVER_MAX_CONNECTIONS=%d is above what the open-files limit (%d) "
            "allows: %d connections per worker (raise the limit: ulimit -n, LimitNOFILE=)",
            settings.server_max_connections,
            open_files,
            allowed,
        )
        return allowed
    return settings.server_max_connections


def _run_worker(*args: Any) -> None:
    """A worker process (the spawn target): deaf to SIGINT and SIGTERM, which reach it when
    they are sent to the whole process group; it stops on :data:`WORKER_STOP_SIGNAL`, which
    only its supervisor sends."""
    import granian._signals  # noqa: PLC0415 - in the worker only
    from granian.server import MPServer  # noqa: PLC0415

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Stop (then, after the grace period, die) when the supervisor dies: no orphan keeps
    # serving the port (see tasklane.lifeline).
    exit_with_parent(WORKER_STOP_SIGNAL, get_settings().shutdown_grace_seconds + 5)
    # granian's worker asks this which signals stop it (SIGINT and SIGTERM by default).
    granian._signals._get_signals = lambda: [WORKER_STOP_SIGNAL]
    MPServer._spawn_asgi_lifespan_worker(*args)
    _wait_for_foreign_threads()


def _wait_for_foreign_threads(timeout: float = 2.0) -> None:
    """Wait, a bounded time, until the threads Python did not start have ended.

    When a granian worker stops, a Rust thread wakes the event loop up (a call into Python)
    and then, still attached to the interpreter, shuts its runtime down; by then the worker's
    main thread may be done. Were the interpreter to finalise under that thread, it would die
    with a Rust panic ("panic in a function that cannot unwind"), most often when a worker is
    stopped right after it started. Linux only (/proc); elsewhere this does not wait."""
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started_by_python = sum(
            not isinstance(thread, threading._DummyThread) for thread in threading.enumerate()
        )
        if len(os.listdir(tasks)) <= started_by_python:
            return
        time.sleep(0.005)


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
    from granian.http import HTTP1Settings  # noqa: PLC0415
    from granian.server import MPServer  # noqa: PLC0415
    from granian.server.mp import WorkerProcess  # noqa: PLC0415

    workers = workers or default_workers(settings)
    drain_seconds = settings.shutdown_drain_seconds
    max_connections = connections_per_worker(settings, raise_open_files_limit())

    class Worker(WorkerProcess):
        """A worker the supervisor stops with :data:`WORKER_STOP_SIGNAL` (it ignores SIGTERM)."""

        def terminate(self) -> None:
            self.interrupt_by_parent = True
            if self.inner.pid is not None:
                with contextlib.suppress(ProcessLookupError):  # it has exited already
                    os.kill(self.inner.pid, WORKER_STOP_SIGNAL)

    class Supervisor(MPServer):
        """granian's supervisor, with the drain in front of its stop."""

        draining = False

        def _spawn_worker(self, *args: Any, **kwargs: Any) -> Any:
            worker = super()._spawn_worker(*args, **kwargs)
            worker.__class__ = Worker  # granian's, stopped with WORKER_STOP_SIGNAL
            return worker

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

    # The workers' metric files (prometheus_client's multiprocess mode), this instance's own,
    # emptied now: set before any worker starts, as the client reads it at import.
    metrics_dir = prepare_multiprocess_dir(settings.var_dir, f"{host}-{port}")
    logger.info("metrics of the workers under %s", metrics_dir)
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
            http1_settings=HTTP1Settings(
                header_read_timeout=round(settings.server_header_read_timeout_seconds * 1000),
                keep_alive=True,
            ),
            backlog=settings.server_backlog,
            backpressure=max_connections,
            websockets=False,
            log_access=access_log,
            respawn_failed_workers=True,
            respawn_interval=1.0,
            workers_kill_timeout=settings.shutdown_grace_seconds,
        )
        logger.info(
            "serving on http://%s:%d with %d worker(s); drain %.1f s, grace %d s; "
            "%d connections per worker, backlog %d, request head within %.1f s",
            host,
            port,
            workers,
            drain_seconds,
            settings.shutdown_grace_seconds,
            max_connections,
            settings.server_backlog,
            settings.server_header_read_timeout_seconds,
        )
        server.serve(spawn_target=_run_worker)
    finally:
        os.environ.pop(DRAIN_MARKER_ENV, None)
        shutil.rmtree(state_dir, ignore_errors=True)
