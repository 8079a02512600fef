"""Which database a read goes to: the request it belongs to, and who wrote recently.

With read replicas configured (``TASKLANE_DATABASE_REPLICA_URLS``), ``Database.reader()``
sends a read to a replica only when it belongs to a GET (or HEAD/OPTIONS) request, or to no
request at all, and the calling user has not written within the read-your-writes window. The
rest — the reads of a POST, PATCH or DELETE, and every read of a user who just wrote — go to
the primary, so nobody sees their own change vanish behind replication lag.

Two pieces live here:

- ``RequestRoutingMiddleware`` records, per HTTP request, its method and (lazily) the user of
  its bearer token, in a context variable the ``Database`` reads. Verifying the token is
  cached by ``TokenService``; the route's own ``CurrentUser`` dependency still decides whether
  the request is allowed at all.
- ``WriteTracker``: remembers that a user wrote, for ``read_your_writes_seconds``. The default
  ``LocalWriteTracker`` is in-process, which is enough for one instance; several instances
  behind a load balancer need a shared one (Redis) so that a write on one instance sends the
  user's next reads on any instance to the primary. Plug it in with
  ``Database(settings, write_tracker=...)`` or by assigning ``db.write_tracker``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from tasklane.core.cache import TTLCache
from tasklane.core.security import InvalidToken, TokenService

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteTracker(Protocol):
    """Who wrote recently. Both calls sit on the request path: keep them fast, and let them
    fail by raising (the caller then uses the primary; a failed mark is logged)."""

    async def mark_write(self, user_id: uuid.UUID) -> None:
        """``user_id`` just committed a write: send their reads to the primary for the window."""

    async def recently_wrote(self, user_id: uuid.UUID) -> bool:
        """Whether ``user_id`` committed a write within the window."""


class LocalWriteTracker:
    """The in-process ``WriteTracker``: one instance's memory, bounded and expiring."""

    def __init__(self, window_seconds: float, max_entries: int = 100_000) -> None:
        self.window_seconds = window_seconds
        self._recent: TTLCache[uuid.UUID, bool] = TTLCache(max_entries=max_entries)

    async def mark_write(self, user_id: uuid.UUID) -> None:
        self._recent.set(user_id, True, self.window_seconds)

    async def recently_wrote(self, user_id: uuid.UUID) -> bool:
        return self._recent.get(user_id) is not None


class RequestRoute:
    """What the routing needs to know about the HTTP request being served."""

    __slots__ = ("_resolved", "_token", "_user", "_verify", "marked", "method")

    def __init__(
        self,
        method: str,
        token: str | None,
        verify: Callable[[str], uuid.UUID | None] | None,
    ) -> None:
        self.method = method
        self._token = token
        self._verify = verify
        self._user: uuid.UUID | None = None
        self._resolved = False
        #: The request's user has been marked as a writer already (one mark per request).
        self.marked = False

    @property
    def safe(self) -> bool:
        """A GET, HEAD or OPTIONS: its reads may go to a replica."""
        return self.method in SAFE_METHODS

    def user_id(self) -> uuid.UUID | None:
        """The user of a valid bearer token, or None (anonymous, or an invalid token)."""
        if not self._resolved:
            self._resolved = True
            if self._token is not None and self._verify is not None:
                self._user = self._verify(self._token)
        return self._user


_current: ContextVar[RequestRoute | None] = ContextVar("tasklane_request_route", default=None)


def current_route() -> RequestRoute | None:
    """The request being served in this task, or None outside a request (CLI, start-up)."""
    return _current.get()


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def _verifier(scope: Scope) -> Callable[[str], uuid.UUID | None] | None:
    ctx: Any = getattr(getattr(scope.get("app"), "state", None), "ctx", None)
    tokens = getattr(ctx, "tokens", None)
    if not isinstance(tokens, TokenService):
        return None

    def verify(token: str) -> uuid.UUID | None:
        try:
            return tokens.verify_access_token(token).user_id
        except InvalidToken:  # no user; the route's CurrentUser answers 401 itself
            return None

    return verify


class RequestRoutingMiddleware:
    """Pure ASGI: makes the request's method and user known to ``Database`` for routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = RequestRoute(scope["method"], _bearer_token(scope), _verifier(scope))
        reset = _current.set(route)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(reset)
