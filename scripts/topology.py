#!/usr/bin/env python3
"""The compose topology (compose.yaml) as processes on 127.0.0.1: nginx routing by path to the
auth, task and notification services, the notification worker, a MariaDB primary with a
replica, and Redis, each service with its replicas, from the same deploy/env/*.env files.

    .venv/bin/python -m scripts.topology start [--replicas auth=2,tasks=2,notifications=2]
    .venv/bin/python -m scripts.topology status    # what runs, and where it listens
    .venv/bin/python -m scripts.topology restart   # rolling restart of every process
    .venv/bin/python -m scripts.topology stop
    .venv/bin/python -m scripts.topology run       # start, wait for Ctrl+C, stop

What compose provides, done here instead:

- **names**: each compose host name becomes a loopback port. ``redis:6379`` is a private
  ``redis-server`` (with a password), ``mariadb-primary``/``mariadb-replica`` the pair of
  scripts/mariadb_pair.py, ``auth:8000`` (where the other services fetch the key set) a plain
  HTTP listener of nginx in front of every auth replica, as Docker's DNS would resolve the name
  to all of them. nginx's own upstreams list each replica's port (no ``resolve``);
- **settings**: common.env, then the service's file, with the compose addresses rewritten
  (nginx's fixed address becomes 127.0.0.1, the network 127.0.0.0/8, the public URL nginx's
  port); the database URLs, the signing key (auth only) and the ``migrate`` step as in
  compose.yaml;
- **nginx**: deploy/compose/nginx.conf rendered for these ports and files, with what an older
  nginx lacks (1.22: ``resolve``, ``http2 on``) turned into what it has, checked by ``nginx -t``.

Everything lives under ``--dir`` (default ``var/topology``, mode 700): ``topology.json`` (ports,
processes, Redis's password), ``keys/``, ``tls/`` (a self-signed certificate for localhost and
127.0.0.1), ``logs/<process>.log`` (JSON lines, one a request with its id: ``TASKLANE_ACCESS_LOG``),
``nginx/`` and the pair's data (``mariadb/``, removed by ``stop``; a new ``start`` picks new
ports and keeps the signing key). Each process leads a process group of its own and is
recorded with its start time, so a pid taken by another process is never signalled; ``stop``
ends them (servers skip the drain), and whatever is left of a group is killed.

``restart`` is the rolling restart of a deployment: one process at a time, SIGTERM (the drain,
then requests in flight finish), the new process on the same port, ``/readyz`` 200, and nginx
sending it requests again (nginx's checks are passive: a replica it saw refuse connections is
tried again after ``fail_timeout``) before the next; nginx sends the requests to the other
replicas meanwhile.
"""

# Fixed commands (nginx, openssl, redis-server, this project's CLI) and loopback URLs only.
# ruff: noqa: S603, S310

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import mariadb_pair
from scripts.cluster import (
    ClusterError,
    alive,
    free_port,
    kill_group,
    require,
    start_time,
    wait_for_tls,
    wait_groups_empty,
)
from scripts.private_mariadb import MariaDBError

ROOT = Path(__file__).resolve().parents[1]
ENV_DIR = ROOT / "deploy" / "env"
NGINX_CONF = ROOT / "deploy" / "compose" / "nginx.conf"
LOOPBACK = "127.0.0.1"
SERVICES = ("auth", "tasks", "notifications")
DEFAULT_REPLICAS = {"auth": 2, "tasks": 2, "notifications": 2}
#: The compose network's addresses (compose.yaml) and what they become here.
COMPOSE_NGINX_ADDRESS = "172.28.0.10"
COMPOSE_NETWORK = "172.28.0.0/24"
COMPOSE_HTTPS = "https://localhost:8443"
STARTUP_TIMEOUT = 90.0


