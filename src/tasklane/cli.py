"""``tasklane serve | worker | migrate | create-admin | seed | openapi | backup | restore``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import sys
from pathlib import Path

from tasklane.settings import Settings, get_settings


def migrate(settings: Settings, revision: str = "head") -> None:
    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415

    if settings.dialect == "sqlite":
        Path(settings.var_dir).mkdir(parents=True, exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["settings"] = settings
    command.upgrade(config, revision)


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    from tasklane.server import serve  # noqa: PLC0415

    if args.forwarded_allow_ips is not None:
        # The workers read their settings from the environment.
        os.environ["TASKLANE_TRUSTED_PROXIES"] = args.forwarded_allow_ips
        settings = get_settings()
    serve(
        settings,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
    )


async def _create_admin(settings: Settings, email: str, name: str, password: str) -> None:
    from tasklane.core.context import AppContext  # noqa: PLC0415
    from tasklane.users import service as users  # noqa: PLC0415

    ctx = AppContext.create(settings)
    try:
        users.check_new_password(ctx, password, "password", email)
        password_hash = await ctx.hasher.hash(password)
        async with ctx.db.transaction() as conn:
            user = await users.create_user(
                conn, email=email, name=name, password_hash=password_hash, role="admin"
            )
        print(f"created administrator {user.email} ({user.id})")
    finally:
        await ctx.close()


async def _worker(settings: Settings) -> None:
    """The worker loop until SIGTERM or SIGINT; the turn under way finishes first."""
    import signal  # noqa: PLC0415

    from tasklane.core.context import AppContext  # noqa: PLC0415
    from tasklane.worker import Worker  # noqa: PLC0415

    ctx = AppContext.create(settings)
    worker = Worker(ctx)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logging.getLogger("tasklane.worker").info("worker %s started", worker.name)
    try:
        await worker.run(stop)
    finally:
        await worker.close()
        await ctx.close()


def _openapi() -> None:
    from tasklane.app import create_app  # noqa: PLC0415

    app = create_app(Settings())
    print(json.dumps(app.openapi(), indent=2, sort_keys=False))


def _add_backup_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    url_help = "the database (default: TASKLANE_DATABASE_URL)"
    backup = sub.add_parser("backup", help="write a consistent backup of the running database")
    backup.add_argument("--output", "-o", required=True, type=Path)
    backup.add_argument("--database-url", default=None, help=url_help)
    restore = sub.add_parser("restore", help="load a backup into an empty database")
    restore.add_argument("--input", "-i", required=True, type=Path)
    restore.add_argument("--database-url", default=None, help=url_help)
    restore.add_argument(
        "--force", action="store_true", help="drop the tables of a database that has some first"
    )


def _backup_command(args: argparse.Namespace, settings: Settings) -> int:
    from tasklane.backup import command  # noqa: PLC0415

    return command(args, settings)


def _cluster(args: list[str]) -> int:
    """``tasklane cluster …``: the single-machine cluster of a source checkout
    (scripts/cluster.py, which renders the checkout's deploy/nginx; docs/operations.md)."""
    import importlib.util  # noqa: PLC0415

    script = Path(__file__).resolve().parents[2] / "scripts" / "cluster.py"
    spec = importlib.util.spec_from_file_location("tasklane_local_cluster", script)
    if not script.is_file() or spec is None or spec.loader is None:
        print(
            "error: the local cluster runs from a source checkout (scripts/cluster.py)",
            file=sys.stderr,
        )
        return 2
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return int(module.main(args))


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one branch a command
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["cluster"]:
        return _cluster(arguments[1:])
    parser = argparse.ArgumentParser(prog="tasklane")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "cluster",
        help="the local cluster: start | stop | status | restart [N] | run (see cluster --help)",
    )
    serve = sub.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=0, help="0: 1 in development, CPUs in production"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="proxies whose X-Forwarded-* headers are believed (default: TASKLANE_TRUSTED_PROXIES)",
    )
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    mig = sub.add_parser("migrate", help="apply database migrations")
    mig.add_argument("revision", nargs="?", default="head")
    admin = sub.add_parser("create-admin", help="create an administrator account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administrator")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    sub.add_parser("openapi", help="print the OpenAPI schema")
    seeder = sub.add_parser("seed", help="load realistic test data with bulk inserts")
    seeder.add_argument("--users", type=int, default=10)
    seeder.add_argument("--tasks-per-user", type=int, default=100)
    seeder.add_argument("--batch-size", type=int, default=20_000)
    seeder.add_argument(
        "--rebuild-indexes-from",
        type=int,
        default=None,
        metavar="TASKS",
        help="drop the task indexes during a load of this many tasks or more into a table "
        "holding no more, and rebuild them after (default: 50000)",
    )
    seeder.add_argument("--random-seed", type=int, default=1)
    seeder.add_argument("--no-progress", action="store_true")
    sub.add_parser(
        "worker", help="run the notification service's worker: events, reminders (until stopped)"
    )
    _add_backup_parsers(sub)
    args = parser.parse_args(argv)

    settings = get_settings()
    from tasklane.observability import configure_logging  # noqa: PLC0415 - after the settings

    configure_logging(settings)  # JSON lines in production (TASKLANE_LOG_FORMAT)
    if args.command == "serve":
        if not args.no_migrate:
            migrate(settings)
        _serve(args, settings)
    elif args.command == "migrate":
        migrate(settings, args.revision)
    elif args.command == "create-admin":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
        from tasklane.core.errors import ProblemError  # noqa: PLC0415

        try:
            asyncio.run(_create_admin(settings, args.email, args.name, password))
        except ProblemError as error:
            print(f"error: {error.detail}", file=sys.stderr)
            return 1
    elif args.command == "openapi":
        _openapi()
    elif args.command == "worker":
        asyncio.run(_worker(settings))
    elif args.command == "seed":
        from tasklane.seed import INDEX_REBUILD_MIN_TASKS, SEED_PASSWORD, seed  # noqa: PLC0415

        migrate(settings)
        result = asyncio.run(
            seed(
                settings,
                users_count=args.users,
                tasks_per_user=args.tasks_per_user,
                batch_size=args.batch_size,
                random_seed=args.random_seed,
                progress=not args.no_progress,
                rebuild_indexes_from=(
                    INDEX_REBUILD_MIN_TASKS
                    if args.rebuild_indexes_from is None
                    else args.rebuild_indexes_from
                ),
            )
        )
        print(
            f"seeded {result.users} users and {result.tasks} tasks in {result.seconds:.1f} s "
            f"({result.tasks_per_second:,.0f} tasks/s); every account's password: "
            f"{SEED_PASSWORD!r}"
        )
    elif args.command in ("backup", "restore"):
        return _backup_command(args, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
