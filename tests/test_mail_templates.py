"""The mail templates (``notifications.messages``): every one renders, as plain text and as
HTML that parses into a proper tree, with each user's text (a name, a task's title, a user
agent...) escaped in the HTML and on one line in the subject; the non-essential mail
(reminders, the digest) says how to turn it off and links to where, security mail never does.
Every public function of the module is rendered here, so a new template is checked too."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import update

from tasklane.notifications import mail, messages
from tasklane.notifications.models import reminders
from tasklane.settings import Settings
from tests.helpers import Api
from tests.mail_support import Mailing, html_of, mailing, sink, text_of

__all__ = ["mailing", "sink"]  # fixtures

#: What a user may type: markup, an entity, quotes, a line break (a header cannot hold one).
HOSTILE = 'Ann <script>alert("x")</script> & <img src=x onerror=alert(1)>\r\nBcc: eve@example.com'
LINK = "https://tasks.example.com/verify-email#token=a&b=\"c'<d>"
#: Each template parameter's value: user text is hostile, links carry characters to escape.
VALUES: dict[str, Any] = {
    "name": HOSTILE,
    "title": HOSTILE,
    "when": "Due in 1 hour.",
    "new_email": 'new"<b>@example.com',
    "user_agent": HOSTILE,
    "network": "203.0.113.0/24",
    "at": "2026-12-03 09:00:00",
    "day": "Thursday 03 December",
    "lines": [HOSTILE, "Second (09:00)"],
    "more": True,
    "hours": 24,
    "minutes": 30,
    "link": LINK,
    "forgot_link": LINK.replace("verify-email", "forgot-password"),
    "end_link": LINK.replace("verify-email", "end-session"),
    "settings_link": "https://tasks.example.com/settings?a=1&b=2",
}
USER_TEXT = ("name", "title", "user_agent", "new_email", "lines")
LINKS = ("link", "forgot_link", "end_link", "settings_link")
#: The mail a user may turn off (``Preferences.email``): it says so and links to where.
NON_ESSENTIAL = {"reminder", "digest"}

TEMPLATES: dict[str, Callable[..., messages.Composed]] = {
    name: function
    for name, function in inspect.getmembers(messages, inspect.isfunction)
    if function.__module__ == messages.__name__ and not name.startswith("_")
}


class Tree(HTMLParser):
    """The parts of an HTML body the checks need, and what is wrong with its structure."""

    VOID = frozenset({"br", "hr", "img", "wbr"})
    BLOCK = frozenset({"p", "ul", "ol", "li", "div", "table", "blockquote", "h1", "h2", "h3"})

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.text = ""
        self._anchor: list[str] | None = None
        self.feed(markup)
        self.close()
        self.problems += [f"<{tag}> never closed" for tag in self.open]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "iframe", "img"}:
            self.problems.append(f"<{tag}> in the body")
        self.problems += [f"{name}= on <{tag}>" for name, _ in attrs if name.startswith("on")]
        if tag in self.BLOCK and "p" in self.open:
            self.problems.append(f"<{tag}> inside <p>")
        if tag == "li" and (not self.open or self.open[-1] not in {"ul", "ol"}):
            self.problems.append("<li> outside a list")
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", ""))
            self._anchor = []
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()
        if tag == "a" and self._anchor is not None:
            href, _ = self.links[-1]
            self.links[-1] = (href, "".join(self._anchor))
            self._anchor = None

    def handle_data(self, data: str) -> None:
        self.text += data
        if self._anchor is not None:
            self._anchor.append(data)


def _render(name: str) -> tuple[messages.Composed, dict[str, Any]]:
    function = TEMPLATES[name]
    parameters = inspect.signature(function).parameters
    missing = [p for p in parameters if p not in VALUES]
    assert not missing, f"give {name}'s {missing} a test value in VALUES"
    given = {p: VALUES[p] for p in parameters}
    return function(**given), given


def test_every_template_is_rendered_here() -> None:
    assert {"verify_email", "password_reset", "login_notice", "reminder", "digest"} <= set(
        TEMPLATES
    )


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_template_renders_escaped_html_and_a_sendable_message(
    name: str, settings: Settings
) -> None:
    composed, given = _render(name)
    tree = Tree(composed.html)
    assert tree.problems == [], composed.html
    # Each user's text shows as it was typed, in the text and (escaped) in the HTML.
    typed = [v for p in USER_TEXT if p in given for v in (given[p] if p == "lines" else [given[p]])]
    for value in typed:
        assert value in composed.text
        assert " ".join(value.split()) in " ".join(tree.text.split()), composed.html
    assert "<script" not in composed.html
    # The links are the ones given, whole, and nothing else.
    links = [given[p] for p in LINKS if p in given]
    assert sorted({href for href, _ in tree.links}) == sorted(links), tree.links
    for link in links:
        assert link in composed.text
    # A subject is one line, and the message it makes can be sent.
    assert "\n" not in composed.subject
    assert "\r" not in composed.subject
    assert len(composed.subject) <= 200
    message = mail.build(
        settings,
        to="someone@example.com",
        subject=composed.subject,
        text=composed.text,
        html=composed.html,
        message_id=mail.message_id(str(uuid.uuid4())),
    )
    assert bytes(message)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_only_non_essential_mail_says_how_to_turn_it_off_and_links_there(name: str) -> None:
    composed, given = _render(name)
    tree = Tree(composed.html)
    turn_off = [href for href, text in tree.links if text.startswith("turn") and "off" in text]
    if name in NON_ESSENTIAL:
        assert turn_off == [given["settings_link"]], tree.links
        assert f"turn them off in {given['settings_link']}" in composed.text or (
            f"turn it off in {given['settings_link']}" in composed.text
        )
    else:  # security mail always goes
        assert turn_off == []
        assert "settings_link" not in given


async def test_a_reminder_of_a_title_with_markup_and_a_line_break_is_sent(
    mailing: Mailing,
) -> None:
    """A task's title is the reminder's subject: a line break in it becomes a space (else the
    message could not be built, and the worker would try it for ever); its markup is text."""
    api = Api(mailing.client())
    user = await mailing.verified_user(api)
    title = "Pay <b>rent</b> &\nthe plumber"
    due = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    task = await api.create_task(user, title=title, due_at=due, reminder_offsets=[0])
    await mailing.turns()
    async with mailing.app.state.ctx.db.transaction() as conn:
        await conn.execute(
            update(reminders)
            .where(reminders.c.task_id == uuid.UUID(task["id"]))
            .values(fire_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await mailing.turns()
    (message,) = [m for m in mailing.take() if m["To"] == user.email]
    assert message["Subject"] == "Reminder: Pay <b>rent</b> & the plumber"
    assert "Pay <b>rent</b> &\r\nthe plumber" in text_of(message)  # the text as typed
    assert "Pay &lt;b&gt;rent&lt;/b&gt; &amp;" in html_of(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
