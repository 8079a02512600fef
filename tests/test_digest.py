"""The daily digest: at a wall time of the account's time zone, across daylight-saving
changes; what is due that local day and overdue, to a verified address that wants it, with a
one-click unsubscribe."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from tasklane.notifications import service as notifications
from tasklane.notifications.models import digest_schedule
from tests.helpers import Api, User
from tests.mail_support import Mailing, mailing, sink, text_of

__all__ = ["mailing", "sink"]  # fixtures

ME = "/api/v1/users/me"
ONE_CLICK = {"Content-Type": "application/x-www-form-urlencoded"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "wall", "zone", "expected"),
    [
        # Berlin springs forward on 29 March 2026: 08:00 is 07:00 UTC before, 06:00 after.
        ("2026-03-28T07:00:00", "08:00", "Europe/Berlin", "2026-03-29T06:00:00"),
        ("2026-03-27T12:00:00", "08:00", "Europe/Berlin", "2026-03-28T07:00:00"),
        # ... and falls back on 25 October.
        ("2026-10-24T06:00:00", "08:00", "Europe/Berlin", "2026-10-25T07:00:00"),
        # New York on 8 March 2026; a time the clocks skip comes an hour later by the clock.
        ("2026-03-07T15:00:00", "09:30", "America/New_York", "2026-03-08T13:30:00"),
        ("2026-03-08T00:00:00", "02:30", "America/New_York", "2026-03-08T07:30:00"),
        ("2026-06-01T00:00:00", "23:59", "UTC", "2026-06-01T23:59:00"),
    ],
)
def test_the_next_digest_is_the_next_local_wall_time(
    after: str, wall: str, zone: str, expected: str
) -> None:
    assert notifications.next_digest_at(utc(after), wall, zone) == utc(expected)


async def _next_at(mailing: Mailing, user: User) -> datetime | None:
    async with mailing.app.state.ctx.db.primary_reader() as conn:
        return (
            await conn.execute(
                select(digest_schedule.c.next_at).where(
                    digest_schedule.c.user_id == uuid.UUID(user.id)
                )
            )
        ).scalar_one_or_none()


async def _send_at(mailing: Mailing, now: str) -> int:
    ctx = mailing.app.state.ctx
    async with ctx.db.unit_of_work() as uow:
        sent = await notifications.send_digests(uow.conn, ctx.settings, now=utc(now))
    await mailing.worker.send_mail()  # only the mail: the worker's own clock is today's
    return sent


async def test_a_digest_at_eight_in_berlin_before_and_after_the_clocks_change(
    mailing: Mailing,
) -> None:
    api = Api(mailing.client())
    user = await mailing.verified_user(api)
    turned_on = await api.client.patch(
        ME,
        json={
            "timezone": "Europe/Berlin",
            "preferences": {"email": {"digest": True, "digest_time": "08:00"}},
        },
        headers=user.headers,
    )
    assert turned_on.status_code == 200, turned_on.text
    await mailing.turns()
    scheduled = await _next_at(mailing, user)
    assert scheduled is not None
    assert scheduled.astimezone(UTC).minute == 0
    await api.create_task(user, title="File the taxes", due_at="2026-03-27T17:00:00+01:00")
    await api.create_task(user, title="Buy flowers", due_at="2026-03-28T10:00:00+01:00")
    await api.create_task(user, title="Next week", due_at="2026-04-02T10:00:00+02:00")
    await api.create_task(
        user, title="Done already", due_at="2026-03-28T09:00:00+01:00", status="done"
    )
    await mailing.turns()
    mailing.take()

    # As if it were 28 March, 08:00 in Berlin (07:00 UTC).
    async with mailing.app.state.ctx.db.transaction() as conn:
        await conn.execute(
            update(digest_schedule)
            .where(digest_schedule.c.user_id == uuid.UUID(user.id))
            .values(next_at=utc("2026-03-28T07:00:00"))
        )
    assert await _send_at(mailing, "2026-03-28T07:00:01") == 1
    (message,) = mailing.take()
    text = text_of(message)
    assert message["To"] == user.email
    assert "Saturday 28 March" in text
    assert "Buy flowers (10:00)" in text
    assert "File the taxes (overdue since 27 Mar)" in text
    assert "Next week" not in text
    assert "Done already" not in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The next one: 08:00 on Sunday in Berlin, which is 06:00 UTC (summer time began).
    assert await _next_at(mailing, user) == utc("2026-03-29T06:00:00")
    await _send_at(mailing, "2026-03-29T06:00:01")
    assert await _next_at(mailing, user) == utc("2026-03-30T06:00:00")
    mailing.take()

    # One click on the digest's header turns it off: the schedule goes at its next turn.
    path = str(message["List-Unsubscribe"])[1:-1].split("example.com", 1)[1]
    clicked = await api.client.post(path, content="List-Unsubscribe=One-Click", headers=ONE_CLICK)
    assert clicked.status_code == 200, clicked.text
    assert "daily digest" in clicked.json()["detail"]
    assert await _send_at(mailing, "2026-03-30T06:00:01") == 0
    assert await _next_at(mailing, user) is None
    assert mailing.take() == []


async def test_no_digest_for_an_unverified_address_or_with_nothing_due(mailing: Mailing) -> None:
    api = Api(mailing.client())
    user = await api.user()
    on = {"preferences": {"email": {"digest": True, "digest_time": "07:30"}}}
    assert (await api.client.patch(ME, json=on, headers=user.headers)).status_code == 200
    await api.create_task(user, title="Due", due_at="2026-05-01T06:00:00Z")
    await mailing.turns()
    mailing.take()
    async with mailing.app.state.ctx.db.transaction() as conn:
        await conn.execute(
            update(digest_schedule)
            .where(digest_schedule.c.user_id == uuid.UUID(user.id))
            .values(next_at=utc("2026-05-01T07:30:00"))
        )
    assert await _send_at(mailing, "2026-05-01T07:30:01") == 0
    assert await _next_at(mailing, user) == utc("2026-05-02T07:30:00")
    # A bad time is refused.
    bad = {"preferences": {"email": {"digest_time": "25:00"}}}
    response = await api.client.patch(ME, json=bad, headers=user.headers)
    assert response.status_code == 422
    # Off: the schedule is dropped.
    off = {"preferences": {"email": {"digest": False}}}
    assert (await api.client.patch(ME, json=off, headers=user.headers)).status_code == 200
    await mailing.turns()
    assert await _next_at(mailing, user) is None
