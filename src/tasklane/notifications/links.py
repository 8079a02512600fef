"""Signed links of non-essential mail: the one-click unsubscribe of RFC 8058.

A token names an account and a kind of mail, signed with HMAC-SHA256. The key is
``TASKLANE_MAIL_LINK_SECRET`` when set; otherwise one the notification service generated once
and keeps in the database (``link_secrets``), so every instance and worker signs and checks
with the same key and no operator has to share one. A token is not stored and does not
expire: an unsubscribe link in an old message must still work, and all it can do is turn that
one kind of mail off for that one account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

from tasklane.settings import Settings
from tasklane.users.schemas import MailKind

UNSUBSCRIBE_PATH = "/api/v1/mail/unsubscribe"
KINDS: tuple[MailKind, ...] = ("reminders", "digest")
_MAC_BYTES = 16


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, b"unsubscribe\0" + body, hashlib.sha256).digest()[:_MAC_BYTES]


def unsubscribe_token(secret: bytes, user_id: uuid.UUID, kind: MailKind) -> str:
    body = user_id.bytes + bytes([KINDS.index(kind)])
    return base64.urlsafe_b64encode(body + _mac(secret, body)).rstrip(b"=").decode()


def read_unsubscribe_token(secret: bytes, token: str) -> tuple[uuid.UUID, MailKind] | None:
    """The account and kind a token names, or None if it is not one we signed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 17 + _MAC_BYTES:
        return None
    body, mac = raw[:17], raw[17:]
    if not hmac.compare_digest(mac, _mac(secret, body)) or body[16] >= len(KINDS):
        return None
    return uuid.UUID(bytes=body[:16]), KINDS[body[16]]


def unsubscribe_url(settings: Settings, secret: bytes, user_id: uuid.UUID, kind: MailKind) -> str:
    token = unsubscribe_token(secret, user_id, kind)
    return f"{settings.public_base_url.rstrip('/')}{UNSUBSCRIBE_PATH}?token={token}"
