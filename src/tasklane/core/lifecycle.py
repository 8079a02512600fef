"""Where a worker process stands in its life: serving, or draining before it stops.

The supervisor (``tasklane.server``) starts the drain on SIGTERM by creating a marker file
whose path it put in its workers' environment; ``/readyz`` asks :func:`draining` (one
``stat``). Kept apart from the server so that the app can ask without importing it.
"""

from __future__ import annotations

import os

#: Environment variable naming the drain marker file (set by the supervisor for its workers).
DRAIN_MARKER_ENV = "TASKLANE_DRAIN_MARKER"


def draining() -> bool:
    """True once the supervisor of this worker got SIGTERM (the drain has begun)."""
    marker = os.environ.get(DRAIN_MARKER_ENV)
    return marker is not None and os.path.exists(marker)
