"""Email verification: a link mailed at registration and on request, single use, stored as a
hash, expiring; the profile shows whether the address is verified, and an unverified account
works as any other."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from tasklane.notifications.models import outgoing_mail
from tasklane.users.models import email_tokens
from tests.helpers import Api, User, assert_problem
from tests.mail_support import CONFIRM, Mailing, html_of, link_token, mailing, sink

__all__ = ["mailing", "sink"]  # fixtures

ME = "/api/v1/users/me"
RESEND = "/api/v1/users/me/verification"


async def test_registration_mails_a_link_that_verifies_the_address_once(
    mailing: Mailing,
) -> None:
    api = Api(mailing.client())
    user = await api.user()
    me = (await api.client.get(ME, headers=user.headers)).json()
    assert me["email_verified_at"] is None
    # Unverified, the account works as any other.
    await api.create_task(user, title="Before verifying")

    await mailing.turns()
    (message,) = mailing.take()
    assert message["To"] == user.email
    assert message["Subject"] == "Confirm your email address for Tasklane"
    assert "List-Unsubscribe" not in message  # security mail
    token = link_token(message)
    assert token in html_of(message)

    # Only the token's hash is stored; once sent, the mail's body (the link) is gone too.
    async with mailing.app.state.ctx.db.primary_reader() as conn:
        stored = (
            await conn.execute(
                select(email_tokens.c.token_hash, email_tokens.c.email).where(
                    email_tokens.c.user_id == uuid.UUID(user.id)
                )
            )
        ).one()
        sent = (
            await conn.execute(
                select(outgoing_mail.c.text_body).where(outgoing_mail.c.to_address == user.email)
            )
        ).one()
    assert bytes(stored.token_hash) == hashlib.sha256(token.encode()).digest()
    assert stored.email == user.email
    assert sent.text_body is None

    confirmed = await api.client.post(CONFIRM, json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"email": user.email, "changed": False}
    me = (await api.client.get(ME, headers=user.headers)).json()
    assert me["email_verified_at"] is not None

    again = await api.client.post(CONFIRM, json={"token": token})
    assert assert_problem(again, 422, "validation-error")["errors"][0]["field"] == "token"
    # Verified: nothing more to send.
    assert_problem(await api.client.post(RESEND, headers=user.headers), 409, "conflict")


async def test_a_new_link_retires_the_old_one_and_links_expire(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await api.user()
    asked = await api.client.post(RESEND, headers=user.headers)
    assert asked.status_code == 202
    await mailing.turns()
    first, second = mailing.take()
    assert first["To"] == second["To"] == user.email
    assert_problem(await api.client.post(CONFIRM, json={"token": link_token(first)}), 422)

    async with mailing.app.state.ctx.db.transaction() as conn:  # a day has passed
        await conn.execute(
            update(email_tokens)
            .where(email_tokens.c.user_id == uuid.UUID(user.id))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert_problem(await api.client.post(CONFIRM, json={"token": link_token(second)}), 422)
    me = (await api.client.get(ME, headers=user.headers)).json()
    assert me["email_verified_at"] is None


async def test_made_up_tokens_and_anonymous_requests_are_refused(mailing: Mailing) -> None:
    api = Api(mailing.client())
    for token in ("x", "A" * 43):
        body = assert_problem(await api.client.post(CONFIRM, json={"token": token}), 422)
        assert body["errors"][0]["field"] == "token"
    assert_problem(await api.client.post(CONFIRM, json={"token": ""}), 422)
    assert_problem(await api.client.post(RESEND), 401)


async def test_a_deactivated_account_gets_no_link(mailing: Mailing, admin: User) -> None:
    api = Api(mailing.client())
    user = await api.user()
    headers = {"Authorization": f"Bearer {admin.access_token}"}
    deactivated = await api.client.post(f"/api/v1/users/{user.id}/deactivate", headers=headers)
    assert deactivated.status_code == 200, deactivated.text
    await mailing.turns()
    assert [m for m in mailing.take() if m["To"] == user.email] == []
