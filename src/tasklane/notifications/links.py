"""Signed links of non-essential mail: the one-click unsubscribe of RFC 8058.

A token names an account and a kind of mail, signed with HMAC-SHA256 under
``TASKLANE_MAIL_LINK_SECRET`` (development and tests: a secret generated once under
``var_dir``). It is not stored and does not expire: an unsubscribe link in an old message must
still work, and all it can do is turn that one kind of mail off for that one account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

from tasklane.settings import Settings
from tasklane.users.schemas import MailKind

UNSUBSCRIBE_PATH = "/api/v1/mail/unsubscribe"
KINDS: tuple[MailKind, ...] = ("reminders", "digest")
_MAC_BYTES = 16
_secrets: dict[str, bytes] = {}


def _secret(settings: Settings) -> bytes:
    if settings.mail_link_secret:
        return settings.mail_link_secret.encode()
    path = Path(settings.var_dir) / "mail-link.key"
    known = _secrets.get(str(path))
    if known is not None:
        return known
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        if not path.exists():  # another process may have made it meanwhile
            temporary.replace(path)
        else:
            temporary.unlink(missing_ok=True)
    secret = path.read_text().strip().encode()
    _secrets[str(path)] = secret
    return secret


def _mac(settings: Settings, body: bytes) -> bytes:
    return hmac.new(_secret(settings), b"unsubscribe\0" + body, hashlib.sha256).digest()[
        :_MAC_BYTES
    ]


def unsubscribe_token(settings: Settings, user_id: uuid.UUID, kind: MailKind) -> str:
    body = user_id.bytes + bytes([KINDS.index(kind)])
    return base64.urlsafe_b64encode(body + _mac(settings, body)).rstrip(b"=").decode()


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[uuid.UUID, MailKind] | None:
    """The account and kind a token names, or None if it is not one we signed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 17 + _MAC_BYTES:
        return None
    body, mac = raw[:17], raw[17:]
    if not hmac.compare_digest(mac, _mac(settings, body)) or body[16] >= len(KINDS):
        return None
    return uuid.UUID(bytes=body[:16]), KINDS[body[16]]


def unsubscribe_url(settings: Settings, user_id: uuid.UUID, kind: MailKind) -> str:
    token = unsubscribe_token(settings, user_id, kind)
    return f"{settings.public_base_url.rstrip('/')}{UNSUBSCRIBE_PATH}?token={token}"
