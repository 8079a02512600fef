"""The servers the harness starts: their command lines and settings, their process groups,
their readiness and their logs."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.config import BIN, RAISED, ROOT, HarnessError, log
from scripts.private_mariadb import HOST, free_port

#: Where each server says it is ready.
READY = {"tasklane": "/readyz", "floor": "/livez"}


class Processes:
    """Servers started by the harness, each the leader of its own process group (so a ^C at
    the terminal reaches the harness only, and stopping a group stops its workers too)."""

    def __init__(self) -> None:
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        with log_path.open("ab") as out:
            self.started[name] = subprocess.Popen(
                args,
                env=env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self, name: str) -> bool:
        return self.started[name].poll() is None

    def workers(self, name: str) -> list[int]:
        """Pids of the worker processes (children of the supervisor we started)."""
        leader = self.started[name].pid
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    stat = (entry / "stat").read_text()
                    cmdline = (entry / "cmdline").read_bytes()
                    # granian's workers, or multiprocessing's spawned ones (not its tracker)
                    if int(stat.rsplit(")", 1)[1].split()[1]) == leader and (
                        b"resource_tracker" not in cmdline
                    ):
                        found.append(int(entry.name))
        return sorted(found)

    def stop(self, name: str) -> None:
        process = self.started.pop(name, None)
        if process is None:
            return
        group = process.pid  # the group we created with start_new_session
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
        # Workers that outlived their supervisor, then the supervisor if still there.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.started):
            self.stop(name)

    def start_servers(
        self, names: dict[str, str], env: dict[str, str], jwks: Path, work: Path
    ) -> dict[str, str]:
        """Tasklane and the floor on the database ``env`` names, each as the process
        ``names[server]`` logging to ``work/<name>.log``; their URLs by name."""
        ports = {name: free_port() for name in names.values()}
        for server, name in names.items():
            if server == "tasklane":
                args, server_env = serve_args(ports[name]), env
            else:
                args, server_env = floor_args(ports[name]), {**env, "FLOOR_JWKS_FILE": str(jwks)}
            self.start(name, args, server_env, work / f"{name}.log")
        return {name: f"http://{HOST}:{port}" for name, port in ports.items()}

    def wait_ready(self, names: dict[str, str], urls: dict[str, str]) -> None:
        for server, name in names.items():
            wait_http(f"{urls[name]}{READY[server]}", lambda name=name: self.alive(name))


def wait_http(url: str, process_ok: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_ok():
            raise HarnessError(f"the server behind {url} exited during start-up")
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url, timeout=2) as answer,  # noqa: S310 - loopback
        ):
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise HarnessError(f"{url} did not answer within {timeout:.0f} s")


def public_jwks(private_pem: str) -> dict[str, Any]:
    """The JWKS Tasklane serves for this key (the same RFC 7638 thumbprint as ``kid``)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    kid = _b64url(hashlib.sha256(canonical).digest())
    return {"keys": [{**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"}]}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _listening(port: int) -> list[str]:
    """Where each server listens, with the 2 workers every server gets."""
    return ["--host", HOST, "--port", str(port), "--workers", "2"]


def serve_args(port: int) -> list[str]:
    return [str(BIN / "tasklane"), "serve", *_listening(port), "--no-migrate"]


def floor_args(port: int) -> list[str]:
    return [
        str(BIN / "granian"),
        "--interface",
        "asgi",
        *_listening(port),
        "--loop",
        "asyncio",
        "--http",
        "1",
        "--no-ws",
        "bench.floor.app:app",
    ]


def server_env(db_url: str, private_pem: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
    env.update(
        {
            "TASKLANE_ENVIRONMENT": "production",
            "TASKLANE_DATABASE_URL": db_url,
            "TASKLANE_JWT_PRIVATE_KEY": private_pem,
            "TASKLANE_MAIL_LINK_SECRET": secrets.token_urlsafe(32),
            "TASKLANE_VAR_DIR": str(work),
            "TASKLANE_ACCESS_TOKEN_TTL_SECONDS": "3600",
            "TASKLANE_RATE_LIMIT_ANONYMOUS": RAISED,
            "TASKLANE_RATE_LIMIT_USER": RAISED,
            "TASKLANE_RATE_LIMIT_AUTH_ADDRESS": RAISED,
            "TASKLANE_RATE_LIMIT_AUTH_ACCOUNT": RAISED,
            "TASKLANE_SHUTDOWN_DRAIN_SECONDS": "0",
            # The notification worker is its own service in a deployment that measures its
            # throughput; the requests still write their outbox rows (and the floor too).
            "TASKLANE_WORKER_EMBEDDED": "false",
            "TASKLANE_SHUTDOWN_GRACE_SECONDS": "5",
            # This checkout's code (whatever the virtualenv's editable install points at),
            # and bench.floor.
            "PYTHONPATH": os.pathsep.join((str(ROOT / "src"), str(ROOT))),
        }
    )
    return env


def signing_key() -> str:
    """A fresh Ed25519 private key (PEM) both servers share: Tasklane signs with it, the floor
    checks against the JWKS Tasklane serves for it."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def tasklane_cli(args: list[str], env: dict[str, str]) -> str:
    """``tasklane <args>`` (migrate, seed); its output."""
    done = subprocess.run(
        [str(BIN / "tasklane"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise HarnessError(f"tasklane {args[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def log_errors(work: Path, names: list[str]) -> list[str]:
    """Lines the servers logged at WARNING or above during the run."""
    found = []
    for name in names:
        path = work / f"{name}.log"
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith(("WARNING", "ERROR", "CRITICAL", "Traceback", "[ERROR")):
                    found.append(f"{name}: {line[:300]}")
    return found[:50]


def show_logs(work: Path, names: list[str], lines: int = 40) -> None:
    """The servers' own words, before their directory goes."""
    for name in names:
        path = work / f"{name}.log"
        if path.exists():
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            log(f"--- last lines of {name}:\n" + "\n".join(tail))
