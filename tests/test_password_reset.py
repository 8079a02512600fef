"""Password reset by email: the same answer for any address, a single-use link valid 30
minutes, every session ended and the user signed in; mail through a real SMTP conversation
(a sink on loopback) or, without SMTP, into the local mailbox."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tasklane.auth.models import password_resets
from tasklane.notifications.models import outgoing_mail
from tasklane.settings import Settings
from tasklane.worker import Worker
from tests.helpers import PASSWORD, Api, assert_problem, refresh_cookie, unique_email
from tests.servers import SmtpSink, serving

RESET = "/api/v1/auth/password-reset"
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = SmtpSink()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def mailing(settings: Settings, sink: SmtpSink) -> AsyncIterator[tuple[Any, Any, Worker]]:
    config = settings.model_copy(
        update={"smtp_url": sink.url, "public_base_url": "https://tasks.example.com"}
    )
    async with serving(config) as (app, client):
        worker = Worker(app.state.ctx)
        await _turns(worker)  # the earlier tests' events out of the way
        sink.messages.clear()
        yield app, client, worker
        await worker.close()


async def _turns(worker: Worker) -> None:
    while await worker.turn():
        pass


async def _account(api: Api, worker: Worker, sink: SmtpSink) -> Any:
    """A new account, its verification mail out of the way."""
    user = await api.user()
    await _turns(worker)
    sink.messages.clear()
    return user


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def _token(message: EmailMessage) -> str:
    found = re.search(r"https://tasks\.example\.com/reset-password#token=([\w-]+)", _text(message))
    assert found, _text(message)
    return found.group(1)


async def _mail_count(app: Any) -> int:
    async with app.state.ctx.db.primary_reader() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(outgoing_mail))).scalar_one()
        )


async def test_a_reset_link_sets_a_new_password_ends_every_session_and_signs_in(
    mailing: tuple[Any, Any, Worker], sink: SmtpSink
) -> None:
    app, client, worker = mailing
    api = Api(client())
    user = await _account(api, worker, sink)
    asked = await api.client.post(RESET, json={"email": user.email.upper()})
    assert asked.status_code == 202
    await _turns(worker)
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message["To"] == user.email
    assert message["Message-ID"]
    assert message.get_body(preferencelist=("html",)) is not None
    assert "List-Unsubscribe" not in message  # security mail cannot be turned off
    token = _token(message)

    done = await api.client.post(
        f"{RESET}/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 200, done.text
    assert refresh_cookie(done)
    fresh = {"Authorization": f"Bearer {done.json()['access_token']}"}
    assert (await api.client.get("/api/v1/users/me", headers=fresh)).status_code == 200
    # The sessions from before the reset are over; the old password is too.
    assert (await api.client.get("/api/v1/users/me", headers=user.headers)).status_code == 401
    assert (await api.login(user.email, PASSWORD)).status_code == 401
    assert (await api.login(user.email, NEW_PASSWORD)).status_code == 200
    # The link works once.
    again = await api.client.post(
        f"{RESET}/confirm", json={"token": token, "new_password": NEW_PASSWORD + "!"}
    )
    assert assert_problem(again, 422, "validation-error")["errors"][0]["field"] == "token"
    # Once sent, the record stays without the body (which held the link).
    async with app.state.ctx.db.primary_reader() as conn:
        row = (
            await conn.execute(
                select(outgoing_mail).where(
                    outgoing_mail.c.to_address == user.email,
                    outgoing_mail.c.kind == "password_reset",
                )
            )
        ).one()
    assert row.sent_at is not None
    assert row.text_body is None
    assert row.html_body is None
    assert row.message_id == message["Message-ID"]


async def test_the_answer_is_the_same_for_an_address_without_an_account(
    mailing: tuple[Any, Any, Worker], sink: SmtpSink
) -> None:
    app, client, worker = mailing
    api = Api(client())
    user = await _account(api, worker, sink)
    before = await _mail_count(app)
    known = await api.client.post(RESET, json={"email": user.email})
    unknown = await api.client.post(RESET, json={"email": unique_email("nobody")})
    malformed = await api.client.post(RESET, json={"email": "not an address"})
    assert known.status_code == unknown.status_code == malformed.status_code == 202
    assert known.json() == unknown.json() == malformed.json()
    await _turns(worker)
    assert [m["To"] for m in sink.messages] == [user.email]
    assert await _mail_count(app) == before + 1


async def test_only_the_newest_unexpired_link_works(
    mailing: tuple[Any, Any, Worker], sink: SmtpSink
) -> None:
    app, client, worker = mailing
    api = Api(client())
    user = await _account(api, worker, sink)
    for _ in range(2):
        await api.client.post(RESET, json={"email": user.email})
        await _turns(worker)
    older, newer = (_token(m) for m in sink.messages)
    stale = await api.client.post(
        f"{RESET}/confirm", json={"token": older, "new_password": NEW_PASSWORD}
    )
    assert_problem(stale, 422)
    weak = await api.client.post(
        f"{RESET}/confirm", json={"token": newer, "new_password": "password"}
    )
    assert assert_problem(weak, 422)["errors"][0]["field"] == "new_password"
    async with app.state.ctx.db.transaction() as conn:  # the link's 30 minutes have passed
        await conn.execute(
            update(password_resets)
            .where(password_resets.c.user_id == uuid.UUID(user.id))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = await api.client.post(
        f"{RESET}/confirm", json={"token": newer, "new_password": NEW_PASSWORD}
    )
    assert_problem(expired, 422)
    assert (await api.login(user.email, PASSWORD)).status_code == 200  # nothing changed


async def test_a_deactivated_account_gets_no_link(
    mailing: tuple[Any, Any, Worker], sink: SmtpSink, admin: Any
) -> None:
    _, client, worker = mailing
    api = Api(client())
    user = await _account(api, worker, sink)
    headers = {"Authorization": f"Bearer {admin.access_token}"}
    deactivated = await api.client.post(f"/api/v1/users/{user.id}/deactivate", headers=headers)
    assert deactivated.status_code == 200, deactivated.text
    assert (await api.client.post(RESET, json={"email": user.email})).status_code == 202
    await _turns(worker)
    assert sink.messages == []


async def test_without_smtp_the_mail_lands_in_the_local_mailbox(
    settings: Settings, tmp_path: Path
) -> None:
    config = settings.model_copy(update={"var_dir": tmp_path, "smtp_url": None})
    async with serving(config) as (app, client):
        worker = Worker(app.state.ctx)
        api = Api(client())
        user = await api.user()
        await _turns(worker)
        assert (await api.client.post(RESET, json={"email": user.email})).status_code == 202
        await _turns(worker)
        await worker.close()
    files = sorted((tmp_path / "mail").glob("*.eml"))
    texts = [f.read_text() for f in files]
    assert any(f"To: {user.email}" in text and "/reset-password#token=" in text for text in texts)
