"""The text of the account mail: plain text and HTML of each message, nothing else.

Every value that comes from a user (a name, an address, a user agent, a task's title) is
escaped in the HTML, and a subject holding one is made one line (a header cannot hold a line
break). Non-essential mail (reminders, the digest) says how to turn it off and links to where.
``tests/test_mail_templates.py`` renders every function here with hostile values.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True, slots=True)
class Composed:
    subject: str
    text: str
    html: str


def _html(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _one_line(text: str) -> str:
    """``text`` fit for a header: its line breaks and runs of spaces as one space."""
    return " ".join(text.split())


def password_reset(name: str, link: str, minutes: int) -> Composed:
    return Composed(
        "Reset your Tasklane password",
        f"Hello {name},\n\n"
        "Someone asked to reset the password of your Tasklane account. To choose a new one,\n"
        f"open this link within {minutes} minutes (it works once):\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n",
        _html(
            f"Hello {escape(name)},",
            "Someone asked to reset the password of your Tasklane account. To choose a new "
            f"one, open this link within {minutes} minutes (it works once):",
            f'<a href="{escape(link)}">Choose a new password</a>',
            "If it was not you, ignore this message: your password stays as it is.",
        ),
    )


def verify_email(name: str, link: str, hours: int) -> Composed:
    return Composed(
        "Confirm your email address for Tasklane",
        f"Hello {name},\n\n"
        "Please confirm that this address is yours by opening this link within "
        f"{hours} hours (it works once):\n\n{link}\n\n"
        "If you did not create a Tasklane account, ignore this message.\n",
        _html(
            f"Hello {escape(name)},",
            "Please confirm that this address is yours by opening this link within "
            f"{hours} hours (it works once):",
            f'<a href="{escape(link)}">Confirm my address</a>',
            "If you did not create a Tasklane account, ignore this message.",
        ),
    )


def confirm_new_address(name: str, link: str, hours: int) -> Composed:
    return Composed(
        "Confirm your new email address for Tasklane",
        f"Hello {name},\n\n"
        "You asked to use this address for your Tasklane account. Open this link within "
        f"{hours} hours to make the change (it works once):\n\n{link}\n\n"
        "If you did not ask for this, ignore this message: nothing changes.\n",
        _html(
            f"Hello {escape(name)},",
            "You asked to use this address for your Tasklane account. Open this link within "
            f"{hours} hours to make the change (it works once):",
            f'<a href="{escape(link)}">Use this address</a>',
            "If you did not ask for this, ignore this message: nothing changes.",
        ),
    )


def address_taken(forgot_link: str) -> Composed:
    return Composed(
        "Your Tasklane email address",
        "Someone asked to move a Tasklane account to this address, but an account with this "
        "address exists already, so nothing changed.\n\n"
        "If it was you and you cannot sign in to that account, you can choose a new password:"
        f"\n\n{forgot_link}\n",
        _html(
            "Someone asked to move a Tasklane account to this address, but an account with "
            "this address exists already, so nothing changed.",
            "If it was you and you cannot sign in to that account, you can "
            f'<a href="{escape(forgot_link)}">choose a new password</a>.',
        ),
    )


def change_notice(name: str, new_email: str, hours: int) -> Composed:
    return Composed(
        "Your Tasklane email address is about to change",
        f"Hello {name},\n\n"
        f"Someone signed in to your Tasklane account asked to change its address to "
        f"{new_email}. The change happens only if the link sent there is opened within "
        f"{hours} hours.\n\n"
        "If it was not you, change your password now: that also ends every other session.\n",
        _html(
            f"Hello {escape(name)},",
            "Someone signed in to your Tasklane account asked to change its address to "
            f"<strong>{escape(new_email)}</strong>. The change happens only if the link sent "
            f"there is opened within {hours} hours.",
            "If it was not you, change your password now: that also ends every other session.",
        ),
    )


def login_notice(name: str, user_agent: str, network: str, at: str, end_link: str) -> Composed:
    device = user_agent or "an unknown browser"
    return Composed(
        "New sign-in to your Tasklane account",
        f"Hello {name},\n\n"
        f"Your account was signed in to from a device it has not used before:\n\n"
        f"  {device}\n  network {network}\n  at {at} (UTC)\n\n"
        f"If it was you, there is nothing to do. If not, end that session:\n\n{end_link}\n\n"
        "and change your password.\n",
        _html(
            f"Hello {escape(name)},",
            "Your account was signed in to from a device it has not used before:",
            f"{escape(device)}<br>network {escape(network)}<br>at {escape(at)} (UTC)",
            "If it was you, there is nothing to do. If not, "
            f'<a href="{escape(end_link)}">end that session</a> and change your password.',
        ),
    )


def reminder(name: str, title: str, when: str, settings_link: str) -> Composed:
    return Composed(
        _one_line(f"Reminder: {title}")[:200],
        f"Hello {name},\n\n{title}\n{when}\n\n"
        f"You get these because reminder emails are on; turn them off in {settings_link}\n",
        _html(
            f"Hello {escape(name)},",
            f"<strong>{escape(title)}</strong><br>{escape(when)}",
            "You get these because reminder emails are on; "
            f'<a href="{escape(settings_link)}">turn them off in your settings</a>.',
        ),
    )


def digest(name: str, day: str, lines: list[str], more: bool, settings_link: str) -> Composed:
    count = f"{len(lines)}{'+' if more else ''}"
    tail = "\n(and more: see the app)" if more else ""
    return Composed(
        f"Due today: {count} task{'s' if len(lines) != 1 or more else ''}",
        f"Hello {name},\n\nDue or overdue on {day}:\n\n"
        + "\n".join(f"- {line}" for line in lines)
        + f"{tail}\n\nYou get this daily digest because it is on; turn it off in "
        f"{settings_link}\n",
        _html(f"Hello {escape(name)},", f"Due or overdue on {escape(day)}:")
        + "<ul>"
        + "".join(f"<li>{escape(line)}</li>" for line in lines)
        + "</ul>"
        + _html(
            *(["(and more: see the app)"] if more else []),
            "You get this daily digest because it is on; "
            f'<a href="{escape(settings_link)}">turn it off in your settings</a>.',
        ),
    )