class TopologyError(ClusterError):
    pass


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (comments and blank lines skipped), as compose reads env_file."""
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value
    return env


@dataclass
class Process:
    """One process of the topology: a service replica (``tasklane serve``) or the worker."""

    name: str  # auth-0, tasks-1, worker-0
    service: str  # auth | tasks | notifications | worker
    port: int = 0  # 0: no HTTP port (the worker)
    pid: int = 0  # leader of its own process group
    ticks: int = 0  # its start time (clock ticks after boot), against pid reuse
    log_offset: int = 0  # the size of its log when it was started

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


@dataclass
class Topology:
    root: Path
    processes: list[Process] = field(default_factory=list)
    workers: int = 1  # server worker processes per replica
    http_port: int = 0
    https_port: int = 0
    auth_port: int = 0  # "auth:8000": nginx in front of every auth replica, plain HTTP
    redis_port: int = 0
    redis_password: str = ""
    redis_pid: int = 0
    nginx_pid: int = 0
    leaders: dict[str, int] = field(default_factory=dict)  # pid -> start ticks
    overrides: dict[str, str] = field(default_factory=dict)
    database_url: str = ""
    replica_url: str = ""
    python: str = sys.executable

    # --- state ---------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.root / "topology.json"

    @property
    def pair_dir(self) -> Path:
        return self.root / "mariadb"

    @property
    def https_url(self) -> str:
        return f"https://{LOOPBACK}:{self.https_port}"

    @property
    def cert(self) -> Path:
        return self.root / "tls" / "tls.crt"

    def save(self) -> None:
        state = asdict(self)
        state["root"] = str(self.root)
        temporary = self.state_file.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps(state, indent=2) + "\n")
        os.replace(temporary, self.state_file)

    @classmethod
    def load(cls, root: Path) -> Topology:
        path = root.resolve() / "topology.json"
        if not path.exists():
            raise TopologyError(f"no topology in {root}")
        state: dict[str, Any] = json.loads(path.read_text())
        state["root"] = Path(state["root"])
        state["processes"] = [Process(**p) for p in state["processes"]]
        return cls(**state)

    def _ours(self, pid: int) -> bool:
        """Is this recorded pid still the process started here (not one that took its pid)?"""
        return bool(pid) and alive(pid) and start_time(pid) == self.leaders.get(str(pid))

    def log_file(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def of(self, service: str) -> list[Process]:
        return [p for p in self.processes if p.service == service]

    # --- set-up --------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        replicas: dict[str, int] | None = None,
        workers: int = 1,
        overrides: dict[str, str] | None = None,
    ) -> Topology:
        """The layout (nothing started): a port for every replica, nginx and Redis."""
        root = root.resolve()
        if (root / "topology.json").exists():
            old = cls.load(root)
            if old.running():
                raise TopologyError(f"a topology is already running from {root}: stop it first")
        counts = {**DEFAULT_REPLICAS, **(replicas or {})}
        processes = [
            Process(f"{service}-{n}", service, free_port())
            for service in SERVICES
            for n in range(counts[service])
        ]
        if any(counts[s] < 1 for s in SERVICES):
            raise TopologyError("every service needs at least one replica")
        processes.append(Process("worker-0", "worker"))
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)
        for sub in ("logs", "keys", "tls", "nginx/logs", "nginx/tmp", "redis", "var"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        return cls(
            root=root,
            processes=processes,
            workers=workers,
            http_port=free_port(),
            https_port=free_port(),
            auth_port=free_port(),
            redis_port=free_port(),
            redis_password=secrets.token_hex(24),
            overrides=dict(overrides or {}),
        )

    def running(self) -> bool:
        pids = [self.redis_pid, self.nginx_pid, *(p.pid for p in self.processes)]
        if any(self._ours(pid) for pid in pids):
            return True
        state = mariadb_pair._load_state(self.pair_dir)
        return state is not None and any(
            mariadb_pair._server(state[n]).alive() for n in mariadb_pair.SERVERS
        )

    def _openssl(self, *args: str) -> str:
        done = subprocess.run(
            [require("openssl", "openssl"), *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise TopologyError(f"openssl {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def _secrets(self) -> None:
        """The auth service's signing key and nginx's certificate (localhost, 127.0.0.1)."""
        key = self.root / "keys" / "jwt-ed25519.pem"
        if not key.exists():
            pem = self._openssl("genpkey", "-algorithm", "ed25519")
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(pem)
        self._openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "7", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(self.root / "tls" / "tls.key"), "-out", str(self.cert),
        )  # fmt: skip
        (self.root / "tls" / "tls.key").chmod(0o600)

    # --- settings ------------------------------------------------------------------------

    def localize(self, value: str) -> str:
        """A compose setting's value with the compose names and addresses made loopback."""
        value = value.replace(
            "//redis:6379", f"//:{self.redis_password}@{LOOPBACK}:{self.redis_port}"
        )
        value = value.replace("//auth:8000", f"//{LOOPBACK}:{self.auth_port}")
        value = value.replace(COMPOSE_HTTPS, f"https://localhost:{self.https_port}")
        value = value.replace(COMPOSE_NETWORK, "127.0.0.0/8")
        value = value.replace(COMPOSE_NGINX_ADDRESS, LOOPBACK)
        entries = value.split(",")  # the same network twice reads as a mistake
        return ",".join(dict.fromkeys(entries)) if len(entries) > 1 else value

    def settings(self, service: str, name: str) -> dict[str, str]:
        """The ``TASKLANE_*`` settings of one process, as compose.yaml gives its container."""
        env = read_env_file(ENV_DIR / "common.env")
        if service != "migrate":
            env.update(read_env_file(ENV_DIR / f"{service}.env"))
        env = {key: self.localize(value) for key, value in env.items()}
        env["TASKLANE_DATABASE_URL"] = self.database_url
        env["TASKLANE_DATABASE_REPLICA_URLS"] = self.replica_url
        if service == "migrate":
            env["TASKLANE_SERVICES"] = "tasks"  # as compose's migrate: no signing key needed
        if service == "auth":
            env["TASKLANE_JWT_PRIVATE_KEY"] = (self.root / "keys" / "jwt-ed25519.pem").read_text()
        env["TASKLANE_VAR_DIR"] = str(self.root / "var" / name)
        # A log line per request with its id (nginx's): which replica served what.
        env["TASKLANE_ACCESS_LOG"] = "true"
        env.update(self.overrides)
        return env

    def process_env(self, service: str, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLANE_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(self.settings(service, name))
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p
        )
        return env

    # --- processes -----------------------------------------------------------------------

    def _spawn(self, command: list[str], name: str, env: dict[str, str]) -> int:
        with self.log_file(name).open("ab") as log:
            proc = subprocess.Popen(
                command,
                env=env,
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.leaders[str(proc.pid)] = start_time(proc.pid) or 0
        return proc.pid

    def _command(self, process: Process) -> list[str]:
        cli = [self.python, "-m", "tasklane.cli"]
        if process.service == "worker":
            return [*cli, "worker"]
        return [
            *cli, "serve", "--no-migrate", "--host", LOOPBACK,
            "--port", str(process.port), "--workers", str(self.workers),
        ]  # fmt: skip

    def start_process(self, process: Process) -> None:
        env_service = "notifications" if process.service == "worker" else process.service
        env = self.process_env(env_service, process.name)
        if process.service == "worker":
            env.update(read_env_file(ENV_DIR / "worker.env"))
        log = self.log_file(process.name)
        process.log_offset = log.stat().st_size if log.exists() else 0
        process.pid = self._spawn(self._command(process), process.name, env)
        process.ticks = self.leaders[str(process.pid)]
        self.save()

    def wait_ready(self, process: Process, timeout: float = STARTUP_TIMEOUT) -> None:
        """``/readyz`` 200 on the replica's own port; the worker: its start in its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(process.pid):
                raise TopologyError(f"{process.name} exited: see {self.log_file(process.name)}")
            if process.service == "worker":
                if self._worker_started(process):
                    return
            else:
                with (
                    contextlib.suppress(OSError, urllib.error.URLError),
                    urllib.request.urlopen(f"{process.url}/readyz", timeout=2) as answer,
                ):
                    if answer.status == 200:
                        return
            time.sleep(0.1)
        raise TopologyError(f"{process.name} was not ready within {timeout:.0f} s")

    def fail_timeout(self) -> float:
        """How long nginx leaves a replica it saw fail before trying it again (passive
        checks: open-source nginx does not poll /readyz)."""
        found = re.search(r"fail_timeout=(\d+)s", NGINX_CONF.read_text())
        return float(found.group(1)) if found else 10.0

    def wait_routed(self, process: Process) -> None:
        """Until nginx sends the replica requests again: one in its log since it was ready,
        or ``fail_timeout`` (nginx then tries it again). Stopping the next replica before
        would leave nginx none it believes alive."""
        if not process.port:
            return
        log = self.log_file(process.name)
        start = log.stat().st_size
        deadline = time.monotonic() + self.fail_timeout() + 0.5
        while time.monotonic() < deadline:
            with log.open("rb") as text:
                text.seek(start)
                for line in text:
                    if b'"tasklane.access"' in line and b"/readyz" not in line:
                        return
            time.sleep(0.1)

    def _worker_started(self, process: Process) -> bool:
        """Its latest run logged ``worker ... started`` (the log is appended to)."""
        with self.log_file(process.name).open("rb") as log:
            log.seek(process.log_offset)
            return re.search(rb"worker \S+ started", log.read()) is not None

    def stop_process(self, process: Process, *, drain: bool = True) -> None:
        """SIGTERM (the drain, then requests in flight finish) or, without ``drain``, SIGINT
        (a server skips the drain); the group is killed if it outlives drain and grace."""
        if not self._ours(process.pid):
            process.pid = 0
            return
        signum = signal.SIGTERM if drain or process.service == "worker" else signal.SIGINT
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)
        limit = self._drain_seconds() + self._grace_seconds() + 5
        if wait_groups_empty([process.pid], limit):
            kill_group(process.pid)
            wait_groups_empty([process.pid], 5)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(process.pid, os.WNOHANG)
        self.leaders.pop(str(process.pid), None)
        process.pid = 0
        self.save()

    def _drain_seconds(self) -> float:
        return float(self.settings("tasks", "tasks-0").get("TASKLANE_SHUTDOWN_DRAIN_SECONDS", 5))

    def _grace_seconds(self) -> float:
        return float(self.settings("tasks", "tasks-0").get("TASKLANE_SHUTDOWN_GRACE_SECONDS", 30))

    # --- Redis and nginx -----------------------------------------------------------------

    def start_redis(self) -> None:
        conf = self.root / "redis" / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(
                f"port {self.redis_port}\nbind {LOOPBACK}\nprotected-mode yes\n"
                f'requirepass {self.redis_password}\nsave ""\nappendonly no\n'
                f"dir {self.root / 'redis'}\ndaemonize no\n"
                # compose.yaml's command: writes are refused rather than keys evicted
                "maxmemory-policy noeviction\n"
            )
        server = require("redis-server", "redis-server")
        self.redis_pid = self._spawn([server, str(conf)], "redis", dict(os.environ))
        self.save()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection((LOOPBACK, self.redis_port), timeout=1) as conn,
            ):
                conn.sendall(f"AUTH {self.redis_password}\r\nPING\r\n".encode())
                time.sleep(0.05)
                if b"+PONG" in conn.recv(64):
                    return
            time.sleep(0.05)
        raise TopologyError(f"redis-server did not start: see {self.log_file('redis')}")

    def nginx_config(self) -> str:
        """deploy/compose/nginx.conf for these ports and files, for nginx 1.22 and later."""
        runtime = self.root / "nginx"
        # The pid file and the temporary files (first: the paths put in below may be in /tmp).
        conf = re.sub(r"(?<= )/tmp/", f"{runtime / 'tmp'}/", NGINX_CONF.read_text())

        def upstream(match: re.Match[str]) -> str:
            service, options = match.group(1), match.group(2)
            return "\n        ".join(
                f"server {LOOPBACK}:{p.port}{options};" for p in self.of(service)
            )

        conf, found = re.subn(
            r"server (auth|tasks|notifications):8000 resolve([^;]*);", upstream, conf
        )
        if found != len(SERVICES):
            raise TopologyError("deploy/compose/nginx.conf: an upstream server line changed")
        conf = re.sub(r"\n\s*resolver [^;]*;", "", conf)  # nothing to resolve: ports
        http2 = "        http2 on;\n" in conf
        conf = conf.replace("        http2 on;\n", "")  # 1.22: `listen ... http2`
        conf = conf.replace("listen 8080;", f"listen {LOOPBACK}:{self.http_port};")
        conf = conf.replace(
            "listen 8443 ssl;",
            f"listen {LOOPBACK}:{self.https_port} ssl{' http2' if http2 else ''};",
        )
        conf = conf.replace("https://$host:8443", f"https://$host:{self.https_port}")
        conf = conf.replace("/etc/nginx/tls/", f"{self.root / 'tls'}/")
        conf = conf.replace("/etc/nginx/mime.types", str(ROOT / "deploy" / "nginx" / "mime.types"))
        conf = conf.replace(
            "access_log /dev/stdout", f"access_log {runtime / 'logs' / 'access.log'}"
        )
        # "auth:8000", where the other services fetch the key set: every auth replica.
        auth_name = (
            "    server {\n"
            f"        listen {LOOPBACK}:{self.auth_port};\n"
            "        location / {\n"
            "            proxy_http_version 1.1;\n"
            '            proxy_set_header Connection "";\n'
            "            proxy_next_upstream error timeout http_502 http_503;\n"
            "            proxy_pass http://tasklane_auth;\n"
            "        }\n"
            "    }\n"
        )
        head, _, tail = conf.rpartition("}")
        conf = head + auth_name + "}" + tail
        if os.geteuid() == 0:
            # As root, nginx would run its workers as a user that cannot read this directory.
            conf = "user root;\n" + conf
        if re.search(r"\b(auth|tasks|notifications|redis|mariadb-\w+):\d+", conf):
            raise TopologyError("a compose host name is left in the nginx configuration")
        return conf

    def start_nginx(self) -> None:
        nginx = require("nginx", "nginx")
        runtime = self.root / "nginx"
        (runtime / "nginx.conf").write_text(self.nginx_config())
        base = [nginx, "-p", str(runtime), "-c", str(runtime / "nginx.conf"), "-e",
                str(runtime / "logs" / "error.log")]  # fmt: skip
        check = subprocess.run([*base, "-t", "-q"], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise TopologyError(f"nginx -t refused the configuration:\n{check.stderr}")
        self.nginx_pid = self._spawn([*base, "-g", "daemon off;"], "nginx", dict(os.environ))
        self.save()
        nginx_pid = self.nginx_pid
        wait_for_tls(
            self.https_port, self.cert, lambda: alive(nginx_pid), runtime / "logs" / "error.log"
        )

    # --- the whole -----------------------------------------------------------------------

    def migrate(self) -> None:
        with self.log_file("migrate").open("ab") as out:
            done = subprocess.run(
                [self.python, "-m", "tasklane.cli", "migrate"],
                env=self.process_env("migrate", "migrate"),
                cwd=self.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            raise TopologyError(f"migrations failed: see {self.log_file('migrate')}")

    def start(self) -> None:
        """In compose's order: databases and Redis, the migrations, then nginx, the auth
        replicas, and the other services and the worker (each group started, then waited
        for). A failure stops what started."""
        try:
            self.save()
            self._secrets()
            pair = mariadb_pair.start(self.pair_dir, 0, 0)
            self.database_url = pair["primary"]["url"]
            self.replica_url = pair["replica"]["url"]
            self.start_redis()
            self.migrate()
            self.start_nginx()
            # The auth replicas first: the others fetch the key set from "auth:8000" (through
            # nginx) as they start, and would refuse every token for a few seconds without it.
            for group in (self.of("auth"), [p for p in self.processes if p.service != "auth"]):
                for process in group:
                    self.start_process(process)
                for process in group:
                    self.wait_ready(process)
        except BaseException:
            self.stop()
            raise

    def restart(self, *, echo: bool = False) -> None:
        """Rolling restart: every process in turn, the next once this one is ready and back
        in nginx's rotation."""
        for number, process in enumerate(self.processes):
            began = time.monotonic()
            self.stop_process(process)
            stopped = time.monotonic()
            self.start_process(process)
            self.wait_ready(process)
            ready = time.monotonic()
            if any(p.service == process.service for p in self.processes[number + 1 :]):
                self.wait_routed(process)  # before its sibling goes
            if echo:
                print(
                    f"{process.name}: stopped in {stopped - began:.1f} s, ready "
                    f"{ready - stopped:.1f} s later, back in rotation after "
                    f"{time.monotonic() - ready:.1f} s",
                    flush=True,
                )

    def stop(self) -> None:
        """Everything, in the reverse order of the start; a group left is killed."""
        if self._ours(self.nginx_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.nginx_pid, signal.SIGQUIT)
        for process in self.processes:
            if self._ours(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(
                        process.pid,
                        signal.SIGTERM if process.service == "worker" else signal.SIGINT,
                    )
        groups = [p.pid for p in self.processes if self._ours(p.pid)]
        if self._ours(self.nginx_pid):
            groups.append(self.nginx_pid)
        for pgid in wait_groups_empty(groups, self._grace_seconds() + 5):
            kill_group(pgid)
        if self._ours(self.redis_pid):
            kill_group(self.redis_pid, signal.SIGTERM)
            for pgid in wait_groups_empty([self.redis_pid], 10):
                kill_group(pgid)
        wait_groups_empty([*groups, self.redis_pid], 5)
        for pid in [*groups, self.redis_pid]:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        for process in self.processes:
            process.pid = 0
        self.nginx_pid = self.redis_pid = 0
        self.leaders = {}
        mariadb_pair.stop(self.pair_dir, keep=False)
        if self.state_file.exists():
            self.save()

    def listening(self) -> dict[str, list[str]]:
        """Every TCP address a process of the topology listens on (from /proc), by process."""
        state = mariadb_pair._load_state(self.pair_dir) or {}
        owners: dict[int, str] = {p.pid: p.name for p in self.processes if p.pid}
        owners.update({self.nginx_pid: "nginx", self.redis_pid: "redis"})
        owners.update({state[n]["pid"]: f"mariadb-{n}" for n in mariadb_pair.SERVERS if state})
        return sockets_of({pid: name for pid, name in owners.items() if pid})

    def status(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "https": self.https_url,
            "processes": {
                p.name: {"pid": p.pid, "port": p.port, "running": self._ours(p.pid)}
                for p in self.processes
            },
            "nginx": {"pid": self.nginx_pid, "running": self._ours(self.nginx_pid)},
            "redis": {"pid": self.redis_pid, "running": self._ours(self.redis_pid)},
        }
        if mariadb_pair._load_state(self.pair_dir):
            state = mariadb_pair._require_state(self.pair_dir)
            report["mariadb"] = mariadb_pair.status(state)
        report["listening"] = self.listening()
        return report


def _address(hex_address: str) -> str:
    host, port = hex_address.rsplit(":", 1)
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return f"{socket.inet_ntop(socket.AF_INET, raw[::-1])}:{int(port, 16)}"
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return f"[{socket.inet_ntop(socket.AF_INET6, words)}]:{int(port, 16)}"


def sockets_of(owners: dict[int, str]) -> dict[str, list[str]]:
    """The listening TCP sockets of these processes and of every process in their groups."""
    listening: dict[str, str] = {}  # socket inode -> address
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # LISTEN
                    listening[f"socket:[{fields[9]}]"] = _address(fields[1])
    found: dict[str, set[str]] = {name: set() for name in owners.values()}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = owners.get(int(entry.name)) or owners.get(int(stat[2]))
            if name is None:
                continue
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    address = listening.get(os.readlink(fd))
                    if address:
                        found[name].add(address)
    return {name: sorted(addresses) for name, addresses in found.items()}


def _replicas(text: str) -> dict[str, int]:
    counts = {}
    for part in filter(None, text.split(",")):
        service, _, count = part.partition("=")
        if service not in SERVICES or not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"expected service=count, services {SERVICES}")
        counts[service] = int(count)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "restart", "run"])
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "topology")
    parser.add_argument("--replicas", type=_replicas, default={}, help="e.g. tasks=3,auth=1")
    parser.add_argument("--workers", type=int, default=1, help="server workers per replica")
    args = parser.parse_args(argv)
    root: Path = args.dir.resolve()
    try:
        if args.command in ("start", "run"):
            topology = Topology.create(root, replicas=args.replicas, workers=args.workers)
            topology.start()
            print(
                f"Tasklane (split topology) on {topology.https_url} (certificate {topology.cert})"
            )
            if args.command == "run":
                stopping: list[int] = []
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, lambda s, _f: stopping.append(s))
                while not stopping:
                    time.sleep(0.2)
                topology.stop()
            return 0
        if not (root / "topology.json").exists():
            if args.command == "stop":
                return 0
            raise TopologyError(f"no topology in {root}: run 'start' first")
        topology = Topology.load(root)
        if args.command == "stop":
            topology.stop()
        elif args.command == "restart":
            topology.restart(echo=True)
        else:
            print(json.dumps(topology.status(), indent=2))
    except ClusterError as error:
        print(f"topology: {error}", file=sys.stderr)
        return 1
    except MariaDBError as error:
        print(f"topology: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
