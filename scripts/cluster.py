#!/usr/bin/env python3
"""A single-machine Tasklane cluster: N API instances and nginx in front, all on loopback.

    .venv/bin/python scripts/cluster.py start [--instances 3] [--workers 1]
    .venv/bin/python scripts/cluster.py status
    .venv/bin/python scripts/cluster.py stop
    .venv/bin/python scripts/cluster.py run     # start, wait for Ctrl+C, stop

``start`` runs the migrations once, starts each instance (``tasklane serve --no-migrate``) on a
free 127.0.0.1 port, renders deploy/nginx/tasklane.conf.template into a runtime directory with
a self-signed certificate made for the occasion (openssl), checks it (``nginx -t``) and starts
nginx in the foreground mode (``daemon off``, its own prefix, pid file and logs: never the
system's). Everything lives under ``--dir`` (default ``var/cluster``): ``cluster.json`` (ports
and process ids), ``logs/``, ``nginx/``, ``tls/``. ``stop`` sends SIGTERM to each instance's
supervisor (the graceful stop: drain, then in-flight requests finish) and SIGQUIT to nginx
(it finishes its requests), and kills whatever is left after the timeouts.

Settings reach the instances through the environment (``TASKLANE_*``). Unless set, the
database is a SQLite file in ``--dir`` shared by the instances (WAL), and a signing key is made
once and shared, so a token issued by one instance is accepted by all.

Python standard library only; importable (``Cluster``) for the tests.
"""

# Fixed commands (nginx, openssl, this project's CLI) and loopback URLs only.
# ruff: noqa: S603, S310

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NGINX_DIR = ROOT / "deploy" / "nginx"
LOOPBACK = "127.0.0.1"


