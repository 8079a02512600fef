#!/usr/bin/env python3
"""A MariaDB primary and a replica of the project's own, on loopback, for replica routing.

Each server is a ``mariadbd`` process with its own data directory, port, socket, pid file and
error log under ``--dir`` (default ``var/mariadb-pair``). The primary writes a binary log with
GTIDs; the replica follows it with ``MASTER_USE_GTID=slave_pos`` as a dedicated replication
user, and is ``read_only``. Only the standard library is used, and only the servers started
here are ever signalled: the machine's own MariaDB (port 3306) is never touched.

    scripts/mariadb_pair.py start [--primary-port 3316] [--replica-port 3317]   # 0 = any free
    scripts/mariadb_pair.py delay 3        # MASTER_DELAY on the replica (0 to remove)
    scripts/mariadb_pair.py pause|resume   # stop / start the replica's SQL thread
    scripts/mariadb_pair.py sync           # wait until the replica has applied everything
    scripts/mariadb_pair.py kill replica   # SIGKILL one server (failure drills); revive restarts it
    scripts/mariadb_pair.py status|urls|stop

``start`` prints ``TASKLANE_DATABASE_URL=...`` and ``TASKLANE_DATABASE_REPLICA_URLS=...``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "mariadb-pair"
SYSTEM_PORT = 3306
HOST = "127.0.0.1"
DATABASE = "tasklane"
APP_USER, APP_PASSWORD = "tasklane", "tasklane"
REPL_USER, REPL_PASSWORD = "tasklane_repl", "tasklane_repl"
SERVERS = ("primary", "replica")
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes


class PairError(Exception):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")
    if found is None:
        raise PairError(
            f"{name} not found: install the MariaDB server binaries "
            "(Debian/Ubuntu: apt-get install mariadb-server)"
        )
    return found


# --- state ----------------------------------------------------------------------------------


def _state_path(base: Path) -> Path:
    return base / "pair.json"


def _load_state(base: Path) -> dict[str, Any] | None:
    path = _state_path(base)
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def _save_state(base: Path, state: dict[str, Any]) -> None:
    tmp = _state_path(base).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(_state_path(base))


def _require_state(base: Path) -> dict[str, Any]:
    state = _load_state(base)
    if state is None:
        raise PairError(f"no pair under {base}: run 'start' first")
    return state


def _url(port: int) -> str:
    return f"mysql+asyncmy://{APP_USER}:{APP_PASSWORD}@{HOST}:{port}/{DATABASE}"


# --- processes ------------------------------------------------------------------------------


def _ours(pid: int | None, defaults_file: str) -> bool:
    """Whether ``pid`` is a live (not zombie) mariadbd started with our defaults file: the only
    processes this script ever signals."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] in {"Z", "X"}:
        return False
    return f"--defaults-file={defaults_file}".encode() in cmdline


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _pick_port(requested: int, taken: set[int]) -> int:
    if requested == SYSTEM_PORT:
        raise PairError("port 3306 belongs to the machine's own MariaDB; pick another")
    if requested:
        if requested in taken or not _port_free(requested):
            raise PairError(f"port {requested} on {HOST} is in use")
        return requested
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port not in taken and port != SYSTEM_PORT:
            return port
    raise PairError("no free port found")


def _config(name: str, server_dir: Path, port: int, server_id: int) -> str:
    lines = [
        "[mariadbd]",
        f"datadir={server_dir / 'data'}",
        f"port={port}",
        f"bind_address={HOST}",
        f"socket={server_dir / 'mariadb.sock'}",
        f"pid_file={server_dir / 'mariadb.pid'}",
        f"log_error={server_dir / 'error.log'}",
        f"server_id={server_id}",
        "skip_name_resolve",
        "character_set_server=utf8mb4",
        "collation_server=utf8mb4_unicode_ci",
        "max_connections=200",
        # Throwaway servers: small, and no fsync per commit.
        "innodb_buffer_pool_size=32M",
        "innodb_log_file_size=8M",
        "innodb_flush_log_at_trx_commit=2",
        "performance_schema=OFF",
        "gtid_strict_mode=1",
    ]
    if name == "primary":
        lines += ["log_bin=mariadb-bin", "binlog_format=ROW", "sync_binlog=0"]
    else:
        lines += ["read_only=1", "relay_log=relay-bin", "slave_net_timeout=10"]
    return "\n".join(lines) + "\n"


def _spawn(server: dict[str, Any]) -> int:
    args = [_binary("mariadbd"), f"--defaults-file={server['config']}"]
    if os.geteuid() == 0:
        args.append("--user=root")
    console = Path(server["dir"]) / "console.log"
    with console.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this script; never gets the terminal's ^C
        )
    return process.pid


