#!/usr/bin/env python3
"""A single-machine Tasklane cluster: N API instances, Redis and nginx in front, on loopback,
watched by a monitor that brings back what dies.

    .venv/bin/python scripts/cluster.py start [--instances 3] [--workers 1] [--no-redis]
    .venv/bin/python scripts/cluster.py status       # what runs, and what actually listens
    .venv/bin/python scripts/cluster.py restart [N]  # rolling restart (every instance, or N)
    .venv/bin/python scripts/cluster.py stop
    .venv/bin/python scripts/cluster.py run          # start, wait for Ctrl+C, stop

``start`` runs the migrations once, starts a private Redis (unless ``--no-redis`` or
``TASKLANE_REDIS_URL``), each instance (``tasklane serve --no-migrate``) on its port, nginx
(deploy/nginx/tasklane.conf.template rendered with a self-signed certificate, checked with
``nginx -t``, in the foreground mode with its own prefix, pid file and logs: never the
system's), and then the monitor (``cluster.py monitor``, in the background).

Processes are tracked by **process group**: every process the cluster starts leads a group of
its own (an instance's supervisor and its workers, nginx's master and workers, Redis, the
monitor), and the groups an instance has had are kept in ``cluster.json`` until they are seen
empty, so that a group whose leader died (orphaned workers) is still found and ended. Every
process also carries ``TASKLANE_CLUSTER_DIR`` in its environment: ``stop`` ends, last, any
process that has it and is still there.

The **monitor** checks every half second that each instance's supervisor, nginx and Redis are
alive; one that died is started again, at once the first time and after 1, 2, 4… (at most 30)
seconds when it keeps dying within 30 s of its start. A dead supervisor's workers stop by
themselves (tasklane.lifeline); whatever of its group is left after 5 s is killed before the
new instance starts on the same port. Everything is logged in ``logs/cluster.log``.

``restart`` stops and starts the instances one at a time, each with the graceful stop (SIGTERM:
drain, then requests in flight finish) and waiting until the new one is ready before the next;
nginx sends requests to the others meanwhile. The monitor leaves alone an instance being
restarted (a lock file per instance).

What survives a ``stop`` and the next ``start`` under ``--dir`` (default ``var/cluster``, mode
700): ``cluster.json`` (the layout: ports, Redis's password, process groups; mode 600), the
signing key ``keys/jwt-ed25519.pem`` (mode 600), so a token issued before a restart is
accepted after it, the certificate ``tls/`` (made again a day before it expires), the SQLite
database unless ``TASKLANE_DATABASE_URL`` names another, and ``logs/``.

Settings reach the instances through the environment (``TASKLANE_*``).

Python standard library only; importable (``Cluster``) for the tests. Linux: the state of
processes and sockets is read from /proc.
"""

# Fixed commands (nginx, openssl, redis-server, this project's CLI) and loopback URLs only.
# ruff: noqa: S603, S310

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NGINX_DIR = ROOT / "deploy" / "nginx"
LOOPBACK = "127.0.0.1"
#: nginx's passive health check: an instance that failed gets no traffic for this long (s).
NGINX_FAIL_TIMEOUT = 5
#: In the environment of every process the cluster starts: its directory.
MARKER = "TASKLANE_CLUSTER_DIR"
#: How often the monitor looks.
MONITOR_POLL_SECONDS = 0.5
#: A process that lived this long before it died is started again at once.
STABLE_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 30.0
#: How long a dead supervisor's workers get to stop by themselves before they are killed.
ORPHAN_SECONDS = 5.0


def wait_for_tls(port: int, cafile: Path, running: Callable[[], bool], error_log: Path) -> None:
    """Until nginx completes a TLS handshake on ``port`` (its certificate from ``cafile``),
    20 s at most; a ClusterError if it exits first or never does."""
    context = ssl.create_default_context(cafile=str(cafile))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not running():
            raise ClusterError(f"nginx exited: see {error_log}")
        try:
            with (
                socket.create_connection((LOOPBACK, port), timeout=1) as raw,
                context.wrap_socket(raw, server_hostname="localhost"),
            ):
                return
        except OSError:
            time.sleep(0.05)
    raise ClusterError("nginx did not start listening")


class ClusterError(RuntimeError):
    pass


# --- processes and sockets ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def require(tool: str, package: str) -> str:
    path = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None
    )
    if path is None:
        raise ClusterError(f"{tool} is not installed: apt-get install -y {package}")
    return path


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive.
    fields = _stat(pid)
    return not (fields is not None and fields[0] == "Z")


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks after boot), or None when there is none."""
    fields = _stat(pid)
    return int(fields[19]) if fields is not None else None


def boot_id() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return ""


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    if pgid <= 0:
        return []
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return []
    except PermissionError:
        pass
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def group_alive(pgid: int) -> bool:
    return bool(group_members(pgid))


def kill_group(pgid: int, signum: int = signal.SIGKILL) -> None:
    if pgid > 0 and pgid != os.getpgrp():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of these processes is alive; return those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [pid for pid in left if alive(pid)]
        if left:
            time.sleep(0.05)
    return [pid for pid in left if alive(pid)]


def wait_groups_empty(groups: Iterable[int], timeout: float) -> list[int]:
    """Wait until these process groups are empty; return those that are not at the timeout."""
    deadline = time.monotonic() + timeout
    left = [pgid for pgid in groups if group_alive(pgid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pgid for pgid in left if group_alive(pgid)]
    return left


def answers(port: int, timeout: float = 0.5) -> bool:
    """Does anything accept a TCP connection on 127.0.0.1:port?"""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False


def listeners(ports: Iterable[int]) -> dict[int, set[int]]:
    """The processes holding a listening TCP socket on each port (from /proc: the sockets'
    inodes, then the processes' file descriptors)."""
    wanted = {port for port in ports if port}
    owners: dict[int, set[int]] = {port: set() for port in wanted}
    inodes: dict[str, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                port = int(fields[1].rsplit(":", 1)[1], 16)
                if fields[3] == "0A" and port in wanted:  # 0A: LISTEN
                    inodes[f"socket:[{fields[9]}]"] = port
    if not inodes:
        return owners
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    port_of = inodes.get(os.readlink(fd))
                    if port_of is not None:
                        owners[port_of].add(int(entry.name))
    return owners


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:120]


def marked_processes(root: Path) -> list[int]:
    """Live processes (other than this one) started by the cluster in ``root``: their
    environment names it."""
    marker = f"{MARKER}={root}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0") and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


