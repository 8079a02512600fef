"""Who is calling, worked out once per request by the edge (``core.http.EdgeMiddleware``).

The edge reads the ``Authorization`` header once, verifies the access token's signature and
lifetime once (a cached check, no database), and puts the result in the request's scope and
in a context variable. Everything after it reads that one object: the rate limiter (per user
or per address), replica routing in ``core.db`` (the request's method and user), the
``CurrentUser`` dependency and the tasks' read lane (which add the session check).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import Scope

from tasklane.core.security import AccessClaims, InvalidToken, UnknownKey

if TYPE_CHECKING:
    from tasklane.core.context import AppContext

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The scope key the edge stores the caller under.
SCOPE_KEY = "tasklane.caller"


@dataclass(slots=True)
class Caller:
    """One HTTP request's caller. ``claims`` are those of a bearer token whose signature and
    lifetime are valid; whether its session is still live is checked only where a route
    needs an authenticated user (``auth.deps.authenticate``)."""

    app: AppContext
    method: str
    client: str  # the peer's address (or the trusted proxy's X-Forwarded-For)
    token: str | None  # the bearer token as sent, if any
    claims: AccessClaims | None
    #: The request's user has been remembered as a writer (read-your-writes), once a request.
    marked_write: bool = False
    #: The key id of a token signed with a key this process does not know yet: the edge
    #: asks for the key set again (rate-limited) and resolves the caller once more.
    unknown_kid: str | None = None

    @property
    def safe(self) -> bool:
        """A GET, HEAD or OPTIONS: its reads may go to a replica."""
        return self.method in SAFE_METHODS

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.claims.user_id if self.claims is not None else None


_current: ContextVar[Caller | None] = ContextVar("tasklane_caller", default=None)


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def resolve(scope: Scope, app: AppContext) -> Caller:
    """The caller of the request in ``scope`` (called once, by the edge)."""
    token = bearer_token(scope)
    claims = None
    unknown_kid = None
    if token is not None:
        try:
            claims = app.tokens.verify_access_token(token)
        except UnknownKey as error:
            unknown_kid = error.kid
        except InvalidToken:
            claims = None  # refused where a user is needed; anonymous for the rate limit
    return Caller(
        app, scope["method"], client_address(scope), token, claims, unknown_kid=unknown_kid
    )


def enter(scope: Scope, caller: Caller) -> object:
    """Make ``caller`` the request's caller; pass the result to :func:`leave` at its end."""
    scope[SCOPE_KEY] = caller
    return _current.set(caller)


def leave(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def caller_of(scope: Scope) -> Caller:
    """The caller the edge put in ``scope``."""
    caller: Caller = scope[SCOPE_KEY]
    return caller


def current_caller() -> Caller | None:
    """The caller of the request served in this task, or None outside a request (the CLI,
    start-up, background work)."""
    return _current.get()
