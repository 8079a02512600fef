"""Online backups and restores of the database: ``tasklane backup`` and ``tasklane restore``.

A backup is one consistent snapshot taken while the service keeps running:

- SQLite: the online backup API (``sqlite3.Connection.backup``) in one step, which copies
  the pages of one read transaction; the copy is switched to a rollback journal so that it is
  a single self-contained file.
- MariaDB/MySQL: ``mariadb-dump --single-transaction`` (one REPEATABLE READ snapshot of the
  InnoDB tables, no table locks), binary columns in hex.
- PostgreSQL: ``pg_dump --format=custom`` (pg_dump always reads one snapshot).

A restore loads a backup into an empty database of the same kind (``force`` first drops the
tables a database has: SQLite's copy replaces the whole file), then checks that the restored
database carries an Alembic revision this code knows. Passwords reach the client programs
through the environment (``MYSQL_PWD``, ``PGPASSWORD``), never their arguments. A backup file
is written under a temporary name with mode 0600 and renamed when complete.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.settings import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
MYSQL_HEADERS = (b"-- MariaDB dump", b"-- MySQL dump")
MYSQL_FOOTER = b"-- Dump completed"
T = TypeVar("T")
KIND_NAMES = {"sqlite": "SQLite", "mysql": "MariaDB/MySQL", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    kind: str
    revision: str
    path: Path
    size: int


@dataclass(frozen=True, slots=True)
class RestoreResult:
    kind: str
    revision: str
    head: str
    users: int
    tasks: int


@dataclass(frozen=True, slots=True)
class Target:
    """A database as the client programs reach it, from a SQLAlchemy URL."""

    url: URL
    kind: str  # sqlite, mysql or postgresql

    @classmethod
    def parse(cls, raw: str) -> Target:
        try:
            url = make_url(raw)
        except Exception as error:
            raise BackupError(f"not a database URL: {error}") from error
        backend = url.get_backend_name()
        kind = "mysql" if backend == "mariadb" else backend
        if kind not in KIND_NAMES:
            raise BackupError(f"unsupported database {backend!r}")
        if not url.database or (kind == "sqlite" and url.database == ":memory:"):
            raise BackupError("the database URL names no database")
        return cls(url, kind)

    @property
    def name(self) -> str:
        """Where the database is, without credentials: safe to print."""
        if self.kind == "sqlite":
            return str(self.sqlite_path)
        port = f":{self.url.port}" if self.url.port else ""
        return f"{KIND_NAMES[self.kind]} {self.url.host or 'localhost'}{port}/{self.url.database}"

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url.database or "")

    def engine_url(self) -> str:
        return self.url.render_as_string(hide_password=False)

    def client_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.url.password is not None:
            env["MYSQL_PWD" if self.kind == "mysql" else "PGPASSWORD"] = str(self.url.password)
        return env

    def mysql_args(self) -> list[str]:
        args = ["--default-character-set=utf8mb4"]
        socket = self.url.query.get("unix_socket")
        if isinstance(socket, str):
            args.append(f"--socket={socket}")
        elif self.url.host:
            # As the driver does: TCP even to "localhost".
            args += [f"--host={self.url.host}", "--protocol=TCP"]
        if self.url.port:
            args.append(f"--port={self.url.port}")
        if self.url.username:
            args.append(f"--user={self.url.username}")
        return args

    def pg_args(self) -> list[str]:
        args = ["--no-password"]
        host = self.url.query.get("host") or self.url.host  # ?host= names a socket directory
        if isinstance(host, str):
            args.append(f"--host={host}")
        if self.url.port:
            args.append(f"--port={self.url.port}")
        if self.url.username:
            args.append(f"--username={self.url.username}")
        return args


def _program(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BackupError(f"{' or '.join(names)} not found on PATH")


async def _run(
    argv: list[str], env: dict[str, str], *, stdin: Path | None = None, stdout: Path | None = None
) -> None:
    """Run a client program (no shell); its error output becomes the error's message."""
    with (
        open(stdin, "rb") if stdin else open(os.devnull, "rb") as source,  # noqa: ASYNC230
        open(stdout, "wb") if stdout else open(os.devnull, "wb") as sink,  # noqa: ASYNC230
    ):
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=source, stdout=sink, stderr=asyncio.subprocess.PIPE, env=env
        )
        _, errors = await process.communicate()
    if process.returncode != 0:
        message = errors.decode(errors="replace").strip()
        raise BackupError(f"{Path(argv[0]).name} failed ({process.returncode}): {message}")