class ClusterError(RuntimeError):
    pass


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


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not alive.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def wait_gone(pids: list[int], timeout: float) -> list[int]:
    """Wait until none of these processes is alive; return those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [pid for pid in left if alive(pid)]
        if left:
            time.sleep(0.05)
    return [pid for pid in left if alive(pid)]


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


@dataclass
class Instance:
    index: int
    port: int
    pid: int = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


@dataclass
class Cluster:
    """The cluster's processes and files under ``root``."""

    root: Path
    instances: list[Instance] = field(default_factory=list)
    workers: int = 1
    http_port: int = 0
    https_port: int = 0
    nginx_pid: int = 0
    web_dist: str = ""
    env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    _children: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)

    # --- state ---------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def https_url(self) -> str:
        return f"https://{LOOPBACK}:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def cert(self) -> Path:
        return self.root / "tls" / "cert.pem"

    def save(self) -> None:
        state = {
            "instances": [vars(i) for i in self.instances],
            "workers": self.workers,
            "http_port": self.http_port,
            "https_port": self.https_port,
            "nginx_pid": self.nginx_pid,
            "web_dist": self.web_dist,
            "env": self.env,
            "python": self.python,
        }
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")
        self.state_file.chmod(0o600)  # holds the signing key

    @classmethod
    def load(cls, root: Path) -> Cluster:
        path = root / "cluster.json"
        if not path.exists():
            raise ClusterError(f"no cluster state in {root}")
        state: dict[str, Any] = json.loads(path.read_text())
        return cls(
            root=root,
            instances=[Instance(**i) for i in state["instances"]],
            workers=state["workers"],
            http_port=state["http_port"],
            https_port=state["https_port"],
            nginx_pid=state["nginx_pid"],
            web_dist=state["web_dist"],
            env=state["env"],
            python=state["python"],
        )

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
    ) -> Cluster:
        """A new cluster's layout (nothing started yet)."""
        root = root.resolve()
        if (root / "cluster.json").exists():
            old = cls.load(root)
            if any(alive(pid) for pid in old.pids()):
                raise ClusterError(f"a cluster is already running from {root}: stop it first")
        for sub in ("logs", "tls", "nginx/conf", "nginx/logs", "nginx/tmp"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        settings_env = {k: v for k, v in os.environ.items() if k.startswith("TASKLANE_")}
        settings_env.update(env or {})
        settings_env.setdefault("TASKLANE_VAR_DIR", str(root / "var"))
        settings_env.setdefault(
            "TASKLANE_DATABASE_URL", f"sqlite+aiosqlite:///{root / 'tasklane.db'}"
        )
        if web_dist is None and (ROOT / "web" / "dist" / "index.html").is_file():
            web_dist = ROOT / "web" / "dist"
        cluster = cls(
            root=root,
            instances=[Instance(i, free_port()) for i in range(instances)],
            workers=workers,
            http_port=http_port or free_port(),
            https_port=https_port or free_port(),
            web_dist=str(web_dist.resolve()) if web_dist else "",
            env=settings_env,
            python=python,
        )
        if "TASKLANE_JWT_PRIVATE_KEY" not in cluster.env:
            # One signing key for all instances (each would otherwise make its own).
            cluster.env["TASKLANE_JWT_PRIVATE_KEY"] = cluster._openssl(
                "genpkey", "-algorithm", "ed25519"
            )
        return cluster

    def _openssl(self, *args: str) -> str:
        openssl = require("openssl", "openssl")
        done = subprocess.run([openssl, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ClusterError(f"openssl {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def make_certificate(self) -> None:
        """A self-signed certificate for localhost and 127.0.0.1 (P-256, 7 days)."""
        key = self.root / "tls" / "key.pem"
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
        paths = [str(ROOT / "src"), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        return env

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

    # --- instances -----------------------------------------------------------------------

    def start_instance(self, index: int, *, wait: bool = True) -> Instance:
        instance = self.instances[index]
        if instance.pid and alive(instance.pid):
            raise ClusterError(f"instance {index} is running already (pid {instance.pid})")
        log = (self.root / "logs" / f"instance-{index}.log").open("ab")
        command = [
            self.python, "-m", "tasklane.cli", "serve", "--no-migrate", "--host", LOOPBACK,
            "--port", str(instance.port), "--workers", str(self.workers),
        ]  # fmt: skip
        proc = subprocess.Popen(
            command,
            env=self.process_env(),
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a kill reaches its workers
        )
        log.close()
        self._children[proc.pid] = proc
        instance.pid = proc.pid
        self.save()
        if wait:
            self.wait_ready(index)
        return instance

    def wait_ready(self, index: int, timeout: float = 60.0) -> None:
        instance = self.instances[index]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(instance.pid):
                raise ClusterError(
                    f"instance {index} exited: see {self.root / 'logs' / f'instance-{index}.log'}"
                )
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
            if not self._group_alive(pid):
                return True
            time.sleep(0.05)
        return False

    def _group_alive(self, pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # Only zombies left?
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[2]) == pgid and fields[0] != "Z":
                        return True
        return False

    # --- nginx ---------------------------------------------------------------------------

    def nginx_config(self) -> Path:
        runtime = self.root / "nginx"
        conf_dir = runtime / "conf"
        upstreams = "\n".join(
            f"        server {LOOPBACK}:{i.port} max_fails=2 fail_timeout=5s;"
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
        log = (self.root / "logs" / "nginx.log").open("ab")
        proc = subprocess.Popen(
            self._nginx_command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self._children[proc.pid] = proc
        self.nginx_pid = proc.pid
        self.save()
        context = ssl.create_default_context(cafile=str(self.cert))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ClusterError(f"nginx exited: see {self.root / 'nginx/logs/error.log'}")
            try:
                with (
                    socket.create_connection((LOOPBACK, self.https_port), timeout=1) as raw,
                    context.wrap_socket(raw, server_hostname="localhost"),
                ):
                    return
            except OSError:
                time.sleep(0.05)
        raise ClusterError("nginx did not start listening")

    # --- whole cluster -------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.make_certificate()
            self.save()
            self.migrate()
            for instance in self.instances:
                self.start_instance(instance.index, wait=False)
            for instance in self.instances:
                self.wait_ready(instance.index)
            self.start_nginx()
        except BaseException:
            self.stop(quiet=True)
            raise

    def pids(self) -> list[int]:
        return [pid for pid in [self.nginx_pid, *(i.pid for i in self.instances)] if pid]

    def stop(self, *, timeout: float | None = None, quiet: bool = False) -> list[int]:
        """Graceful: SIGTERM to each instance (all at once), SIGQUIT to nginx; then SIGKILL
        for whatever is still there after ``timeout`` (default: drain + grace + 5 s).
        Returns the process groups that had to be killed (none after a clean stop)."""
        if timeout is None:
            drain = float(self.env.get("TASKLANE_SHUTDOWN_DRAIN_SECONDS", 5))
            grace = float(self.env.get("TASKLANE_SHUTDOWN_GRACE_SECONDS", 30))
            timeout = drain + grace + 5
        groups = [pid for pid in self.pids() if alive(pid)]
        for instance in self.instances:
            if instance.pid and alive(instance.pid):
                self.signal_instance(instance.index, signal.SIGTERM)
        if self.nginx_pid and alive(self.nginx_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.nginx_pid, signal.SIGQUIT)
        deadline = time.monotonic() + timeout
        for pid in groups:
            proc = self._children.get(pid)
            if proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(max(0.0, deadline - time.monotonic()))
        left = wait_gone(groups, max(0.0, deadline - time.monotonic()))
        # A group outlives its leader by a moment (e.g. multiprocessing's resource tracker
        # exits once the supervisor has): wait for the groups, not only their leaders.
        while any(self._group_alive(pgid) for pgid in groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        killed = []
        for pgid in groups:
            # Stragglers, and workers orphaned by a supervisor that did not stop them.
            if self._group_alive(pgid):
                killed.append(pgid)
                if not quiet:
                    print(f"killing process group {pgid} (did not stop in time)", file=sys.stderr)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
        for proc in self._children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        wait_gone(left, 5)
        self.nginx_pid = 0
        for instance in self.instances:
            instance.pid = 0
        if self.state_file.exists():
            self.save()
        return killed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cluster.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "run"])
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "cluster")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per instance")
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--https-port", type=int, default=8443)
    parser.add_argument("--web-dist", type=Path, default=None, help="default: web/dist if built")
    args = parser.parse_args(argv)

    try:
        if args.command in ("start", "run"):
            cluster = Cluster.create(
                args.dir,
                instances=args.instances,
                workers=args.workers,
                http_port=args.http_port,
                https_port=args.https_port,
                web_dist=args.web_dist,
            )
            cluster.start()
            print(f"cluster up: {cluster.https_url}/ (self-signed: {cluster.cert})")
            print(f"  {cluster.http_url}/ redirects to HTTPS")
            for instance in cluster.instances:
                print(f"  instance {instance.index}: {instance.url} (pid {instance.pid})")
            print(f"  nginx pid {cluster.nginx_pid}; logs in {cluster.root / 'logs'}")
            if args.command == "start":
                print(f"stop with: {sys.executable} {Path(__file__)} stop --dir {args.dir}")
                return 0
            stop_now: list[int] = []
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda s, _f: stop_now.append(s))
            while not stop_now:
                time.sleep(0.2)
            print("stopping the cluster")
            cluster.stop()
        elif args.command == "stop":
            cluster = Cluster.load(args.dir.resolve())
            cluster.stop()
            print("cluster stopped")
        else:
            cluster = Cluster.load(args.dir.resolve())
            for instance in cluster.instances:
                state = "running" if instance.pid and alive(instance.pid) else "stopped"
                print(f"instance {instance.index}: {instance.url} {state}")
            state = "running" if cluster.nginx_pid and alive(cluster.nginx_pid) else "stopped"
            print(f"nginx: {cluster.https_url} {state}")
    except ClusterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
