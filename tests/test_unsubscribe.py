"""Per-kind email opt-out: reminder emails go to verified addresses whose owner wants them,
with a List-Unsubscribe header whose one-click POST (RFC 8058) turns that kind off; security
mail never carries it."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select, update

from tasklane.notifications.models import reminders
from tests.helpers import Api, User, assert_problem
from tests.mail_support import BASE, Mailing, mailing, sink, text_of

__all__ = ["mailing", "sink"]  # fixtures

ME = "/api/v1/users/me"
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}


async def _remind(mailing: Mailing, api: Api, user: User, title: str) -> list[EmailMessage]:
    """A task due in an hour whose reminder time is then moved to now: the mail it makes."""
    due = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    task = await api.create_task(user, title=title, due_at=due)
    await mailing.turns()
    async with mailing.app.state.ctx.db.transaction() as conn:
        await conn.execute(
            update(reminders)
            .where(reminders.c.task_id == uuid.UUID(task["id"]))
            .values(fire_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await mailing.turns()
    return [m for m in mailing.take() if m["To"] == user.email]


def _unsubscribe_path(message: EmailMessage) -> str:
    header = str(message["List-Unsubscribe"])
    assert header.startswith(f"<{BASE}/api/v1/mail/unsubscribe?token=")
    assert header.endswith(">")
    return header[1:-1].removeprefix(BASE)


async def _preferences(api: Api, user: User) -> Any:
    return (await api.client.get(ME, headers=user.headers)).json()["preferences"]["email"]


async def test_one_click_turns_reminder_mail_off(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await mailing.verified_user(api)
    (message,) = await _remind(mailing, api, user, "Water the plants")
    assert message["Subject"] == "Reminder: Water the plants"
    assert "Water the plants" in text_of(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _unsubscribe_path(message)

    # What a mail client sends: no session, no cookie, no custom header.
    clicked = await api.client.post(path, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert clicked.status_code == 200, clicked.text
    assert await _preferences(api, user) == {
        "reminders": False,
        "digest": False,
        "digest_time": "08:00",
    }
    again = await api.client.post(path, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert again.status_code == 200
    # The in-app reminder still comes; the email does not.
    assert await _remind(mailing, api, user, "Feed the cat") == []
    unread = await api.client.get("/api/v1/notifications/unread-count", headers=user.headers)
    assert unread.json() == {"unread": 2}

    # Settings turn it back on.
    on = await api.client.patch(
        ME, json={"preferences": {"email": {"reminders": True}}}, headers=user.headers
    )
    assert on.status_code == 200, on.text
    assert on.json()["preferences"]["email"] == {
        "reminders": True,
        "digest": False,
        "digest_time": "08:00",
    }
    assert on.json()["preferences"]["theme"] == "system"
    assert len(await _remind(mailing, api, user, "Call mum")) == 1


async def test_unverified_addresses_get_no_reminder_mail(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await api.user()
    await mailing.turns()
    (verification,) = mailing.take()
    assert "List-Unsubscribe" not in verification
    assert await _remind(mailing, api, user, "Not mailed") == []


async def test_forged_or_altered_tokens_change_nothing(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await mailing.verified_user(api)
    (message,) = await _remind(mailing, api, user, "Keep it")
    path = _unsubscribe_path(message)
    token = path.split("token=", 1)[1]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[16] ^= 1  # another kind, same signature
    other_kind = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    for bad in ("nonsense", other_kind, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")):
        refused = await api.client.post(
            "/api/v1/mail/unsubscribe", params={"token": bad}, headers=ONE_CLICK
        )
        assert assert_problem(refused, 422)["errors"][0]["field"] == "token"
    assert_problem(await api.client.post("/api/v1/mail/unsubscribe"), 422)
    assert await _preferences(api, user) == {
        "reminders": True,
        "digest": False,
        "digest_time": "08:00",
    }


async def test_reminders_come_at_the_owners_offsets(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await api.user()
    chosen = {"preferences": {"reminder_offsets": [1440, 60, 60, 0]}}
    answer = await api.client.patch(ME, json=chosen, headers=user.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["preferences"]["reminder_offsets"] == [0, 60, 1440]
    due = datetime.now(UTC) + timedelta(days=3)
    task = await api.create_task(user, title="Offsets", due_at=due.isoformat())
    await mailing.turns()
    async with mailing.app.state.ctx.db.primary_reader() as conn:
        rows = await conn.execute(
            select(reminders.c.offset_minutes).where(reminders.c.task_id == uuid.UUID(task["id"]))
        )
        assert sorted(row.offset_minutes for row in rows) == [0, 60, 1440]
    for bad in ([-1], [50000], [0, 1, 2, 3, 4, 5], ["10"]):
        refused = await api.client.patch(
            ME, json={"preferences": {"reminder_offsets": bad}}, headers=user.headers
        )
        assert_problem(refused, 422)
