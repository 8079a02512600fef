"""The rules of docs/architecture.md that imports alone cannot show, read from the source.

(The layering itself is checked by import-linter: `.importlinter`, run by `make lint`.)"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tasklane"
#: Where units of work are opened: the handlers, and the tools that are their own entry points
#: (the worker's loop; the command line; seeding, backup and restore, which work below the
#: domains, on whole tables).
OWNERS = {"handlers.py", "worker.py", "cli.py", "seed.py", "backup.py"}
#: Calls that open, commit or end a transaction (``begin_nested``, a savepoint, is not one).
TRANSACTION_CALLS = {"transaction", "unit_of_work", "commit", "rollback", "begin"}
#: Modules that may build SQL with SQLAlchemy.
SQL_HOMES = {"repository.py", "models.py", "seed.py", "backup.py"}


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path, ast.parse(path.read_text(), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(SRC.parent)}:{getattr(node, 'lineno', 0)}"


def test_only_handlers_own_transactions() -> None:
    """Services and repositories take a connection; they never open, commit or roll back a
    transaction (the unit of work belongs to the handler that serves the request)."""
    found = []
    for path, tree in _modules():
        if path.name in OWNERS or path.parent.name == "core":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in TRANSACTION_CALLS
            ):
                found.append(f"{_where(path, node)} .{node.func.attr}()")
    assert not found, found


def test_sql_is_built_in_repositories_only() -> None:
    """Outside the repositories (and the tables, the framework in core, the seed tool), nothing
    is taken from SQLAlchemy: services name the connection as core.sql's ``Connection``."""
    found = []
    for path, tree in _modules():
        if path.name in SQL_HOMES or path.parent.name == "core":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {alias.name for alias in node.names}
                found.append(f"{_where(path, node)} from {node.module} import {names}")
            elif isinstance(node, ast.Import) and any(
                alias.name.startswith("sqlalchemy") for alias in node.names
            ):
                found.append(_where(path, node))
    assert not found, found


#: SQLAlchemy's execution layer: engines, connections, pools and their events. Statements
#: run through core/sql.py's executor; only the migrations (Alembic runs on SQLAlchemy's
#: engine) and backup.py (schema reflection) use it.
EXECUTION_LAYER = ("sqlalchemy.ext.asyncio", "sqlalchemy.pool", "sqlalchemy.event")
EXECUTION_NAMES = {"create_engine", "create_async_engine", "event", "Engine", "Connection"}
EXECUTION_USERS = {"backup.py"}


def test_statements_run_through_the_executor_only() -> None:
    """No module of src/ (the migrations and the backup tool aside) imports SQLAlchemy's
    engines, connections, pools or events: there is one way to run SQL."""
    found = []
    for path, tree in _modules():
        if path.name in EXECUTION_USERS:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                module = node.module or ""
                names = {alias.name for alias in node.names}
                if module.startswith(EXECUTION_LAYER) or (
                    module in ("sqlalchemy", "sqlalchemy.engine") and names & EXECUTION_NAMES
                ):
                    found.append(f"{_where(path, node)} from {module} import {names}")
    assert not found, found


@pytest.mark.parametrize(
    ("what", "home", "matches"),
    [
        # The edge reads the Authorization header and the process context once a request.
        ("the Authorization header", "core/caller.py", lambda n: _is_text(n, "authorization")),
        ("the process context", "core/http.py", lambda n: _is_attr(n, "state", "ctx")),
    ],
)
def test_the_caller_is_worked_out_in_one_place(what: str, home: str, matches: object) -> None:
    found = [
        _where(path, node)
        for path, tree in _modules()
        for node in ast.walk(tree)
        if matches(node)  # type: ignore[operator]
    ]
    assert found, f"{what} is read nowhere?"
    assert {where.split(":")[0] for where in found} == {f"tasklane/{home}"}, found


def _is_text(node: ast.AST, text: str) -> bool:
    return isinstance(node, ast.Constant) and node.value in (text, text.encode())


def _is_attr(node: ast.AST, owner: str, name: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Load)  # read, not stored (at start-up)
        and node.attr == name
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == owner
    )


def test_no_import_cycles() -> None:
    """No module imports, however indirectly, a module that imports it (imports made for
    type checking only aside); a lazy import must not hide a loop either."""
    graph = grimp.build_graph("tasklane", exclude_type_checking_imports=True)
    loops = sorted(
        f"{module} <-> {imported}"
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert not loops, loops
