"""A private ``mariadbd`` for the benchmark (scripts/private_mariadb.py): its own data directory,
port and socket on 127.0.0.1, and a buffer pool large enough to hold the data set (as
production would size it). The data directory is removed on stop.

    with PrivateMariaDB(Path("var/bench/mariadb"), buffer_pool="1G") as db:
        print(db.url)   # mysql+asyncmy://tasklane:tasklane@127.0.0.1:PORT/tasklane
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
from pathlib import Path
from types import TracebackType

from scripts.private_mariadb import (
    STOP_TIMEOUT,
    SYSTEM_PORT,
    MariaDBError,
    PrivateServer,
    free_port,
)

DATABASE = "tasklane"
USER = PASSWORD = "tasklane"  # noqa: S105 - a throw-away server on loopback

__all__ = ["MariaDBError", "PrivateMariaDB"]


class PrivateMariaDB(PrivateServer):
    def __init__(self, base: Path, *, buffer_pool: str = "1G", port: int = 0) -> None:
        super().__init__(base, port=port)
        self.buffer_pool = buffer_pool

    @property
    def url(self) -> str:
        return self.url_of(DATABASE)

    def url_of(self, database: str) -> str:
        return self.url_for(database, USER, PASSWORD)

    def add_database(self, database: str) -> str:
        """One more database beside the first, for the same user; its URL."""
        self.create_database(database, USER, PASSWORD)
        return self.url_of(database)

    def _kill_stale(self) -> None:
        """A previous run killed without its clean-up left a server behind: stop it."""
        state = self.dir / "server.json"
        if state.exists():
            with contextlib.suppress(ValueError, OSError):
                PrivateServer(self.dir, pid=int(json.loads(state.read_text())["pid"])).stop()

    def start(self) -> PrivateMariaDB:
        self._kill_stale()
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        if self.port in (0, SYSTEM_PORT):
            self.port = free_port()
        self.configure(
            "skip_log_bin",
            "max_connections=500",
            # The whole data set stays in memory, as in production.
            f"innodb_buffer_pool_size={self.buffer_pool}",
            "innodb_log_file_size=512M",
        )
        self.install()
        (self.dir / "server.json").write_text(json.dumps({"pid": self.spawn()}))
        self.wait_ready()
        self.create_database(DATABASE, USER, PASSWORD)
        return self

    def stop(
        self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT, *, keep: bool = False
    ) -> None:
        super().stop(sig, timeout)
        self.pid = None
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def data_size_mb(self) -> dict[str, float]:
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
