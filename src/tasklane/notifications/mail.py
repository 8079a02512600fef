"""Email: composed as plain text and HTML, sent through SMTP or, without it, written to a
local mailbox (``var_dir/mail``, one ``.eml`` file a message, and a line in the log), so that
every flow works on a laptop.

Sending is at least once (the worker may die after the server took a message and before it
recorded that); every message carries a Message-ID fixed when it was composed, so a resend
is the same message to the receiving side.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tasklane.settings import Settings

logger = logging.getLogger("tasklane.mail")


def message_id(mail_id: str) -> str:
    return make_msgid(idstring=mail_id, domain="tasklane")


def build(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 2369 and RFC 8058: a mail client offers "unsubscribe", which POSTs
        # List-Unsubscribe=One-Click to the URL. Never set on security mail.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _send_smtp(url: str, message: EmailMessage, timeout: float) -> None:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=timeout)
    with client:
        if parts.scheme != "smtps" and client.has_extn("starttls"):
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _write_mailbox(directory: Path, name: str, message: EmailMessage) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.eml"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(bytes(message))
    temporary.replace(path)  # whole or not at all, for whoever reads the mailbox
    return path


async def send(settings: Settings, name: str, message: EmailMessage) -> None:
    """Deliver ``message`` (``name``: a unique, sortable file name for the mailbox)."""
    if settings.smtp_url:
        await asyncio.to_thread(_send_smtp, settings.smtp_url, message, 30.0)
        return
    path = await asyncio.to_thread(_write_mailbox, Path(settings.var_dir) / "mail", name, message)
    logger.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)
