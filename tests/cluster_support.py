"""For the process-level tests (test_cluster.py, test_cluster_supervision.py,
test_graceful.py): real `tasklane serve` instances, nginx and Redis, started through
scripts/cluster.py, on 127.0.0.1 only.

They need nginx and openssl on the machine (`apt-get install -y nginx openssl`). Without them
the tests fail with that message: a cluster test that silently skipped would prove nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from scripts.cluster import Cluster

PASSWORD = "correct horse battery staple"


def require_tools(*tools: str) -> None:
    missing = [
        tool
        for tool in tools
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not installed: these tests run real processes. "
            f"Install with: apt-get install -y {' '.join(missing)}",
            pytrace=False,
        )


def served_env(**extra: str) -> dict[str, str]:
    """Settings of served instances as they run in a cluster: the defaults, with a short
    drain to keep the tests quick (the drain itself is test_graceful's)."""
    return {
        "TASKLANE_ENVIRONMENT": "test",
        "TASKLANE_ACCESS_TOKEN_TTL_SECONDS": "900",
        "TASKLANE_SHUTDOWN_DRAIN_SECONDS": "0.2",
        "TASKLANE_SHUTDOWN_GRACE_SECONDS": "20",
        **extra,
    }


def instance_env(database_url: str, **extra: str) -> dict[str, str]:
    """Settings of the served instances. Rate limits are off: every client here is
    127.0.0.1, and the tests count failed requests, not refused ones."""
    return {
        **served_env(),
        "TASKLANE_DATABASE_URL": database_url,
        "TASKLANE_RATE_LIMIT_ENABLED": "false",
        **extra,
    }


def new_cluster(root: Path, database_url: str, **kwargs: Any) -> Cluster:
    """A ``Cluster`` of scripts/cluster.py (nothing started yet)."""
    require_tools("openssl")
    env = instance_env(database_url, **kwargs.pop("env", {}))
    return Cluster.create(root, env=env, **kwargs)
