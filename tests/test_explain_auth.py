"""Every statement of the auth flow finds its rows through an index: read from each
database's own EXPLAIN of the statements the flow really sent (with their parameters).

A lookup that scans a table costs more with every session ever opened, and under
``SELECT ... FOR UPDATE`` on MariaDB it locks every row it reads: refreshes and logins then
deadlock one another (a BLOB token hash did exactly that, migration 0004)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from tasklane.auth.models import known_devices, refresh_tokens, sessions
from tasklane.core.context import AppContext
from tasklane.core.security import hash_refresh_token, new_refresh_token
from tasklane.core.sql import Connection
from tasklane.core.types import utcnow, uuid7
from tasklane.users.models import users
from tests.helpers import PASSWORD, SAME_SITE, Api, refresh_cookie, unique_email

OTHER_USERS = 40
SESSIONS_EACH = 10


@contextmanager
def recorded(ctx: AppContext) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) the app sends while the block runs."""
    sent: list[tuple[str, Any]] = []

    def record(statement: str, params: Any) -> None:
        sent.append((statement, params))

    ctx.db.executor.listeners.append(record)
    try:
        yield sent
    finally:
        ctx.db.executor.listeners.remove(record)


@pytest.fixture(scope="module")
async def crowd(ctx: AppContext) -> None:
    """Other accounts with many sessions, so a scan would have rows to read; statistics
    refreshed so the planner knows it."""
    now = utcnow()
    user_rows, session_rows, token_rows, device_rows = [], [], [], []
    for n in range(OTHER_USERS):
        user_id = uuid7()
        user_rows.append(
            {
                "id": user_id,
                "email": f"crowd-{n}-{uuid.uuid4().hex[:8]}@example.com",
                "name": "Crowd",
                "password_hash": "-",
                "role": "user",
                "is_active": True,
                "timezone": "UTC",
                "preferences": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        for _ in range(SESSIONS_EACH):
            session_id = uuid7()
            session_rows.append(
                {
                    "id": session_id,
                    "user_id": user_id,
                    "created_at": now,
                    "last_used_at": now,
                    "expires_at": now + timedelta(days=30),
                }
            )
            token_rows.append(
                {
                    "id": uuid.uuid4(),
                    "session_id": session_id,
                    "token_hash": hash_refresh_token(new_refresh_token()),
                    "created_at": now,
                }
            )
            device_rows.append(
                {
                    "id": uuid7(),
                    "user_id": user_id,
                    "device_hash": hash_refresh_token(new_refresh_token()),
                    "fingerprint": hash_refresh_token(new_refresh_token()),
                    "session_id": session_id,
                    "created_at": now,
                    "last_seen_at": now,
                }
            )
    async with ctx.db.transaction() as conn:
        await conn.execute(insert(users), user_rows)
        await conn.execute(insert(sessions), session_rows)
        await conn.execute(insert(refresh_tokens), token_rows)
        await conn.execute(insert(known_devices), device_rows)
    async with ctx.db.primary_reader() as conn:
        dialect = conn.dialect.name
        for table in ("users", "sessions", "refresh_tokens", "known_devices"):
            if dialect == "mysql":
                await conn.exec_driver_sql(f"ANALYZE TABLE {table}")
            elif dialect == "postgresql":
                await conn.exec_driver_sql(f"ANALYZE {table}")
        if dialect == "sqlite":
            await conn.exec_driver_sql("ANALYZE")


async def _auth_flow(api: Api) -> None:
    """Register, log in, use the session, refresh (and re-present within the grace window),
    change the password (ending the other sessions), log out, log out everywhere."""
    email = unique_email("explain")
    assert (await api.register(email)).status_code == 201
    first = await api.login(email.upper())
    second = await api.login(email)
    assert first.status_code == second.status_code == 200
    headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert (await api.client.get("/api/v1/users/me", headers=headers)).status_code == 200
    token = refresh_cookie(second)
    assert token
    rotated = await api.refresh(token)
    assert rotated.status_code == 200
    assert (await api.refresh(token)).status_code == 200  # within the grace window
    successor = refresh_cookie(rotated)
    assert successor
    headers = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
    changed = await api.client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": PASSWORD + " again"},
        headers=headers,
    )
    assert changed.status_code in (200, 204), changed.text
    logout = await api.client.post(
        "/api/v1/auth/logout", headers={**SAME_SITE, "Cookie": f"tasklane_refresh={successor}"}
    )
    assert logout.status_code == 204
    third = await api.login(email, PASSWORD + " again")
    assert third.status_code == 200
    headers = {"Authorization": f"Bearer {third.json()['access_token']}", **SAME_SITE}
    assert (await api.client.post("/api/v1/auth/logout-all", headers=headers)).status_code == 204


async def _scans(conn: Connection, statement: str, params: Any) -> list[str]:
    """The tables ``statement`` reads without an index, by the database's EXPLAIN."""
    dialect = conn.dialect.name
    if dialect == "mysql":
        result = await conn.exec_driver_sql("EXPLAIN " + statement, params)
        return [
            f"{row['table']} ({row['type']})"
            for row in result.mappings()
            if row["type"] in ("ALL", "index") and row["table"] is not None
        ]
    if dialect == "postgresql":
        # With sequential scans priced out, a Seq Scan left in the plan has no index to use.
        await conn.exec_driver_sql("SET enable_seqscan = off")
        try:
            result = await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params)
            plan = result.scalar_one()
        finally:
            await conn.exec_driver_sql("RESET enable_seqscan")
        text = plan if isinstance(plan, str) else json.dumps(plan)
        found = []
        stack = [json.loads(text)[0]["Plan"]]
        while stack:
            node = stack.pop()
            stack.extend(node.get("Plans", []))
            if node["Node Type"] == "Seq Scan":
                found.append(node["Relation Name"])
        return found
    result = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
    return [row[3] for row in result if row[3].startswith("SCAN ")]


async def test_every_statement_of_the_auth_flow_uses_an_index(
    ctx: AppContext, api: Api, crowd: None
) -> None:
    with recorded(ctx) as sent:
        await _auth_flow(api)
    checked = [
        (statement, params)
        for statement, params in sent
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "UPDATE", "DELETE")
    ]
    # The flow's lookups: the account by email, the refresh token under lock, the session.
    assert any("refresh_tokens.token_hash =" in s for s, _ in checked), sent
    assert any("FROM users" in s and "email" in s for s, _ in checked), sent
    assert any("FROM sessions" in s for s, _ in checked), sent
    problems = []
    async with ctx.db.primary_reader() as conn:
        for statement, params in checked:
            if scans := await _scans(conn, statement, params):
                problems.append(f"{scans}: {statement}")
    assert not problems, "\n".join(problems)
