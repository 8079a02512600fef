"""A private ``mariadbd`` on 127.0.0.1: the one helper behind the benchmark's server
(bench/mariadb.py) and the replica pair (scripts/mariadb_pair.py), and the tests that use them.

A server lives in one directory: ``my.cnf``, ``data/``, its unix socket, pid file and logs.
Only a process whose command line names that ``my.cnf`` is ever signalled, and the machine's
own MariaDB (port 3306) is never used. Python standard library only.

    server = PrivateServer(Path("var/x"), port=free_port())
    server.configure("innodb_buffer_pool_size=32M")
    server.install()
    server.spawn()
    server.wait_ready()
    server.sql("SELECT 1")
    server.stop()
"""

# Fixed commands only: the MariaDB programs, with arguments made here.
# ruff: noqa: S603

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

HOST = "127.0.0.1"
SYSTEM_PORT = 3306
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


class MariaDBError(Exception):
    pass


def binary(name: str) -> str:
    """The path of a MariaDB program (mariadbd, mariadb-install-db, mariadb)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")
    if found is None:
        raise MariaDBError(
            f"{name} not found: install the MariaDB server binaries "
            "(Debian/Ubuntu: apt-get install mariadb-server)"
        )
    return found


def free_port(taken: frozenset[int] | set[int] = frozenset()) -> int:
    """A free TCP port on 127.0.0.1, never 3306 (the machine's own MariaDB) nor one of
    ``taken``."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port != SYSTEM_PORT and port not in taken:
            return port
    raise MariaDBError("no free port")


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def process_is(pid: int | None, marker: str) -> bool:
    """Whether ``pid`` is alive (not a zombie) and ``marker`` is one of its arguments: the
    only processes ever signalled here."""
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


class PrivateServer:
    """One ``mariadbd`` with its own directory, port and socket; ``pid`` once spawned."""

    def __init__(
        self, directory: Path, *, port: int = 0, pid: int | None = None, name: str = "mariadbd"
    ) -> None:
        self.dir = directory.resolve()
        self.port = port
        self.pid = pid
        self.name = name

    @property
    def config(self) -> Path:
        return self.dir / "my.cnf"

    @property
    def datadir(self) -> Path:
        return self.dir / "data"

    @property
    def socket(self) -> Path:
        return self.dir / "mariadb.sock"

    @property
    def marker(self) -> str:
        return f"--defaults-file={self.config}"

    def url_for(self, database: str, user: str, password: str) -> str:
        return f"mysql+asyncmy://{user}:{password}@{HOST}:{self.port}/{database}"

    def configure(self, *settings: str) -> None:
        """Write ``my.cnf``: where the server keeps its files and listens (127.0.0.1 only),
        utf8mb4, commits that reach the disk once a second, then ``settings``."""
        lines = [
            "[mariadbd]",
            f"datadir={self.datadir}",
            f"port={self.port}",
            f"bind_address={HOST}",
            f"socket={self.socket}",
            f"pid_file={self.dir / 'mariadb.pid'}",
            f"log_error={self.dir / 'error.log'}",
            "skip_name_resolve",
            "character_set_server=utf8mb4",
            "collation_server=utf8mb4_unicode_ci",
            # Throw-away servers: what is measured or tested is the application, not this
            # machine's fsync latency.
            "innodb_flush_log_at_trx_commit=2",
            "performance_schema=OFF",
            *settings,
        ]
        self.config.write_text("\n".join(lines) + "\n")

    def install(self, *options: str) -> None:
        """``mariadb-install-db`` into ``data/`` (root over the socket, no test database)."""
        command = [
            binary("mariadb-install-db"),
            "--no-defaults",
            f"--datadir={self.datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            *options,
        ]
        if os.geteuid() == 0:
            command.append("--user=root")
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise MariaDBError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")

    def spawn(self) -> int:
        """Start ``mariadbd`` in its own session (a ^C at the terminal does not reach it: its
        owner stops it); its pid."""
        command = [binary("mariadbd"), self.marker]
        if os.geteuid() == 0:
            command.append("--user=root")
        with (self.dir / "console.log").open("ab") as out:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = process.pid
        return self.pid

    def alive(self) -> bool:
        return process_is(self.pid, self.marker)

    def sql(
        self, statement: str, timeout: float = 120.0, *, raw: bool = False, names: bool = False
    ) -> str:
        """Run ``statement`` as root over the socket; the client's tab-separated output."""
        result = subprocess.run(
            [
                binary("mariadb"),
                "--no-defaults",
                "--protocol=socket",
                f"--socket={self.socket}",
                "--user=root",
                "--batch",
                "--column-names" if names else "--skip-column-names",
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
            raise MariaDBError(f"{self.name}: {statement!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise MariaDBError(f"{self.name} exited during start-up:\n{self.log_tail()}")
            if self.socket.exists():
                with contextlib.suppress(MariaDBError, subprocess.TimeoutExpired):
                    self.sql("SELECT 1", timeout=5)
                    return
            time.sleep(0.1)
        raise MariaDBError(f"{self.name} did not answer on {self.socket} within {timeout:.0f} s")

    def create_database(self, database: str, user: str, password: str) -> None:
        """A utf8mb4 database and a user (on 127.0.0.1) with every privilege on it."""
        self.sql(
            f"CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            f"CREATE USER IF NOT EXISTS '{user}'@'{HOST}' IDENTIFIED BY '{password}';"
            f"GRANT ALL PRIVILEGES ON {database}.* TO '{user}'@'{HOST}';"
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> None:
        """Signal the server and wait until it is gone (SIGKILL after ``timeout``)."""
        pid = self.pid
        if pid is None or not process_is(pid, self.marker):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while process_is(pid, self.marker):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.05)

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("error.log", "console.log"):
            path = self.dir / name
            if path.exists():
                text += "".join(path.read_text(errors="replace").splitlines(True)[-lines:])
        return text
