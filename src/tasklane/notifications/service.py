"""Rules of the notification service: reminders before a task is due, in-app notifications.

Reminders follow the task's current state, read when an event about it is handled, not the
event's payload: events of one task may be handled out of order by several workers, and the
answer is the same whatever the order (idempotent and order-independent).
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import smtplib
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from tasklane.auth import service as auth
from tasklane.core.context import AppContext
from tasklane.core.errors import NotFound, ValidationProblem
from tasklane.core.pagination import decode_cursor, encode_cursor
from tasklane.core.sql import Connection
from tasklane.core.types import AnyRow, utcnow, uuid7
from tasklane.events import service as events
from tasklane.events.schemas import Event
from tasklane.notifications import links, mail, messages
from tasklane.notifications import repository as repo
from tasklane.notifications.schemas import NotificationOut, NotificationPage
from tasklane.settings import Settings
from tasklane.tasks import service as tasks
from tasklane.tasks.schemas import TaskQuery
from tasklane.users import service as users

logger = logging.getLogger("tasklane.notifications")

#: The consumer's name in the handled-events record.
REMINDERS = "reminders"


async def plan_reminders(conn: Connection, event: Event, offsets: Sequence[int]) -> None:
    """Bring the task's reminders in line with the task as it is now: one per offset (minutes
    before its due time: the task's own, else the owner's preference, else ``offsets``) while
    it is open; none once it is done or deleted. A changed due time or changed offsets re-arm
    them. A reminder whose time had passed when the change was made is
    not planned, but one that passed since (the worker was down) still fires, late. A
    reminder that fired already is never planned again. A changed preference applies to the
    tasks changed after it."""
    if event.kind == users.PROFILE_CHANGED:  # date-only reminders follow the owner's zone
        owner_id = uuid.UUID(event.payload["user_id"])
        for task_id in await tasks.date_only_ids(conn, owner_id):
            replan = dataclasses.replace(event, kind="task.updated", subject_id=task_id)
            await plan_reminders(conn, replan, offsets)
        return
    if event.subject_id is None or not event.kind.startswith("task."):
        return
    task = await tasks.reminder_view(conn, event.subject_id)
    rows: list[dict[str, Any]] = []
    if task is not None and task.status != "done" and task.due_at is not None:
        if task.reminder_offsets is not None:
            offsets = task.reminder_offsets  # chosen for this task
        else:
            owner = await users.active_profile(conn, task.user_id)
            if owner is not None and owner.preferences.reminder_offsets is not None:
                offsets = owner.preferences.reminder_offsets  # the owner's own choice
        now = utcnow()
        fired = await repo.fired_offsets(conn, event.subject_id)
        zone = None if task.due_date is None else await tasks.owner_zone(conn, task.user_id)
        for offset in sorted(set(offsets)):
            fire_at = reminder_at(task, offset, zone)
            if fire_at > event.created_at and (offset, fire_at) not in fired:
                rows.append(
                    {
                        "id": uuid7(),
                        "user_id": task.user_id,
                        "task_id": event.subject_id,
                        "offset_minutes": offset,
                        "fire_at": fire_at,
                        "created_at": now,
                    }
                )
    await repo.replace_reminders(conn, event.subject_id, rows)


#: The local time a date-only task's reminders count back from: 09:00 on its date in its
#: owner's zone (an offset of a day reminds at 09:00 the day before, across DST too).
DATE_ONLY_REMINDER_TIME = time(9, 0)


def reminder_at(task: tasks.ReminderView, offset: int, timezone: str | None) -> datetime:
    """When the reminder ``offset`` minutes before a task falls due fires: before its due
    time, or, for a date-only task, before 09:00 of its date on the owner's wall clock
    (``timezone``). A wall time the clocks skip comes an hour later by the clock."""
    if task.due_date is None or timezone is None:
        assert task.due_at is not None
        return task.due_at - timedelta(minutes=offset)
    wall = datetime.combine(task.due_date, DATE_ONLY_REMINDER_TIME) - timedelta(minutes=offset)
    return wall.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def _reminder_text(offset: int, date_only: bool = False) -> str:
    if date_only and offset < 9 * 60:  # before 09:00 of the day it is due
        return "Due today."
    if offset == 0:
        return "Due now."
    if offset % 1440 == 0:
        days = offset // 1440
        return f"Due in {days} day{'s' if days > 1 else ''}."
    if offset % 60 == 0:
        hours = offset // 60
        return f"Due in {hours} hour{'s' if hours > 1 else ''}."
    return f"Due in {offset} minute{'s' if offset > 1 else ''}."


async def fire_due(conn: Connection, limit: int = 100, settings: Settings | None = None) -> int:
    """Fire the reminders whose time has come: each becomes an in-app notification and is
    marked fired in this transaction (rows locked, others' skipped: once however many
    workers run), and, with ``settings``, an email too if the account wants reminder mail.
    How many fired."""
    now = utcnow()
    fired = 0
    for reminder in await repo.due_reminders(conn, now, limit):
        task = await tasks.reminder_view(conn, reminder.task_id)
        if task is not None and task.status != "done":
            notification = {
                "id": uuid7(),
                "user_id": reminder.user_id,
                "kind": "reminder",
                "task_id": reminder.task_id,
                "title": task.title,
                "body": _reminder_text(reminder.offset_minutes, task.due_date is not None),
                "created_at": now,
            }
            await repo.insert_notification(conn, notification)
            # Open streams show it at once (the bell); no consumer acts on it.
            await events.record(
                conn,
                "notification.created",
                reminder.user_id,
                notification["id"],
                NotificationOut(**notification, read_at=None).model_dump(mode="json"),
            )
            if settings is not None:
                await _mail_reminder(conn, settings, reminder.user_id, task.title, reminder)
            fired += 1
        await repo.mark_fired(conn, reminder.id, now)
    return fired


async def _mail_reminder(
    conn: Connection, settings: Settings, user_id: uuid.UUID, title: str, reminder: AnyRow
) -> None:
    """A reminder by email, to a verified address whose owner has not turned them off;
    with a one-click unsubscribe (non-essential mail)."""
    profile = await users.active_profile(conn, user_id)
    if profile is None or profile.email_verified_at is None:
        return
    if not profile.preferences.email.reminders:
        return
    base = settings.public_base_url.rstrip("/")
    text = messages.reminder(
        profile.name, title, _reminder_text(reminder.offset_minutes), f"{base}/settings"
    )
    await queue_mail(
        conn,
        kind="reminder",
        to=profile.email,
        subject=text.subject,
        text=text.text,
        html=text.html,
        unsubscribe_url=links.unsubscribe_url(
            settings, await link_secret(conn, settings), user_id, "reminders"
        ),
    )


def _out(row: AnyRow) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        task_id=row.task_id,
        title=row.title,
        body=row.body,
        created_at=row.created_at,
        read_at=row.read_at,
    )


async def page(
    conn: Connection,
    user_id: uuid.UUID,
    cursor: str | None,
    limit: int,
    *,
    unread_only: bool,
) -> NotificationPage:
    listing = "notifications:unread" if unread_only else "notifications"
    before = decode_cursor(cursor, listing, ("id",))[0] if cursor else None
    rows = await repo.page(conn, user_id, before, limit + 1, unread_only=unread_only)
    next_cursor = encode_cursor(listing, [rows[limit - 1].id]) if len(rows) > limit else None
    return NotificationPage(items=[_out(row) for row in rows[:limit]], next_cursor=next_cursor)


async def unread_count(conn: Connection, user_id: uuid.UUID) -> int:
    return await repo.unread_count(conn, user_id)


async def mark_read(
    conn: Connection, user_id: uuid.UUID, notification_id: uuid.UUID | None
) -> None:
    """Mark one notification (someone else's is a 404), or all, read."""
    matched = await repo.mark_read(conn, user_id, notification_id, utcnow())
    if notification_id is not None and matched == 0:
        raise NotFound("No such notification.")


# --- email ------------------------------------------------------------------------------------

RESET_MAIL = "reset-mail"  # the consumer that mails reset links
MAIL_BATCH = 20
MAX_ATTEMPTS = 10


async def queue_mail(
    conn: Connection,
    *,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    unsubscribe_url: str | None = None,
) -> None:
    """An email to send, in ``conn``'s transaction: it goes out only if that commits.
    ``unsubscribe_url`` (non-essential mail only) becomes its List-Unsubscribe header."""
    mail_id = uuid7()
    await repo.insert_mail(
        conn,
        {
            "id": mail_id,
            "kind": kind,
            "to_address": to,
            "subject": subject,
            "text_body": text,
            "html_body": html,
            "message_id": mail.message_id(str(mail_id)),
            "created_at": utcnow(),
            "attempts": 0,
            "unsubscribe_url": unsubscribe_url,
        },
    )


async def send_pending(conn: Connection, settings: Settings) -> int:
    """Send the mail waiting in the outbox (rows locked, others' skipped); how many. A send
    that fails is counted and tried again on a later turn, up to MAX_ATTEMPTS."""
    sent = 0
    for row in await repo.unsent_mail(conn, MAIL_BATCH):
        if row.attempts >= MAX_ATTEMPTS:
            continue
        message = mail.build(
            settings,
            to=row.to_address,
            subject=row.subject,
            text=row.text_body or "",
            html=row.html_body,
            message_id=row.message_id,
            unsubscribe_url=row.unsubscribe_url,
        )
        try:
            await mail.send(settings, f"{row.created_at:%Y%m%dT%H%M%S}-{row.id}", message)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("mail %s not sent (attempt %d): %s", row.id, row.attempts + 1, error)
            await repo.count_attempt(conn, row.id)
            continue
        await repo.mark_sent(conn, row.id, utcnow())
        sent += 1
    return sent


async def mail_password_reset(ctx: AppContext, conn: Connection, event: Event) -> None:
    """A reset was asked for an address: if an active account has it, a link goes to it.
    The request itself answered the same either way; this runs in the worker."""
    if event.kind != "auth.password_reset_requested":
        return
    issued = await auth.issue_reset(ctx, conn, str(event.payload["email"]))
    if issued is None:
        return
    link = f"{ctx.settings.public_base_url.rstrip('/')}/reset-password#token={issued.token}"
    minutes = ctx.settings.password_reset_ttl_seconds // 60
    composed = messages.password_reset(issued.name, link, minutes)
    await _queue(conn, "password_reset", issued.email, composed)


MAIL_LINKS = "mail-links"
_secrets: dict[str, bytes] = {}


async def link_secret(conn: Connection, settings: Settings) -> bytes:
    """The key of the unsubscribe links: the setting, or the one kept in the database (made
    by whichever process needs it first; every other reads that one)."""
    if settings.mail_link_secret:
        return settings.mail_link_secret.encode()
    known = _secrets.get(settings.database_url)
    if known is None:
        stored = await repo.link_secret(conn, MAIL_LINKS)
        if stored is None:
            await repo.add_link_secret(conn, MAIL_LINKS, secrets.token_hex(32), utcnow())
            stored = await repo.link_secret(conn, MAIL_LINKS)
            assert stored is not None
        known = _secrets[settings.database_url] = stored.encode()
    return known


UNSUBSCRIBE_INVALID = "This unsubscribe link is not valid."


async def unsubscribe(ctx: AppContext, conn: Connection, token: str) -> tuple[uuid.UUID, str]:
    """A one-click unsubscribe: the kind of mail the signed token names is turned off for its
    account (a second click changes nothing). The account and the kind; a 422 on ``token``
    if we did not sign it."""
    found = links.read_unsubscribe_token(await link_secret(conn, ctx.settings), token)
    if found is None or not await users.opt_out(conn, *found):
        raise ValidationProblem.single("token", UNSUBSCRIBE_INVALID)
    return found


#: The consumer that mails verification and email-change links and new-device notices.
ACCOUNT_MAIL = "account-mail"


async def mail_account(ctx: AppContext, conn: Connection, event: Event) -> None:
    """Security mail (never with an unsubscribe header): a link that verifies an address, a
    link that confirms an email change (with a notice to the current address, or, if the new
    address belongs to another account, a word to it instead), a new-device login notice."""
    base = ctx.settings.public_base_url.rstrip("/")
    hours = ctx.settings.email_token_ttl_seconds // 3600
    if event.kind == users.VERIFICATION_REQUESTED:
        link = await users.issue_verification(ctx, conn, uuid.UUID(event.payload["user_id"]))
        if link is None or link.token is None:
            return
        composed = messages.verify_email(
            link.name, f"{base}/verify-email#token={link.token}", hours
        )
        await _queue(conn, "verify_email", link.to, composed)
    elif event.kind == users.EMAIL_CHANGE_REQUESTED:
        user_id = uuid.UUID(event.payload["user_id"])
        link = await users.issue_email_change(ctx, conn, user_id, event.payload["new_email"])
        if link is None:
            return
        if link.token is None:
            await _queue(
                conn, "email_taken", link.to, messages.address_taken(f"{base}/forgot-password")
            )
            return
        confirm = f"{base}/verify-email#token={link.token}"
        await _queue(
            conn, "email_change", link.to, messages.confirm_new_address(link.name, confirm, hours)
        )
        await _queue(
            conn,
            "email_change_notice",
            link.current,
            messages.change_notice(link.name, link.to, hours),
        )
    elif event.kind == auth.LOGIN_NOTICE and event.subject_id is not None:
        notice = await auth.issue_login_notice(ctx, conn, event.subject_id)
        if notice is None:
            return
        composed = messages.login_notice(
            notice.name,
            str(event.payload.get("user_agent") or ""),
            str(event.payload.get("network") or ""),
            str(event.payload.get("at") or "")[:19].replace("T", " "),
            f"{base}/end-session#token={notice.token}",
        )
        await _queue(conn, "login_notice", notice.email, composed)


async def _queue(conn: Connection, kind: str, to: str, composed: messages.Composed) -> None:
    await queue_mail(
        conn, kind=kind, to=to, subject=composed.subject, text=composed.text, html=composed.html
    )


# --- the daily digest -------------------------------------------------------------------------

DIGESTS = "digests"  # the consumer that keeps each account's digest schedule
DIGEST_TASKS = 50


def _at_local(day: date, wall: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall time on a local date. A time the clocks skip (spring
    forward) comes out an hour later by the clock; one they repeat (fall back), the first."""
    hours, minutes = (int(part) for part in wall.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).astimezone(UTC)


def next_digest_at(after: datetime, wall: str, timezone: str) -> datetime:
    """The first moment after ``after`` when the local clock of ``timezone`` shows ``wall``."""
    zone = ZoneInfo(timezone)
    day = after.astimezone(zone).date()
    candidate = _at_local(day, wall, zone)
    return candidate if candidate > after else _at_local(day + timedelta(days=1), wall, zone)


async def plan_digest(conn: Connection, event: Event) -> None:
    """Keep the account's digest schedule in line with its settings (on or off, its time, its
    time zone), whatever the order its changes are handled in: the profile is read now."""
    if event.kind != users.PROFILE_CHANGED:
        return
    user_id = uuid.UUID(event.payload["user_id"])
    profile = await users.active_profile(conn, user_id)
    if profile is None or not profile.preferences.email.digest:
        await repo.set_digest(conn, user_id, None)
        return
    wall = profile.preferences.email.digest_time
    await repo.set_digest(conn, user_id, next_digest_at(utcnow(), wall, profile.timezone))


async def send_digests(
    conn: Connection, settings: Settings, now: datetime | None = None, limit: int = 100
) -> int:
    """Queue the digests whose time has come (rows locked, others' skipped: once however many
    workers run): the account's open tasks due by the end of that local day, overdue ones
    included, to a verified address; none when nothing is due. The next one is the same wall
    time on the next local date, so it moves with daylight-saving time. How many went."""
    now = now or utcnow()
    sent = 0
    for row in await repo.due_digests(conn, now, limit):
        profile = await users.active_profile(conn, row.user_id)
        if profile is None or not profile.preferences.email.digest:
            await repo.set_digest(conn, row.user_id, None)
            continue
        zone = ZoneInfo(profile.timezone)
        wall = profile.preferences.email.digest_time
        day = row.next_at.astimezone(zone).date()
        if profile.email_verified_at is not None:
            sent += await _digest(conn, settings, profile, day, zone)
        following = _at_local(day + timedelta(days=1), wall, zone)
        if following <= now:  # the worker was away for days: no catching up
            following = next_digest_at(now, wall, profile.timezone)
        await repo.set_digest(conn, row.user_id, following)
    return sent


def _as_utc(value: Any) -> datetime:
    """A timestamp as the list read returns it (aware, naive UTC, or SQLite's text)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _digest(
    conn: Connection, settings: Settings, profile: Any, day: date, zone: ZoneInfo
) -> int:
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    query = TaskQuery(
        status=["todo", "in_progress"], due_before=end, sort="due_at", limit=DIGEST_TASKS
    )
    page = await tasks.list_tasks(conn, profile.id, tasks.task_filter(query))
    if not page["items"]:
        return 0
    lines = []
    for task in page["items"]:
        if task["due_date"] is not None:  # date-only: a day, no time
            due: date = task["due_date"]
            when = "today" if due == day else f"overdue since {due:%d %b}"
            lines.append(f"{task['title']} ({when})")
            continue
        local = _as_utc(task["due_at"]).astimezone(zone)
        when = f"{local:%H:%M}" if local.date() == day else f"overdue since {local:%d %b}"
        lines.append(f"{task['title']} ({when})")
    base = settings.public_base_url.rstrip("/")
    composed = messages.digest(
        profile.name, f"{day:%A %d %B}", lines, page["next_cursor"] is not None, f"{base}/settings"
    )
    await queue_mail(
        conn,
        kind="digest",
        to=profile.email,
        subject=composed.subject,
        text=composed.text,
        html=composed.html,
        unsubscribe_url=links.unsubscribe_url(
            settings, await link_secret(conn, settings), profile.id, "digest"
        ),
    )
    return 1


def sse(event: Event) -> bytes:
    """One Server-Sent Event: its id (the Last-Event-ID a reconnect sends), its kind and the
    JSON of what happened."""
    data = orjson.dumps(
        {
            "id": str(event.id),
            "kind": event.kind,
            "subject_id": str(event.subject_id) if event.subject_id else None,
            "payload": event.payload,
            "created_at": event.created_at,
        }
    )
    return b"id: %s\nevent: %s\ndata: %s\n\n" % (str(event.id).encode(), event.kind.encode(), data)


async def work_waiting(conn: Connection) -> bool:
    """Whether a reminder is due or a mail waits to be sent."""
    return await repo.anything_due(conn, utcnow())
