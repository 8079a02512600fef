"""A worker process's tie to its supervisor: when the supervisor dies, the worker stops too.

The supervisor of ``tasklane serve`` binds the socket and starts the workers; were it killed
(``kill -9``, the OOM killer), its workers would go on serving the port with nobody to stop
them, and a new instance started on that port would share it with them. So each worker, as it
starts, asks to be told when its parent is gone:

- on Linux, the kernel sends it ``stop_signal`` the moment the supervisor dies
  (``prctl(PR_SET_PDEATHSIG)``, through ctypes); should the supervisor already be gone by the
  time the request is made, the worker sends the signal to itself;
- elsewhere, a watchdog thread notices the new parent (``os.getppid()``) within
  ``poll_seconds`` and sends it.

``stop_signal`` is the supervisor's own way of stopping a worker (``server.WORKER_STOP_SIGNAL``):
the worker closes its listening socket at once, finishes the requests in flight and runs the
lifespan shutdown, as in any stop. With nobody left to enforce the grace period, the watchdog
kills the worker if it is still there ``grace_seconds`` after its supervisor died.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

logger = logging.getLogger("tasklane.server")

#: linux/prctl.h
PR_SET_PDEATHSIG = 1


def _parent_death_signal(signum: int) -> bool:
    """Ask the kernel for ``signum`` when the parent dies; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def exit_with_parent(
    stop_signal: int, grace_seconds: float, *, poll_seconds: float = 0.5
) -> threading.Thread:
    """Stop this process with ``stop_signal`` when its parent dies, and kill it if it is still
    there ``grace_seconds`` later. Returns the watchdog thread (a daemon)."""
    parent = multiprocessing.parent_process()
    parent_pid = parent.pid if parent is not None and parent.pid else os.getppid()
    by_kernel = _parent_death_signal(stop_signal)
    if by_kernel and os.getppid() != parent_pid:
        # The parent died before the request was made: the kernel will not send it.
        by_kernel = False

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_seconds)
        logger.warning(
            "worker %d: supervisor %d is gone; stopping (killed in %.0f s if still here)",
            os.getpid(),
            parent_pid,
            grace_seconds,
        )
        if not by_kernel:
            with contextlib.suppress(ProcessLookupError):
                os.kill(os.getpid(), stop_signal)
        time.sleep(grace_seconds)
        os.kill(os.getpid(), signal.SIGKILL)

    watchdog = threading.Thread(target=watch, name="tasklane-lifeline", daemon=True)
    watchdog.start()
    return watchdog
