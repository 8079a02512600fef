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
    scripts/mariadb_pair.py freeze replica # SIGSTOP one server (hung, yet accepting TCP); thaw
    scripts/mariadb_pair.py status|urls|stop

``start`` prints ``TASKLANE_DATABASE_URL=...`` and ``TASKLANE_DATABASE_REPLICA_URLS=...``. The
app's user may read the replica's replication status (SLAVE MONITOR), as Tasklane's lag checks
need.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

if not __package__:
    # Run as a file (scripts/mariadb_pair.py start): the checkout's root makes the ``scripts``
    # package importable, as it is under ``python -m scripts.mariadb_pair``.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.private_mariadb import (
    HOST,
    SYSTEM_PORT,
    MariaDBError,
    PrivateServer,
    binary,
    free_port,
    port_free,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "mariadb-pair"
DATABASE = "tasklane"
APP_USER, APP_PASSWORD = "tasklane", "tasklane"
REPL_USER, REPL_PASSWORD = "tasklane_repl", "tasklane_repl"
SERVERS = ("primary", "replica")
STARTUP_TIMEOUT = 60.0
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes


class PairError(MariaDBError):
    pass


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


def _server(entry: dict[str, Any]) -> PrivateServer:
    """The server a state entry describes (its directory, port and pid)."""
    return PrivateServer(
        Path(entry["dir"]), port=entry["port"], pid=entry["pid"], name=entry["name"]
    )


def _sql(
    entry: dict[str, Any], statement: str, timeout: float = 60.0, *, names: bool = False
) -> str:
    return _server(entry).sql(statement, timeout, names=names)


def _pick_port(requested: int, taken: set[int]) -> int:
    if requested == SYSTEM_PORT:
        raise PairError("port 3306 belongs to the machine's own MariaDB; pick another")
    if requested:
        if requested in taken or not port_free(requested):
            raise PairError(f"port {requested} on {HOST} is in use")
        return requested
    return free_port(taken)


def _settings(name: str, server_id: int) -> list[str]:
    """Small throw-away servers with GTIDs; the primary writes a binary log, the replica is
    read-only."""
    lines = [
        f"server_id={server_id}",
        "max_connections=200",
        "innodb_buffer_pool_size=32M",
        "innodb_log_file_size=8M",
        "gtid_strict_mode=1",
    ]
    if name == "primary":
        return [*lines, "log_bin=mariadb-bin", "binlog_format=ROW", "sync_binlog=0"]
    return [*lines, "read_only=1", "relay_log=relay-bin", "slave_net_timeout=10"]


def _spawn(entry: dict[str, Any], base: Path, state: dict[str, Any]) -> PrivateServer:
    """Start one server and record its pid at once (a later failure must still find it)."""
    server = _server(entry)
    entry["pid"] = server.spawn()
    _save_state(base, state)
    return server


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
    mariadbd = binary("mariadbd")
    binary("mariadb-install-db")
    binary("mariadb")
    previous = _load_state(base)
    if previous and any(_server(previous[n]).alive() for n in SERVERS):
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
    servers: dict[str, PrivateServer] = {}
    for server_id, (name, port) in enumerate(
        zip(SERVERS, (primary_at, replica_at), strict=True), start=1
    ):
        server = servers[name] = PrivateServer(base / name, port=port, name=name)
        server.dir.mkdir()
        server.configure(*_settings(name, server_id))
        state[name] = {
            "name": name,
            "dir": str(server.dir),
            "config": str(server.config),
            "socket": str(server.socket),
            "port": port,
            "pid": None,
            "url": server.url_for(DATABASE, APP_USER, APP_PASSWORD),
        }
    _save_state(base, state)
    try:
        servers["primary"].install("--innodb-log-file-size=8M", "--innodb-buffer-pool-size=16M")
        # The bootstrap is not binary-logged, so the replica starts as an exact copy.
        shutil.copytree(servers["primary"].datadir, servers["replica"].datadir)
        for name in SERVERS:
            servers[name] = _spawn(state[name], base, state)
        for name in SERVERS:
            servers[name].wait_ready(STARTUP_TIMEOUT)
        primary, replica = servers["primary"], servers["replica"]
        primary.create_database(DATABASE, APP_USER, APP_PASSWORD)
        # Replicated like the rest: the replica's copy of the user may read its status.
        primary.sql(f"GRANT SLAVE MONITOR ON *.* TO '{APP_USER}'@'{HOST}'")
        primary.sql(
            f"CREATE USER '{REPL_USER}'@'{HOST}' IDENTIFIED BY '{REPL_PASSWORD}';"
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPL_USER}'@'{HOST}';",
        )
        replica.sql(
            f"CHANGE MASTER TO MASTER_HOST='{HOST}', MASTER_PORT={primary.port}, "
            f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD='{REPL_PASSWORD}', "
            "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE",
        )
        _sync(state, timeout=30)
    except BaseException as error:
        for name in SERVERS:
            server = _server(state[name])
            if isinstance(error, MariaDBError) and server.pid:
                print(f"--- {name} log:\n{server.log_tail(15)}", file=sys.stderr)
            server.stop(signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)
        raise
    return state


def stop(base: Path, keep: bool) -> None:
    state = _load_state(base)
    if state is None:
        return
    for name in SERVERS:
        _signal(state[name], signal.SIGCONT)  # a frozen server must run to stop
        _server(state[name]).stop()
    if not keep:
        shutil.rmtree(base)


def _signal(entry: dict[str, Any], signum: int) -> None:
    """Send ``signum`` to one of the pair's servers, if it is running (never another process)."""
    server = _server(entry)
    if server.pid is not None and server.alive():
        with contextlib.suppress(ProcessLookupError):
            os.kill(server.pid, signum)


def revive(state: dict[str, Any]) -> None:
    base = Path(state["dir"])
    for name in SERVERS:
        if not _server(state[name]).alive():
            Path(state[name]["socket"]).unlink(missing_ok=True)
            _spawn(state[name], base, state).wait_ready(STARTUP_TIMEOUT)


def status(state: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name in SERVERS:
        entry = state[name]
        alive = _server(entry).alive()
        report[name] = {"pid": entry["pid"], "port": entry["port"], "running": alive}
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


def _command(args: argparse.Namespace, state: dict[str, Any]) -> None:
    """A command on a running pair."""
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
        _server(state[args.server]).stop(signal.SIGKILL)
    elif args.command == "freeze":
        _signal(state[args.server], signal.SIGSTOP)
    elif args.command == "thaw":
        for name in SERVERS:
            _signal(state[name], signal.SIGCONT)
    elif args.command == "revive":
        revive(state)
    elif args.command == "status":
        print(json.dumps(status(state), indent=2))
    else:
        _print_urls(state)


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
    freeze_cmd = commands.add_parser("freeze", help="SIGSTOP one server (thaw resumes it)")
    freeze_cmd.add_argument("server", choices=SERVERS)
    commands.add_parser("thaw", help="SIGCONT both servers")
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
            _command(args, _require_state(base))
    except MariaDBError as error:
        print(f"mariadb_pair: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
