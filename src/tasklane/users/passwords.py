"""The password policy of new passwords (registration, password change)."""

from __future__ import annotations

from functools import lru_cache

from tasklane.core.security import normalize_password
from tasklane.settings import Settings


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a ranked list of 30,000 passwords seen most often in public breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, settings: Settings, *, email: str | None = None) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    password = normalize_password(password)
    if len(password) < settings.password_min_length:
        return f"Use at least {settings.password_min_length} characters."
    if len(password) > settings.password_max_length:
        return f"Use at most {settings.password_max_length} characters."
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return "This password is too common; choose another."
    if email and lowered in (email.lower(), email.split("@", 1)[0].lower()):
        return "The password must not be your email address."
    return None