# --- the database as SQLAlchemy sees it -------------------------------------------------------


async def _inspect(target: Target, work: Callable[[Connection], T]) -> T:
    engine = create_async_engine(target.engine_url())
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    except BackupError:
        raise
    except Exception as error:
        raise BackupError(f"{target.name}: {error}") from error
    finally:
        await engine.dispose()


def _tables(conn: Connection) -> list[str]:
    return inspect(conn).get_table_names()


def _revision(conn: Connection) -> str | None:
    if "alembic_version" not in _tables(conn):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def _counts(conn: Connection) -> tuple[int, int]:
    users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    tasks = conn.execute(text("SELECT count(*) FROM tasks")).scalar_one()
    return int(users), int(tasks)


def _drop_tables(conn: Connection) -> None:
    existing = MetaData()
    existing.reflect(conn)
    existing.drop_all(conn)


def _heads() -> tuple[list[str], Callable[[str], bool]]:
    from alembic.config import Config  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    script = ScriptDirectory.from_config(config)

    def known(revision: str) -> bool:
        try:
            return script.get_revision(revision) is not None
        except Exception:
            return False

    return list(script.get_heads()), known


# --- backup -------------------------------------------------------------------------------


def _sqlite_backup(source: Path, copy: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(copy)) as dst:
        src.execute("PRAGMA busy_timeout=5000")
        src.backup(dst)  # every page in one step: one read transaction, one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it


async def backup(database_url: str, output: Path) -> BackupResult:
    """Write a consistent backup of the database at ``database_url`` to ``output``."""
    target = Target.parse(database_url)
    if target.kind == "sqlite" and not target.sqlite_path.is_file():
        raise BackupError(f"no database at {target.sqlite_path}")
    revision = await _inspect(target, _revision)
    if revision is None:
        raise BackupError(f"{target.name} has no Alembic revision: not a Tasklane database")
    output, partial = _partial_for(output)
    try:
        if target.kind == "sqlite":
            await asyncio.to_thread(_sqlite_backup, target.sqlite_path, partial)
        elif target.kind == "mysql":
            argv = [
                _program("mariadb-dump", "mysqldump"),
                *target.mysql_args(),
                "--single-transaction",
                "--quick",
                "--hex-blob",
                "--triggers",
                "--",
                str(target.url.database),
            ]
            await _run(argv, target.client_env(), stdout=partial)
        else:
            argv = [
                _program("pg_dump"),
                *target.pg_args(),
                "--format=custom",
                f"--file={partial}",
                f"--dbname={target.url.database}",
            ]
            await _run(argv, target.client_env())
        _complete(partial, output)
    finally:
        with suppress(FileNotFoundError):
            os.unlink(partial)
    return BackupResult(target.kind, revision, output, os.stat(output).st_size)


def _partial_for(output: Path) -> tuple[Path, Path]:
    """The output's absolute path and a new empty file beside it, of mode 0600 (mkstemp's),
    which the dump fills and keeps."""
    output = output.absolute()
    try:
        fd, partial = tempfile.mkstemp(
            dir=output.parent, prefix=f".{output.name}.", suffix=".partial"
        )
    except OSError as error:
        raise BackupError(f"cannot write in {output.parent}: {error.strerror}") from error
    os.close(fd)
    return output, Path(partial)


def _complete(partial: Path, output: Path) -> None:
    """Flush the finished copy to disk and give it its name."""
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, output)


# --- restore ------------------------------------------------------------------------------


