"""A private ``mariadbd`` for the benchmark: its own data directory, port and socket on
127.0.0.1, and a buffer pool large enough to hold the data set (as production would size it).

Only the process started here is ever signalled (checked by its command line), and the
machine's own MariaDB on port 3306 is never used. The data directory is removed on stop.

    with PrivateMariaDB(Path("var/bench/mariadb"), buffer_pool="1G") as db:
        print(db.url)   # mysql+asyncmy://tasklane:tasklane@127.0.0.1:PORT/tasklane
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"
SYSTEM_PORT = 3306
DATABASE = "tasklane"
USER = PASSWORD = "tasklane"  # noqa: S105 - a throw-away server on loopback
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


class MariaDBError(Exception):
    pass


def binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")
    if found is None:
        raise MariaDBError(f"{name} not found: apt-get install -y mariadb-server")
    return found


def free_port() -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port != SYSTEM_PORT:
            return port
    raise MariaDBError("no free port")


def process_is(pid: int | None, marker: str) -> bool:
    """Whether ``pid`` is alive (not a zombie) and ``marker`` is one of its arguments: the
    only processes this harness ever signals."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] in {"Z", "X"}:
        return False
    return marker.encode() in cmdline


class PrivateMariaDB:
    def __init__(self, base: Path, *, buffer_pool: str = "1G", port: int = 0) -> None:
        self.base = base.resolve()
        self.buffer_pool = buffer_pool
        self.port = port
        self.pid: int | None = None
        self.config = self.base / "my.cnf"
        self.socket = self.base / "mariadb.sock"

    @property
    def marker(self) -> str:
        return f"--defaults-file={self.config}"

    @property
    def url(self) -> str:
        return self.url_of(DATABASE)

    def url_of(self, database: str) -> str:
        return f"mysql+asyncmy://{USER}:{PASSWORD}@{HOST}:{self.port}/{database}"

    def add_database(self, database: str) -> str:
        """One more database beside the first, for the same user; its URL."""
        self.sql(
            f"CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            f"GRANT ALL PRIVILEGES ON {database}.* TO '{USER}'@'{HOST}';"
        )
        return self.url_of(database)

    def _config_text(self) -> str:
        return "\n".join(
            [
                "[mariadbd]",
                f"datadir={self.base / 'data'}",
                f"port={self.port}",
                f"bind_address={HOST}",
                f"socket={self.socket}",
                f"pid_file={self.base / 'mariadb.pid'}",
                f"log_error={self.base / 'error.log'}",
                "skip_name_resolve",
                "skip_log_bin",
                "character_set_server=utf8mb4",
                "collation_server=utf8mb4_unicode_ci",
                "max_connections=500",
                # The whole data set stays in memory, as in production.
                f"innodb_buffer_pool_size={self.buffer_pool}",
                "innodb_log_file_size=512M",
                # Commits reach the OS at once and the disk every second: what is measured
                # is the application's cost, not this shared machine's fsync latency.
                "innodb_flush_log_at_trx_commit=2",
                "performance_schema=OFF",
                "",
            ]
        )

    def _kill_stale(self) -> None:
        """A previous run killed without its clean-up left a server behind: stop it."""
        state = self.base / "server.json"
        if not state.exists():
            return
        with contextlib.suppress(ValueError, OSError):
            pid = int(json.loads(state.read_text())["pid"])
            if process_is(pid, self.marker):
                self._signal_and_wait(pid)

    def start(self) -> PrivateMariaDB:
        mariadbd, install_db = binary("mariadbd"), binary("mariadb-install-db")
        binary("mariadb")
        self._kill_stale()
        if self.base.exists():
            shutil.rmtree(self.base)
        self.base.mkdir(parents=True)
        if self.port in (0, SYSTEM_PORT):
            self.port = free_port()
        self.config.write_text(self._config_text())
        install = [
            install_db,
            "--no-defaults",
            f"--datadir={self.base / 'data'}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ]
        if os.geteuid() == 0:
            install.append("--user=root")
        result = subprocess.run(install, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise MariaDBError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")
        args = [mariadbd, self.marker]
        if os.geteuid() == 0:
            args.append("--user=root")
        with (self.base / "console.log").open("ab") as out:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a ^C reaches the harness, which stops it
            )
        self.pid = process.pid
        (self.base / "server.json").write_text(json.dumps({"pid": self.pid}))
        self._wait_ready()
        self.sql(
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            f"CREATE USER '{USER}'@'{HOST}' IDENTIFIED BY '{PASSWORD}';"
            f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{USER}'@'{HOST}';"
        )
        return self

    def sql(self, statement: str, timeout: float = 120.0, *, raw: bool = False) -> str:
        result = subprocess.run(
            [
                binary("mariadb"),
                "--no-defaults",
                "--protocol=socket",
                f"--socket={self.socket}",
                "--user=root",
                "--batch",
                "--skip-column-names",
                *(["--raw"] if raw else []),
                "--execute",
                statement,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise MariaDBError(f"{statement!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if not process_is(self.pid, self.marker):
                raise MariaDBError(f"mariadbd exited during start-up:\n{self.log_tail()}")
            if self.socket.exists():
                with contextlib.suppress(MariaDBError, subprocess.TimeoutExpired):
                    self.sql("SELECT 1", timeout=5)
                    return
            time.sleep(0.1)
        raise MariaDBError(f"mariadbd did not answer within {STARTUP_TIMEOUT:.0f} s")

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("error.log", "console.log"):
            path = self.base / name
            if path.exists():
                text += "".join(path.read_text(errors="replace").splitlines(True)[-lines:])
        return text

    def _signal_and_wait(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while process_is(pid, self.marker):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.05)

    def stop(self, *, keep: bool = False) -> None:
        if self.pid is not None and process_is(self.pid, self.marker):
            self._signal_and_wait(self.pid)
        self.pid = None
        if not keep:
            shutil.rmtree(self.base, ignore_errors=True)

    def data_size_mb(self) -> dict[str, Any]:
        out = self.sql(
            "SELECT table_name, ROUND((data_length + index_length) / 1048576, 1) "
            f"FROM information_schema.tables WHERE table_schema = '{DATABASE}'"
        )
        sizes = {}
        for line in out.splitlines():
            name, size = line.split("\t")
            sizes[name] = float(size)
        return sizes

    def __enter__(self) -> PrivateMariaDB:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