def _sql(
    server: dict[str, Any], statement: str, timeout: float = 60.0, *, names: bool = False
) -> str:
    result = subprocess.run(  # noqa: S603
        [
            _binary("mariadb"),
            "--no-defaults",
            "--protocol=socket",
            f"--socket={server['socket']}",
            "--user=root",
            "--batch",
            "--column-names" if names else "--skip-column-names",
            "--execute",
            statement,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise PairError(f"{server['name']}: {statement!r} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def _wait_ready(server: dict[str, Any], timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    sock = Path(server["socket"])
    while time.monotonic() < deadline:
        if not _ours(server["pid"], server["config"]):
            raise PairError(f"{server['name']} mariadbd exited during start-up")
        if sock.exists():
            with contextlib.suppress(PairError, subprocess.TimeoutExpired):
                _sql(server, "SELECT 1", timeout=5)
                return
        time.sleep(0.1)
    raise PairError(f"{server['name']} did not answer on {sock} within {timeout:.0f} s")


def _terminate(server: dict[str, Any], sig: int = signal.SIGTERM) -> None:
    pid = server.get("pid")
    if not _ours(pid, server["config"]):
        return
    assert pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _ours(pid, server["config"]):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
        time.sleep(0.05)


def _error_tail(server: dict[str, Any], lines: int = 15) -> str:
    text = ""
    for name in ("error.log", "console.log"):
        path = Path(server["dir"]) / name
        if path.exists():
            text += "".join(path.read_text(errors="replace").splitlines(True)[-lines:])
    return text


# --- replication ----------------------------------------------------------------------------


def _sync(state: dict[str, Any], timeout: float) -> None:
    position = _sql(state["primary"], "SELECT @@GLOBAL.gtid_binlog_pos")
    if not position:
        return
    answer = _sql(
        state["replica"],
        f"SELECT MASTER_GTID_WAIT('{position}', {timeout})",
        timeout=timeout + 10,
    )
    if answer != "0":
        raise PairError(f"the replica did not reach {position} within {timeout:.0f} s")


def _replica_change(state: dict[str, Any], clause: str) -> None:
    _sql(state["replica"], f"STOP SLAVE; CHANGE MASTER TO {clause}; START SLAVE")


# --- commands -------------------------------------------------------------------------------


def start(base: Path, primary_port: int, replica_port: int) -> dict[str, Any]:
    mariadbd, install_db = _binary("mariadbd"), _binary("mariadb-install-db")
    _binary("mariadb")
    previous = _load_state(base)
    if previous and any(_ours(previous[n].get("pid"), previous[n]["config"]) for n in SERVERS):
        raise PairError(f"a pair is already running under {base}: run 'stop' first")
    base = base.resolve()
    if base.exists() and any(base.iterdir()) and previous is None:
        # Never delete a directory this script did not make.
        raise PairError(f"{base} is not empty and holds no pair: pick another --dir")
    primary_at = _pick_port(primary_port, set())
    replica_at = _pick_port(replica_port, {primary_at})
    for name in SERVERS:
        sock = base / name / "mariadb.sock"
        if len(str(sock)) > SOCKET_PATH_MAX:
            raise PairError(f"socket path too long for a unix socket: {sock}")
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    state: dict[str, Any] = {"dir": str(base), "mariadbd": mariadbd}
    for server_id, (name, port) in enumerate(
        zip(SERVERS, (primary_at, replica_at), strict=True), start=1
    ):
        server_dir = base / name
        server_dir.mkdir()
        config = server_dir / "my.cnf"
        config.write_text(_config(name, server_dir, port, server_id))
        state[name] = {
            "name": name,
            "dir": str(server_dir),
            "config": str(config),
            "socket": str(server_dir / "mariadb.sock"),
            "port": port,
            "pid": None,
            "url": _url(port),
        }
    _save_state(base, state)
    try:
        install = [
            install_db,
            "--no-defaults",
            f"--datadir={base / 'primary' / 'data'}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
            "--innodb-log-file-size=8M",
            "--innodb-buffer-pool-size=16M",
        ]
        if os.geteuid() == 0:
            install.append("--user=root")
        result = subprocess.run(install, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise PairError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")
        # The bootstrap is not binary-logged, so the replica starts as an exact copy.
        shutil.copytree(base / "primary" / "data", base / "replica" / "data")
        for name in SERVERS:
            state[name]["pid"] = _spawn(state[name])
            _save_state(base, state)
        for name in SERVERS:
            _wait_ready(state[name])
        primary, replica = state["primary"], state["replica"]
        _sql(
            primary,
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            f"CREATE USER '{APP_USER}'@'{HOST}' IDENTIFIED BY '{APP_PASSWORD}';"
            f"GRANT ALL PRIVILEGES ON {DATABASE}.* TO '{APP_USER}'@'{HOST}';"
            f"CREATE USER '{REPL_USER}'@'{HOST}' IDENTIFIED BY '{REPL_PASSWORD}';"
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'{HOST}';",
        )
        _sql(
            replica,
            f"CHANGE MASTER TO MASTER_HOST='{HOST}', MASTER_PORT={primary['port']}, "
            f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{REPL_PASSWORD}', "
            "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE",
        )
        _sync(state, timeout=30)
    except BaseException as error:
        for name in SERVERS:
            if isinstance(error, PairError) and state[name]["pid"]:
                print(f"--- {name} log:\n{_error_tail(state[name])}", file=sys.stderr)
            _terminate(state[name], signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)
        raise
    return state


def stop(base: Path, keep: bool) -> None:
    state = _load_state(base)
    if state is None:
        return
    for name in SERVERS:
        _terminate(state[name])
    if not keep:
        shutil.rmtree(base)


def revive(state: dict[str, Any]) -> None:
    for name in SERVERS:
        server = state[name]
        if not _ours(server["pid"], server["config"]):
            Path(server["socket"]).unlink(missing_ok=True)
            server["pid"] = _spawn(server)
            _save_state(Path(state["dir"]), state)
            _wait_ready(server)


def status(state: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name in SERVERS:
        server = state[name]
        alive = _ours(server["pid"], server["config"])
        report[name] = {"pid": server["pid"], "port": server["port"], "running": alive}
    replica = state["replica"]
    if report["replica"]["running"]:
        rows = _sql(replica, "SHOW SLAVE STATUS\\G", names=True).splitlines()
        fields = {}
        for line in rows:
            key, colon, value = line.strip().partition(":")
            if colon:
                fields[key] = value.strip() or None
        for key in (
            "Slave_IO_Running",
            "Slave_SQL_Running",
            "SQL_Delay",
            "Seconds_Behind_Master",
            "Gtid_IO_Pos",
            "Last_Error",
        ):
            report["replica"][key] = fields.get(key)
    return report


def _print_urls(state: dict[str, Any]) -> None:
    print(f"TASKLANE_DATABASE_URL={state['primary']['url']}")
    print(f"TASKLANE_DATABASE_REPLICA_URLS={state['replica']['url']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where the pair lives")
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start", help="initialise and start both servers")
    start_cmd.add_argument("--primary-port", type=int, default=3316, help="0: any free port")
    start_cmd.add_argument("--replica-port", type=int, default=3317, help="0: any free port")
    stop_cmd = commands.add_parser("stop", help="stop both servers and remove their data")
    stop_cmd.add_argument("--keep", action="store_true", help="keep the data directories")
    delay_cmd = commands.add_parser("delay", help="set MASTER_DELAY (seconds) on the replica")
    delay_cmd.add_argument("seconds", type=int)
    commands.add_parser("pause", help="stop applying changes on the replica")
    commands.add_parser("resume", help="apply changes again")
    sync_cmd = commands.add_parser("sync", help="wait until the replica caught up")
    sync_cmd.add_argument("--timeout", type=float, default=30.0)
    kill_cmd = commands.add_parser("kill", help="SIGKILL one server")
    kill_cmd.add_argument("server", choices=SERVERS)
    commands.add_parser("revive", help="restart whichever server is not running")
    commands.add_parser("status", help="processes and replication state, as JSON")
    commands.add_parser("urls", help="print the two URLs")
    args = parser.parse_args(argv)
    base: Path = args.dir.resolve()
    try:
        if args.command == "start":
            _print_urls(start(base, args.primary_port, args.replica_port))
        elif args.command == "stop":
            stop(base, args.keep)
        else:
            state = _require_state(base)
            if args.command == "delay":
                if args.seconds < 0:
                    raise PairError("the delay is a number of seconds >= 0")
                _replica_change(state, f"MASTER_DELAY={args.seconds}")
            elif args.command == "pause":
                _sql(state["replica"], "STOP SLAVE SQL_THREAD")
            elif args.command == "resume":
                _sql(state["replica"], "START SLAVE SQL_THREAD")
            elif args.command == "sync":
                _sync(state, args.timeout)
            elif args.command == "kill":
                _terminate(state[args.server], signal.SIGKILL)
            elif args.command == "revive":
                revive(state)
            elif args.command == "status":
                print(json.dumps(status(state), indent=2))
            else:
                _print_urls(state)
    except PairError as error:
        print(f"mariadb_pair: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
