"""``ANALYZE FORMAT=JSON`` of the statements behind the read workloads."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.config import PAGE_LIMIT
from bench.data import User
from bench.mariadb import PrivateMariaDB

COLUMNS_SQL = (
    "id, title, description, status, priority, due_at, completed_at, tags, version, "
    "created_at, updated_at"
)


def _plan_queries(user: User, page_position: tuple[str, str] | None) -> dict[str, str]:
    """The statements behind the read workloads, as both servers send them, with one user's
    values inlined (the floor writes the same SQL as Tasklane's repository compiles)."""
    uid = f"X'{user.id.hex()}'"
    base = f"SELECT {COLUMNS_SQL} FROM tasks WHERE tasks.user_id = {uid}"
    order = "ORDER BY tasks.created_at DESC, tasks.id DESC"
    queries = {
        "get": f"{base} AND tasks.id = X'{user.tasks[0].hex()}'",
        "list": f"{base} AND tasks.status = 'todo' {order} LIMIT 21",
        "search": (
            f"{base} AND (tasks.title REGEXP '(?i)(^|\\\\W)repo' OR "
            f"tasks.description REGEXP '(?i)(^|\\\\W)repo') {order} LIMIT 21"
        ),
        "page1": f"{base} {order} LIMIT {PAGE_LIMIT + 1}",
    }
    if page_position:
        at, task_hex = page_position
        queries["page50"] = (
            f"{base} AND tasks.created_at <= '{at}' AND (tasks.created_at < '{at}' OR "
            f"tasks.created_at = '{at}' AND tasks.id < X'{task_hex}') {order} "
            f"LIMIT {PAGE_LIMIT + 1}"
        )
    return queries


_PLAN_KEYS = ("table_name", "access_type", "key", "rows", "r_rows", "r_filtered", "r_total_time_ms")


def _plan_tables(node: Any) -> list[dict[str, Any]]:
    """Every table access in an ANALYZE FORMAT=JSON tree."""
    found = []
    if isinstance(node, dict):
        if "table_name" in node:
            found.append({k: node.get(k) for k in _PLAN_KEYS})
        for value in node.values():
            found += _plan_tables(value)
    elif isinstance(node, list):
        for value in node:
            found += _plan_tables(value)
    return found


def query_plans(db: PrivateMariaDB, user: User) -> dict[str, Any]:
    """``ANALYZE FORMAT=JSON`` of each read statement (run twice; the warm one is kept): the
    index chosen, the rows the server read, and its time, to tell the database's share of a
    workload from the application's."""
    position = None
    if user.cursor:
        raw = base64.urlsafe_b64decode(user.cursor + "=" * (-len(user.cursor) % 4))
        at_text, task_text = json.loads(raw)["p"]
        at = datetime.fromisoformat(at_text).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        position = (at, uuid.UUID(task_text).hex)
    plans: dict[str, Any] = {}
    for name, sql in _plan_queries(user, position).items():
        out = ""
        for _ in range(2):
            out = db.sql(f"USE tasklane; ANALYZE FORMAT=JSON {sql}", raw=True)
        try:
            block = json.loads(out)["query_block"]
        except (ValueError, KeyError):
            plans[name] = {"raw": out[:2000]}
            continue
        plans[name] = {
            "r_total_time_ms": block.get("r_total_time_ms"),
            "tables": _plan_tables(block),
        }
    return plans


def plan_lines(plans: dict[str, Any]) -> list[str]:
    """One line a statement: its server time and each table's access, index and rows read."""
    lines = []
    for name, plan in plans.items():
        tables = plan.get("tables") or [{}]
        lines.append(
            f"plan {name}: {plan.get('r_total_time_ms')} ms, "
            + "; ".join(
                f"{t.get('access_type')} on {t.get('key')}, read {t.get('r_rows')} rows"
                for t in tables
            )
        )
    return lines