def dump_kind(path: Path) -> str:
    """Which database a backup file is of, from its first bytes (and a dump's last line)."""
    try:
        with open(path, "rb") as file:
            head = file.read(1024)
            file.seek(max(0, file.seek(0, os.SEEK_END) - 256))
            tail = file.read()
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from error
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if any(header in head for header in MYSQL_HEADERS):
        if MYSQL_FOOTER not in tail:
            raise BackupError(f"{path} is an incomplete dump (no '{MYSQL_FOOTER.decode()}')")
        return "mysql"
    raise BackupError(
        f"{path} is not a Tasklane backup (a SQLite file, a MariaDB dump or a pg_dump archive)"
    )


def _sqlite_restore(copy: Path, database: Path) -> None:
    with (
        closing(sqlite3.connect(f"{copy.absolute().as_uri()}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(database)) as dst,
    ):
        dst.execute("PRAGMA busy_timeout=5000")
        # A WAL database cannot take pages of another size: leave WAL for the copy, then
        # return to it (the service's journal mode).
        dst.execute("PRAGMA journal_mode=DELETE")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")


async def restore(database_url: str, source: Path, *, force: bool = False) -> RestoreResult:
    """Load the backup ``source`` into the (empty, unless ``force``) database at
    ``database_url`` and check that it carries a known Alembic revision."""
    target = Target.parse(database_url)
    kind = dump_kind(source)
    if kind != target.kind:
        raise BackupError(
            f"{source} is a {KIND_NAMES[kind]} backup; the target is {KIND_NAMES[target.kind]}"
        )
    if target.kind == "sqlite":
        target.sqlite_path.absolute().parent.mkdir(parents=True, exist_ok=True)
    tables = await _inspect(target, _tables)
    if tables and not force:
        raise BackupError(
            f"{target.name} is not empty ({len(tables)} tables): restore into an empty "
            "database, or pass --force to replace its tables"
        )
    if tables and target.kind != "sqlite":  # SQLite's copy replaces the whole database
        await _inspect(target, _drop_tables)
    if target.kind == "sqlite":
        await asyncio.to_thread(_sqlite_restore, source, target.sqlite_path)
    elif target.kind == "mysql":
        argv = [
            _program("mariadb", "mysql"),
            *target.mysql_args(),
            "--batch",
            f"--database={target.url.database}",
        ]
        await _run(argv, target.client_env(), stdin=source)
    else:
        argv = [
            _program("pg_restore"),
            *target.pg_args(),
            f"--dbname={target.url.database}",
            "--no-owner",  # everything belongs to the URL's user, who runs the migrations
            "--no-privileges",
            "--single-transaction",  # all or nothing
            "--exit-on-error",
            str(source),
        ]
        await _run(argv, target.client_env())
        await _inspect(target, lambda conn: conn.execute(text("ANALYZE")))  # planner statistics
    revision = await _inspect(target, _revision)
    heads, known = _heads()
    if revision is None:
        raise BackupError(f"restored into {target.name}, but it has no Alembic revision")
    if not known(revision):
        raise BackupError(
            f"restored into {target.name}, but its revision {revision} is not in this "
            "Tasklane's migrations: restore with the release that wrote the backup"
        )
    users, tasks = await _inspect(target, _counts)
    return RestoreResult(target.kind, revision, ",".join(heads), users, tasks)


# --- the command --------------------------------------------------------------------------


def command(args: argparse.Namespace, settings: Settings) -> int:
    """``tasklane backup --output FILE`` and ``tasklane restore --input FILE [--force]``."""
    database_url = args.database_url or settings.database_url
    try:
        if args.command == "backup":
            done = asyncio.run(backup(database_url, Path(args.output)))
            print(
                f"backed up {Target.parse(database_url).name} at revision {done.revision} "
                f"to {done.path} ({done.size:,} bytes)"
            )
        else:
            restored = asyncio.run(restore(database_url, Path(args.input), force=args.force))
            print(
                f"restored {Target.parse(database_url).name} at revision {restored.revision}: "
                f"{restored.users} users, {restored.tasks} tasks"
            )
            if restored.revision != restored.head:
                print(f"the migrations' head is {restored.head}: run 'tasklane migrate'")
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