@contextlib.contextmanager
def file_lock(path: Path, *, timeout: float | None = None) -> Iterator[bool]:
    """An exclusive lock on ``path`` (flock). ``timeout`` 0: try once; None: wait for it.
    Yields whether it is held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    held = False
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
        yield held
    finally:
        if held:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def render_config(template: str, values: dict[str, str]) -> str:
    """Fill in the ``@@NAME@@`` placeholders (comment lines are left as they are)."""
    lines = []
    for source in template.splitlines():
        line = source
        if not line.lstrip().startswith("#"):
            for key, value in values.items():
                line = line.replace(f"@@{key}@@", value)
            if "@@" in line:
                raise ClusterError(f"unrendered placeholder in the nginx config: {line.strip()}")
        lines.append(line)
    return "\n".join(lines) + "\n"


# --- the cluster -------------------------------------------------------------------------


@dataclass
class Instance:
    index: int
    port: int
    #: The supervisor (``tasklane serve``), leader of its own process group.
    pid: int = 0
    #: The process groups started for this instance and not yet seen empty (current last).
    groups: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


@dataclass
class Status:
    """One part of the cluster as ``status`` sees it."""

    name: str
    state: str  # running | starting | stopped | orphaned | port-taken
    detail: str
    listening: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state == "running"


@dataclass
class Backoff:
    """When the monitor may start something again."""

    failures: int = 0  # starts in a row that failed or did not last STABLE_SECONDS
    next_attempt: float = 0.0
    started_at: float = 0.0
    seen_pid: int = 0  # the live process last seen
    restarted: bool = False  # ... and the monitor started it
    dead_pid: int = -1  # the dead process already announced

    def delay(self) -> float:
        return 0.0 if self.failures == 0 else min(MAX_BACKOFF_SECONDS, 2.0 ** (self.failures - 1))

    def running(self, pid: int, now: float, *, restarted: bool = False) -> None:
        if pid != self.seen_pid:
            self.seen_pid, self.started_at, self.restarted = pid, now, restarted
            self.dead_pid = -1

    def died(self, now: float) -> None:
        """The first death is answered at once; a process the monitor started that dies
        again within STABLE_SECONDS waits longer each time."""
        short = self.restarted and now - self.started_at < STABLE_SECONDS
        self.failures = self.failures + 1 if short else 0
        self.next_attempt = now + self.delay()

    def start_failed(self, now: float) -> None:
        self.failures += 1
        self.next_attempt = now + self.delay()


@dataclass
class Cluster:
    """The cluster's processes and files under ``root``."""

    root: Path
    instances: list[Instance] = field(default_factory=list)
    workers: int = 1
    http_port: int = 0
    https_port: int = 0
    nginx_pid: int = 0
    redis_port: int = 0
    redis_password: str = ""
    redis_pid: int = 0
    monitor_pid: int = 0
    #: Start time of each process group leader the cluster started (against pid reuse), and
    #: the boot they belong to: a recorded group is trusted only when both still match.
    leaders: dict[str, int] = field(default_factory=dict)
    boot: str = ""
    web_dist: str = ""
    env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    _children: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)
    _exits: dict[int, int] = field(default_factory=dict, repr=False)

    # --- state ---------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def key_file(self) -> Path:
        return self.root / "keys" / "jwt-ed25519.pem"

    @property
    def https_url(self) -> str:
        return f"https://{LOOPBACK}:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def cert(self) -> Path:
        return self.root / "tls" / "cert.pem"

    @property
    def redis_url(self) -> str:
        return f"redis://:{self.redis_password}@{LOOPBACK}:{self.redis_port}/0"

    _FIELDS = (
        "workers",
        "http_port",
        "https_port",
        "nginx_pid",
        "redis_port",
        "redis_password",
        "redis_pid",
        "monitor_pid",
        "leaders",
        "boot",
        "web_dist",
        "env",
        "python",
    )
    _PIDS = ("nginx_pid", "redis_pid", "monitor_pid")

    def _state(self) -> dict[str, Any]:
        return {
            "instances": [vars(i) for i in self.instances],
            **{name: getattr(self, name) for name in self._FIELDS},
        }

    def _write(self, state: dict[str, Any]) -> None:
        """Atomically, mode 600 (it holds Redis's password and the settings)."""
        temporary = self.state_file.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(state, indent=2) + "\n")
        temporary.chmod(0o600)
        os.replace(temporary, self.state_file)

    def _read(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.state_file.read_text())
        return state

    @contextlib.contextmanager
    def _state_lock(self) -> Iterator[None]:
        with file_lock(self.root / "locks" / "state.lock"):
            yield

    def save(self) -> None:
        known = {str(pgid) for pgid in self.groups()}
        self.leaders = {pid: ticks for pid, ticks in self.leaders.items() if pid in known}
        with self._state_lock():
            self._write(self._state())

    def _record(self, *names: str) -> None:
        """Write these fields of this object into the state file, the rest as it is."""
        with self._state_lock():
            state = self._read() if self.state_file.exists() else self._state()
            for name in names:
                state[name] = getattr(self, name)
            state["leaders"] = {**state.get("leaders", {}), **self.leaders}
            self._write(state)

    def _record_instance(self, index: int) -> None:
        with self._state_lock():
            state = self._read() if self.state_file.exists() else self._state()
            state["instances"][index] = vars(self.instances[index])
            state["leaders"] = {**state.get("leaders", {}), **self.leaders}
            self._write(state)

    def refresh(self) -> None:
        """Take the processes as the state file has them (another process may have started
        or stopped some)."""
        if not self.state_file.exists():
            return
        with self._state_lock():
            state = self._read()
        self.leaders = {**state.get("leaders", {}), **self.leaders}
        self.boot = state.get("boot", "")
        for instance, saved in zip(self.instances, state["instances"], strict=False):
            instance.pid = saved.get("pid", 0)
            instance.groups = list(saved.get("groups", []))
        for name in self._PIDS:
            setattr(self, name, state.get(name, 0))
        self._forget_strangers()

    def _ours(self, pgid: int) -> bool:
        """Is this recorded process group still the one the cluster started? Not after a
        reboot, nor when its leader's pid now belongs to a process started since. (A group
        whose leader is gone can only hold what that leader started: a pid is not given
        again while a group of that id has members.)"""
        if not pgid or (self.boot and self.boot != boot_id()):  # (no boot: an older state)
            return False
        started = start_time(pgid)
        recorded = self.leaders.get(str(pgid))
        return started is None or not recorded or started == recorded

    def _forget_strangers(self) -> None:
        for instance in self.instances:
            instance.pid = instance.pid if self._ours(instance.pid) else 0
            instance.groups = [g for g in instance.groups if self._ours(g)]
        for name in self._PIDS:
            if not self._ours(getattr(self, name)):
                setattr(self, name, 0)

    @classmethod
    def load(cls, root: Path) -> Cluster:
        path = root / "cluster.json"
        if not path.exists():
            raise ClusterError(f"no cluster state in {root}")
        state: dict[str, Any] = json.loads(path.read_text())
        instances = []
        for saved in state["instances"]:
            instance = Instance(saved["index"], saved["port"], saved.get("pid", 0))
            instance.groups = list(saved.get("groups", [instance.pid] if instance.pid else []))
            instances.append(instance)
        known = {name: state[name] for name in cls._FIELDS if name in state}
        cluster = cls(root=root, instances=instances, **known)
        cluster._forget_strangers()
        return cluster

    def groups(self) -> list[int]:
        """Every process group the cluster knows of."""
        found = [self.monitor_pid, self.nginx_pid, self.redis_pid]
        for instance in self.instances:
            found.extend(instance.groups)
            found.append(instance.pid)
        return sorted({pgid for pgid in found if pgid})

    def pids(self) -> list[int]:
        return [pid for pid in [self.nginx_pid, *(i.pid for i in self.instances)] if pid]

    def running(self) -> bool:
        return any(group_alive(pgid) for pgid in self.groups())

    def log(self, message: str, *, echo: bool = False) -> None:
        """A line in logs/cluster.log (and on standard output with ``echo``)."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
        line = f"{stamp} [{os.getpid()}] {message}\n"
        (self.root / "logs").mkdir(parents=True, exist_ok=True)
        with (self.root / "logs" / "cluster.log").open("a") as out:
            out.write(line)
        if echo:
            print(message, flush=True)

    # --- set-up --------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        instances: int = 3,
        workers: int = 1,
        http_port: int = 0,
        https_port: int = 0,
        web_dist: Path | None = None,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
        redis: bool = False,
    ) -> Cluster:
        """The cluster's layout (nothing started yet). A cluster made in ``root`` before keeps
        its ports (``http_port``/``https_port`` 0: the earlier ones, else free ones), its
        Redis and its signing key. ``redis``: start a private Redis for the instances (unless
        ``TASKLANE_REDIS_URL`` names one)."""
        root = root.resolve()
        old = cls.load(root) if (root / "cluster.json").exists() else None
        if old is not None and old.running():
            raise ClusterError(f"a cluster is already running from {root}: stop it first")
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)  # the database, the keys, the logs
        for sub in ("logs", "tls", "keys", "locks", "redis", "nginx/conf", "nginx/logs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "keys").chmod(0o700)
        (root / "nginx" / "tmp").mkdir(exist_ok=True)
        settings_env = {k: v for k, v in os.environ.items() if k.startswith("TASKLANE_")}
        settings_env.pop(MARKER, None)
        settings_env.update(env or {})
        settings_env.setdefault("TASKLANE_VAR_DIR", str(root / "var"))
        settings_env.setdefault(
            "TASKLANE_DATABASE_URL", f"sqlite+aiosqlite:///{root / 'tasklane.db'}"
        )
        if web_dist is None and (ROOT / "web" / "dist" / "index.html").is_file():
            web_dist = ROOT / "web" / "dist"
        ports = [i.port for i in old.instances] if old else []
        ports += [free_port() for _ in range(instances - len(ports))]
        cluster = cls(
            root=root,
            instances=[Instance(i, ports[i]) for i in range(instances)],
            workers=workers,
            http_port=http_port or (old.http_port if old else 0) or free_port(),
            https_port=https_port or (old.https_port if old else 0) or free_port(),
            web_dist=str(web_dist.resolve()) if web_dist else "",
            env=settings_env,
            python=python,
            boot=boot_id(),
        )
        if redis and "TASKLANE_REDIS_URL" not in settings_env:
            if shutil.which("redis-server") is None:
                raise ClusterError(
                    "redis-server is not installed: apt-get install -y redis-server "
                    "(or set TASKLANE_REDIS_URL, or --no-redis: limits then count per process)"
                )
            cluster.redis_port = (old.redis_port if old else 0) or free_port()
            cluster.redis_password = (old.redis_password if old else "") or secrets.token_hex(24)
            cluster.env["TASKLANE_REDIS_URL"] = cluster.redis_url
        if old is not None:
            cluster.leaders = dict(old.leaders)
            # Groups of the last run that are not empty yet (orphans): still ours to end.
            for instance, before in zip(cluster.instances, old.instances, strict=False):
                instance.groups = [g for g in before.groups if group_alive(g)]
        cluster.ensure_signing_key(old)
        return cluster

    def ensure_signing_key(self, old: Cluster | None = None) -> None:
        """One Ed25519 signing key for all instances and all runs, in ``keys/`` (mode 600);
        rotating it is a deliberate step (docs/operations.md). ``TASKLANE_JWT_PRIVATE_KEY``
        in the environment takes its place."""
        if "TASKLANE_JWT_PRIVATE_KEY" in self.env or self.key_file.exists():
            return
        pem = (old.env.get("TASKLANE_JWT_PRIVATE_KEY") if old else None) or self._openssl(
            "genpkey", "-algorithm", "ed25519"
        )
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(pem)

    def _openssl(self, *args: str) -> str:
        openssl = require("openssl", "openssl")
        done = subprocess.run([openssl, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ClusterError(f"openssl {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def make_certificate(self) -> None:
        """A self-signed certificate for localhost and 127.0.0.1 (P-256, 7 days), kept until
        a day before it expires."""
        key = self.root / "tls" / "key.pem"
        if self.cert.exists() and key.exists():
            with contextlib.suppress(ClusterError):
                self._openssl("x509", "-checkend", "86400", "-noout", "-in", str(self.cert))
                return
        self._openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "7", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(self.cert),
        )  # fmt: skip
        key.chmod(0o600)

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
        env.update(self.env)
        if "TASKLANE_JWT_PRIVATE_KEY" not in env and self.key_file.exists():
            env["TASKLANE_JWT_PRIVATE_KEY"] = self.key_file.read_text()
        paths = [str(ROOT / "src"), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        env[MARKER] = str(self.root)
        return env

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen[bytes]:
        """A process of the cluster: the leader of a new process group, in the cluster's
        directory, with the cluster's environment."""
        with (self.root / "logs" / log_name).open("ab") as log:
            proc = subprocess.Popen(
                command,
                env=self.process_env(),
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._children[proc.pid] = proc
        self.leaders[str(proc.pid)] = start_time(proc.pid) or 0
        return proc

    def reap(self) -> None:
        """Collect the exit status of this process's children that have ended."""
        for pid, proc in list(self._children.items()):
            if proc.poll() is not None:
                self._exits[pid] = proc.returncode
                del self._children[pid]

    def migrate(self) -> None:
        log = self.root / "logs" / "migrate.log"
        with log.open("ab") as out:
            done = subprocess.run(
                [self.python, "-m", "tasklane.cli", "migrate"],
                env=self.process_env(),
                cwd=self.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            raise ClusterError(f"migrations failed: see {log}")

    # --- Redis ---------------------------------------------------------------------------

    def start_redis(self) -> None:
        if not self.redis_port:
            return
        server = require("redis-server", "redis-server")
        self._refuse_taken_port(self.redis_port, "Redis")
        conf = self.root / "redis" / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(
                f"port {self.redis_port}\nbind {LOOPBACK}\nprotected-mode yes\n"
                f'requirepass {self.redis_password}\nsave ""\nappendonly no\n'
                f"dir {self.root / 'redis'}\ndaemonize no\n"
            )
        proc = self._spawn([server, str(conf)], "redis.log")
        self.redis_pid = proc.pid
        self._record("redis_pid")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ClusterError(f"redis-server exited: see {self.root / 'logs' / 'redis.log'}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((LOOPBACK, self.redis_port), timeout=1) as conn,
            ):
                conn.sendall(f"AUTH {self.redis_password}\r\nPING\r\n".encode())
                received = b""
                while b"\r\n" not in received.partition(b"\r\n")[2]:  # two answers
                    chunk = conn.recv(64)
                    if not chunk:
                        break
                    received += chunk
                if received.startswith(b"+OK\r\n+PONG"):
                    return
            time.sleep(0.05)
        raise ClusterError("redis-server did not start")

    # --- instances -----------------------------------------------------------------------

    def _refuse_taken_port(self, port: int, what: str) -> None:
        """A port that still answers is not ours to take: two servers would share it."""
        if answers(port):
            holders = sorted(listeners([port])[port])
            who = ", ".join(f"pid {pid} ({command_line(pid)})" for pid in holders) or "?"
            raise ClusterError(
                f"{what}: port {port} still answers ({who}); stop that first "
                f"(scripts/cluster.py stop --dir {self.root})"
            )

    def start_instance(
        self, index: int, *, wait: bool = True, cancel: Callable[[], bool] | None = None
    ) -> Instance:
        instance = self.instances[index]
        if instance.pid and alive(instance.pid):
            raise ClusterError(f"instance {index} is running already (pid {instance.pid})")
        self._refuse_taken_port(instance.port, f"instance {index}")
        command = [
            self.python, "-m", "tasklane.cli", "serve", "--no-migrate", "--host", LOOPBACK,
            "--port", str(instance.port), "--workers", str(self.workers),
        ]  # fmt: skip
        proc = self._spawn(command, f"instance-{index}.log")
        instance.pid = proc.pid
        instance.groups = [g for g in instance.groups if group_alive(g)] + [proc.pid]
        self._record_instance(index)
        if wait:
            self.wait_ready(index, cancel=cancel)
        return instance

    def wait_ready(
        self, index: int, timeout: float = 60.0, cancel: Callable[[], bool] | None = None
    ) -> None:
        instance = self.instances[index]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(instance.pid):
                raise ClusterError(
                    f"instance {index} exited: see {self.root / 'logs' / f'instance-{index}.log'}"
                )
            if cancel is not None and cancel():
                raise ClusterError(f"instance {index}: waiting for it was cancelled")
            try:
                with urllib.request.urlopen(f"{instance.url}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise ClusterError(f"instance {index} was not ready within {timeout:.0f} s")

    def signal_instance(self, index: int, signum: int) -> None:
        """SIGTERM goes to the supervisor only (it stops its workers after the drain);
        SIGKILL to the whole process group, like a crash of the instance's machine."""
        pid = self.instances[index].pid
        if not pid:
            return
        with contextlib.suppress(ProcessLookupError):
            if signum == signal.SIGKILL:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signum)

    def wait_instance(self, index: int, timeout: float) -> bool:
        """Wait until the instance's processes (its supervisor, workers and helpers) have all
        exited; True when they did within ``timeout``."""
        pid = self.instances[index].pid
        proc = self._children.get(pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None:
                proc.poll()  # reaps it once it has exited
            if not group_alive(pid):
                return True
            time.sleep(0.05)
        return False

    def _group_alive(self, pgid: int) -> bool:
        return group_alive(pgid)

    def end_orphans(self, index: int, timeout: float = ORPHAN_SECONDS) -> list[int]:
        """The groups of an instance whose supervisor is gone: their workers were told to
        stop (tasklane.lifeline); what is left after ``timeout`` is killed. Returns the
        groups that had to be killed."""
        instance = self.instances[index]
        orphaned = [g for g in instance.groups if not alive(g) and group_alive(g)]
        left = wait_groups_empty(orphaned, timeout)
        # A process of this cluster on the port that no record names (a monitor killed
        # between starting an instance and writing it down).
        strays = listeners([instance.port])[instance.port] & set(marked_processes(self.root))
        for pid in strays:
            with contextlib.suppress(ProcessLookupError):
                left.append(os.getpgid(pid))
        for pgid in left:
            kill_group(pgid)
        wait_groups_empty(left, 5)
        instance.groups = [g for g in instance.groups if group_alive(g)]
        self._record_instance(index)
        return left

    def _drain_timeout(self) -> float:
        drain = float(self.env.get("TASKLANE_SHUTDOWN_DRAIN_SECONDS", 5))
        grace = float(self.env.get("TASKLANE_SHUTDOWN_GRACE_SECONDS", 30))
        return drain + grace + 5

    def _instance_lock(
        self, index: int, timeout: float | None
    ) -> contextlib.AbstractContextManager[bool]:
        return file_lock(self.root / "locks" / f"instance-{index}.lock", timeout=timeout)

    def restart(self, indexes: list[int] | None = None, *, echo: bool = False) -> None:
        """Rolling restart: one instance at a time, the graceful stop (drain, requests in
        flight finish), then the new process on the same port, ready before the next."""
        chosen = indexes or list(range(len(self.instances)))
        for index in chosen:
            if not 0 <= index < len(self.instances):
                raise ClusterError(f"no instance {index} (0 to {len(self.instances) - 1})")
        for index in chosen:
            with self._instance_lock(index, timeout=self._drain_timeout() + 90) as held:
                if not held:
                    raise ClusterError(f"instance {index} is being restarted by someone else")
                self.refresh()
                instance = self.instances[index]
                began = time.monotonic()
                old = instance.pid
                if old and alive(old):
                    self.log(f"instance {index}: restart: SIGTERM to pid {old} (drain)", echo=echo)
                    os.kill(old, signal.SIGTERM)
                    if not self.wait_instance(index, self._drain_timeout()):
                        self.log(f"instance {index}: pid {old} did not stop; killed", echo=echo)
                        kill_group(old)
                        wait_groups_empty([old], 5)
                gone_at = time.monotonic()
                self.reap()
                self.end_orphans(index)
                self.start_instance(index)
                self.log(
                    f"instance {index}: restarted on port {instance.port} (pid {instance.pid}) "
                    f"in {time.monotonic() - began:.1f} s",
                    echo=echo,
                )
                if index != chosen[-1]:
                    # nginx saw the old process refuse and sends the port nothing until
                    # fail_timeout has passed: stopping the next one sooner could leave it no
                    # instance to send a request to.
                    time.sleep(max(0.0, gone_at + NGINX_FAIL_TIMEOUT + 0.5 - time.monotonic()))

    # --- nginx ---------------------------------------------------------------------------

    def nginx_config(self) -> Path:
        runtime = self.root / "nginx"
        conf_dir = runtime / "conf"
        upstreams = "\n".join(
            f"        server {LOOPBACK}:{i.port} max_fails=2 fail_timeout={NGINX_FAIL_TIMEOUT}s;"
            for i in self.instances
        )
        web_dist = self.web_dist or str(runtime / "empty")
        spa = "spa-static.conf" if self.web_dist else "spa-proxy.conf"
        values = {
            # Started as root, nginx would switch its workers to an unprivileged user that
            # cannot read this private runtime directory: they run as the invoking user, like
            # the instances.
            "USER": "user root;" if os.geteuid() == 0 else "",
            "RUNTIME_DIR": str(runtime),
            "CONF_DIR": str(conf_dir),
            "LISTEN": LOOPBACK,
            "HTTP_PORT": str(self.http_port),
            "HTTPS_PORT": str(self.https_port),
            "HTTPS_PORT_SUFFIX": "" if self.https_port == 443 else f":{self.https_port}",
            "SERVER_NAME": "localhost 127.0.0.1",
            "CERT": str(self.cert),
            "KEY": str(self.root / "tls" / "key.pem"),
            "UPSTREAM_SERVERS": upstreams,
            "WEB_DIST": web_dist,
            "SPA": f"include {conf_dir}/{spa};",
        }
        for source in NGINX_DIR.iterdir():
            if source.suffix in (".conf", ".types"):
                rendered = render_config(source.read_text(), values)
                (conf_dir / source.name).write_text(rendered)
        main = conf_dir / "nginx.conf"
        main.write_text(render_config((NGINX_DIR / "tasklane.conf.template").read_text(), values))
        return main

    def _nginx_command(self, *extra: str) -> list[str]:
        nginx = require("nginx", "nginx")
        runtime = self.root / "nginx"
        return [
            nginx, "-p", str(runtime), "-c", str(runtime / "conf" / "nginx.conf"),
            "-e", str(runtime / "logs" / "error.log"), "-g", "daemon off;", *extra,
        ]  # fmt: skip

    def start_nginx(self) -> None:
        self.nginx_config()
        check = subprocess.run(
            self._nginx_command("-t", "-q"), capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise ClusterError(f"nginx -t refused the configuration:\n{check.stderr}")
        for port in (self.http_port, self.https_port):
            self._refuse_taken_port(port, "nginx")
        proc = self._spawn(self._nginx_command(), "nginx.log")
        self.nginx_pid = proc.pid
        self._record("nginx_pid")
        wait_for_tls(
            self.https_port, self.cert, lambda: proc.poll() is None,
            self.root / "nginx" / "logs" / "error.log",
        )  # fmt: skip

    # --- the monitor ---------------------------------------------------------------------

    def start_monitor(self) -> None:
        command = [self.python, str(Path(__file__).resolve()), "monitor", "--dir", str(self.root)]
        proc = self._spawn(command, "cluster.log")
        self.monitor_pid = proc.pid
        self._record("monitor_pid")

    def supervise(self, stopping: Callable[[], bool], poll: float = MONITOR_POLL_SECONDS) -> None:
        """The monitor's loop, until ``stopping()``: whatever died is started again."""
        backoff: dict[str, Backoff] = {}
        self.log(
            f"monitor: watching {len(self.instances)} instance(s)"
            f"{', Redis' if self.redis_port else ''} and nginx"
        )
        while not stopping():
            try:
                self._look(backoff, stopping)
            except Exception as error:  # a monitor that dies watches nothing
                self.log(f"monitor: {error!r}; going on")
            deadline = time.monotonic() + poll
            while time.monotonic() < deadline and not stopping():
                time.sleep(0.05)
        self.log("monitor: stopped")

    def _look(self, backoff: dict[str, Backoff], stopping: Callable[[], bool]) -> None:
        self.reap()
        for instance in self.instances:
            if stopping():
                return
            key = f"instance-{instance.index}"
            self._watch_instance(instance.index, backoff.setdefault(key, Backoff()), stopping)
        if not stopping():
            self.refresh()
            self._watch_service("redis", backoff.setdefault("redis", Backoff()))
            self._watch_service("nginx", backoff.setdefault("nginx", Backoff()))

    def _exit_status(self, pid: int) -> str:
        self.reap()
        code = self._exits.get(pid)
        if not pid:
            return "is not running"
        if code is None:
            return "is gone"
        return f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"

    def _watch_instance(self, index: int, backoff: Backoff, stopping: Callable[[], bool]) -> None:
        with self._instance_lock(index, timeout=0) as held:
            if not held:  # a rolling restart has it
                backoff.seen_pid = 0
                return
            self.refresh()
            instance = self.instances[index]
            now = time.monotonic()
            if instance.pid and alive(instance.pid):
                backoff.running(instance.pid, now)
                return
            if backoff.dead_pid != instance.pid:
                backoff.dead_pid = instance.pid
                backoff.died(now)
                delay = backoff.next_attempt - now
                self.log(
                    f"instance {index}: supervisor pid {instance.pid} "
                    f"{self._exit_status(instance.pid)}; starting it again"
                    + (f" in {delay:.0f} s (attempt {backoff.failures + 1})" if delay > 0 else "")
                )
            if now < backoff.next_attempt:
                return
            began = time.monotonic()
            killed = self.end_orphans(index)
            if killed:
                self.log(f"instance {index}: killed what was left of group(s) {killed}")
            try:
                self.start_instance(index, cancel=stopping)
            except ClusterError as error:
                backoff.start_failed(time.monotonic())
                backoff.dead_pid = instance.pid  # announced here
                self.log(
                    f"instance {index}: start failed: {error}; next attempt in "
                    f"{backoff.delay():.0f} s"
                )
                return
            backoff.running(instance.pid, time.monotonic(), restarted=True)
            self.log(
                f"instance {index}: back on port {instance.port} (pid {instance.pid}) "
                f"in {time.monotonic() - began:.1f} s"
            )

    def _watch_service(self, name: str, backoff: Backoff) -> None:
        """Redis or nginx: started again (its whole group ended first) when its leader died."""
        attribute = f"{name}_pid"
        pid: int = getattr(self, attribute)
        if name == "redis" and not self.redis_port:
            return
        now = time.monotonic()
        if pid and alive(pid):
            backoff.running(pid, now)
            return
        if backoff.dead_pid != pid:
            backoff.dead_pid = pid
            backoff.died(now)
            self.log(f"{name}: pid {pid} {self._exit_status(pid)}; starting it again")
        if now < backoff.next_attempt:
            return
        kill_group(pid)  # nginx's workers outlive a killed master
        wait_groups_empty([pid], 5)
        try:
            self.start_redis() if name == "redis" else self.start_nginx()
        except ClusterError as error:
            backoff.start_failed(time.monotonic())
            backoff.dead_pid = getattr(self, attribute)  # announced here
            self.log(f"{name}: start failed: {error}; next attempt in {backoff.delay():.0f} s")
            return
        new_pid: int = getattr(self, attribute)
        backoff.running(new_pid, time.monotonic(), restarted=True)
        self.log(f"{name}: back (pid {new_pid})")

    # --- whole cluster -------------------------------------------------------------------

    def start(self, *, monitor: bool = False) -> None:
        try:
            self.make_certificate()
            self.save()
            self.log(f"starting {len(self.instances)} instance(s) from {self.root}")
            self.migrate()
            self.start_redis()
            for instance in self.instances:
                self.start_instance(instance.index, wait=False)
            for instance in self.instances:
                self.wait_ready(instance.index)
            self.start_nginx()
            if monitor:
                self.start_monitor()
            self.log("cluster up")
        except BaseException:
            self.stop(quiet=True)
            raise

    def _stop_monitor(self, quiet: bool) -> list[int]:
        pid = self.monitor_pid
        if not pid or pid == os.getpid() or not group_alive(pid):
            return []
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        proc = self._children.get(pid)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
        if not wait_groups_empty([pid], 15):
            return []
        if not quiet:
            print(f"killing the monitor (pid {pid}): it did not stop", file=sys.stderr)
        kill_group(pid)
        return [pid]

    def stop(self, *, timeout: float | None = None, quiet: bool = False) -> list[int]:  # noqa: PLR0915
        """The monitor first (nothing may start again what is being stopped); then each
        instance's supervisor gets SIGTERM (all at once) and nginx SIGQUIT; groups whose
        leader is already dead (orphans) are killed at once; whatever is still there after
        ``timeout`` (default: drain + grace + 5 s) is killed; then Redis; last, any process
        of this cluster still found. Returns the process groups that had to be killed (none
        after a clean stop)."""
        if timeout is None:
            timeout = self._drain_timeout()

        def say(message: str) -> None:
            self.log(message)
            if not quiet:
                print(message, file=sys.stderr)

        killed = self._stop_monitor(quiet)
        self.refresh()
        self.reap()
        with contextlib.suppress(OSError):
            self.log("stopping")
        groups: list[int] = []
        for instance in self.instances:
            if instance.pid and alive(instance.pid):
                self.signal_instance(instance.index, signal.SIGTERM)
            groups.extend(g for g in {*instance.groups, instance.pid} if g)
        if self.nginx_pid and alive(self.nginx_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.nginx_pid, signal.SIGQUIT)
        groups.append(self.nginx_pid)
        for pgid in groups:
            if pgid and not alive(pgid) and group_alive(pgid):
                say(f"process group {pgid}: its leader is gone; killing what is left")
                kill_group(pgid)
                killed.append(pgid)
        deadline = time.monotonic() + timeout
        for pgid in groups:
            proc = self._children.get(pgid)
            if proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(max(0.0, deadline - time.monotonic()))
        # A group outlives its leader by a moment (e.g. multiprocessing's resource tracker
        # exits once the supervisor has): wait for the groups, not only their leaders.
        for pgid in wait_groups_empty(groups, max(0.0, deadline - time.monotonic())):
            say(f"killing process group {pgid} (did not stop in time)")
            kill_group(pgid)
            killed.append(pgid)
        if self.redis_pid and group_alive(self.redis_pid):
            kill_group(self.redis_pid, signal.SIGTERM)
            if wait_groups_empty([self.redis_pid], 10):
                kill_group(self.redis_pid)
                killed.append(self.redis_pid)
        # Anything the cluster started and nobody recorded (a monitor killed between
        # starting a process and writing it down), or that escaped its group.
        for pid in marked_processes(self.root):
            with contextlib.suppress(ProcessLookupError):
                pgid = os.getpgid(pid)
                say(f"pid {pid} ({command_line(pid)}) of this cluster is still there; killing it")
                if pgid == os.getpgrp():
                    os.kill(pid, signal.SIGKILL)
                else:
                    kill_group(pgid)
                killed.append(pgid)
        for proc in self._children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        self.reap()
        wait_groups_empty(killed, 5)
        for port in self.ports():
            if answers(port):
                holders = sorted(listeners([port])[port])
                say(f"port {port} still answers: pid(s) {holders}, not of this cluster")
        self.nginx_pid = self.redis_pid = self.monitor_pid = 0
        for instance in self.instances:
            instance.pid = 0
            instance.groups = [g for g in instance.groups if group_alive(g)]
        if self.state_file.exists():
            self.save()
        with contextlib.suppress(OSError):
            self.log("stopped" + (f" (killed groups {sorted(set(killed))})" if killed else ""))
        return sorted(set(killed))

    def ports(self) -> list[int]:
        found = [i.port for i in self.instances] + [self.http_port, self.https_port]
        return [port for port in [*found, self.redis_port] if port]

    # --- status --------------------------------------------------------------------------

    def report(self) -> list[Status]:
        """What runs and what actually listens on each port (from /proc, not from what the
        state file says)."""
        self.refresh()
        held = listeners(self.ports())
        statuses = [self._instance_status(instance, held) for instance in self.instances]
        statuses.append(self._service_status("nginx", self.nginx_pid, self.https_port, held))
        if self.redis_port:
            statuses.append(self._service_status("redis", self.redis_pid, self.redis_port, held))
        monitor = self.monitor_pid and alive(self.monitor_pid)
        statuses.append(
            Status(
                "monitor",
                "running" if monitor else "stopped",
                f"pid {self.monitor_pid}" if monitor else "dead instances are not restarted",
            )
        )
        return statuses

    def _instance_status(self, instance: Instance, held: dict[int, set[int]]) -> Status:
        name = f"instance {instance.index}"
        ours = {pid for pgid in {*instance.groups, instance.pid} for pid in group_members(pgid)}
        owners = held.get(instance.port, set())
        listening = sorted(owners)
        supervisor = instance.pid and alive(instance.pid)
        where = f"{instance.url}"
        if owners - ours:
            strangers = ", ".join(f"{p} ({command_line(p)})" for p in sorted(owners - ours))
            return Status(name, "port-taken", f"{where} held by pid {strangers}", listening)
        if supervisor and owners:
            return Status(
                name, "running", f"{where} supervisor {instance.pid}, listening: {listening}",
                listening,
            )  # fmt: skip
        if supervisor:
            return Status(name, "starting", f"{where} supervisor {instance.pid}, not listening")
        if ours:
            return Status(
                name, "orphaned",
                f"{where} supervisor gone; processes {sorted(ours)} left, listening: {listening}",
                listening,
            )  # fmt: skip
        return Status(name, "stopped", where)

    @staticmethod
    def _service_status(name: str, pid: int, port: int, held: dict[int, set[int]]) -> Status:
        owners = held.get(port, set())
        ours = set(group_members(pid))
        where = f"{LOOPBACK}:{port}"
        if owners - ours:
            return Status(name, "port-taken", f"{where} held by pid {sorted(owners - ours)}")
        if pid and alive(pid) and owners:
            return Status(name, "running", f"{where} pid {pid}", sorted(owners))
        if ours:
            return Status(name, "orphaned", f"{where} leader gone; {sorted(ours)} left")
        return Status(name, "stopped", where)


def _cluster_dir(args: argparse.Namespace) -> Path:
    root: Path = args.dir.resolve()
    return root


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one branch a command
    parser = argparse.ArgumentParser(prog="cluster.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "run", "restart", "monitor"])
    parser.add_argument("which", nargs="*", type=int, help="restart: the instances (default all)")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "cluster")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per instance")
    parser.add_argument("--http-port", type=int, default=None, help="default: the last, or 8080")
    parser.add_argument("--https-port", type=int, default=None, help="default: the last, or 8443")
    parser.add_argument("--web-dist", type=Path, default=None, help="default: web/dist if built")
    parser.add_argument(
        "--no-redis",
        action="store_true",
        help="no private Redis: limits, revocations and caches are per process",
    )
    args = parser.parse_args(argv)
    root = _cluster_dir(args)

    try:
        if args.command in ("start", "run"):
            earlier = (root / "cluster.json").exists()
            cluster = Cluster.create(
                root,
                instances=args.instances,
                workers=args.workers,
                http_port=(
                    args.http_port if args.http_port is not None else (0 if earlier else 8080)
                ),
                https_port=(
                    args.https_port if args.https_port is not None else (0 if earlier else 8443)
                ),
                web_dist=args.web_dist,
                redis=not args.no_redis,
            )
            if not cluster.redis_port and "TASKLANE_REDIS_URL" not in cluster.env:
                print(
                    "warning: no Redis: each worker process counts rate limits, caches and "
                    "revoked sessions for itself (docs/operations.md)",
                    file=sys.stderr,
                )
            cluster.start(monitor=True)
            print(f"cluster up: {cluster.https_url}/ (self-signed: {cluster.cert})")
            print(f"  {cluster.http_url}/ redirects to HTTPS")
            for instance in cluster.instances:
                print(f"  instance {instance.index}: {instance.url} (pid {instance.pid})")
            if cluster.redis_port:
                print(f"  redis 127.0.0.1:{cluster.redis_port} (pid {cluster.redis_pid})")
            print(f"  nginx pid {cluster.nginx_pid}; monitor pid {cluster.monitor_pid}")
            print(f"  logs in {cluster.root / 'logs'} (cluster.log: what the monitor did)")
            if args.command == "start":
                print(f"stop with: {sys.executable} {Path(__file__)} stop --dir {root}")
                return 0
            stop_now: list[int] = []
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda s, _f: stop_now.append(s))
            while not stop_now and alive(cluster.monitor_pid):
                time.sleep(0.2)
            print("stopping the cluster")
            cluster.stop()
        elif args.command == "stop":
            cluster = Cluster.load(root)
            cluster.stop()
            left = [port for port in cluster.ports() if answers(port)]
            if left:
                print(f"error: ports {left} still answer", file=sys.stderr)
                return 1
            print("cluster stopped")
        elif args.command == "restart":
            Cluster.load(root).restart(args.which, echo=True)
        elif args.command == "monitor":
            stopping = threading.Event()
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda _s, _f: stopping.set())
            Cluster.load(root).supervise(stopping.is_set)
        else:
            statuses = Cluster.load(root).report()
            for status in statuses:
                print(f"{status.name}: {status.state} {status.detail}")
            return 0 if all(status.ok for status in statuses) else 3
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
