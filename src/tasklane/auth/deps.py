"""Who is calling: the ``CurrentUser`` every protected route names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param

from tasklane.auth.service import session_is_valid
from tasklane.core.context import AppContext
from tasklane.core.errors import Unauthorized
from tasklane.core.ratelimit import account_key, client_address
from tasklane.core.security import InvalidToken
from tasklane.users.service import normalize_email

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    session_id: uuid.UUID


async def current_principal(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    """The caller of a protected route. Takes the process context from the request itself (not
    the ``Ctx`` dependency): a sub-dependency less on every authenticated request."""
    return await authenticate(request.app.state.ctx, token)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, as the OAuth2 scheme above reads it."""
    scheme, token = get_authorization_scheme_param(authorization)
    return token if authorization and scheme.lower() == "bearer" else None


async def authenticate(ctx: AppContext, token: str | None) -> Principal:
    """Who sent ``token``, or an Unauthorized problem (tasks.lane calls this directly)."""
    if not token:
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
    try:
        claims = ctx.tokens.verify_access_token(token)
    except InvalidToken as error:
        raise Unauthorized("The access token is invalid or expired.") from error
    if not await session_is_valid(ctx, claims):
        raise Unauthorized("The session has ended; log in again.")
    return Principal(claims.user_id, claims.session_id)


CurrentUser = Annotated[Principal, Depends(current_principal)]


async def limit_auth(request: Request, ctx: AppContext, account: str | None = None) -> None:
    """The stricter policy of the auth endpoints: per client address, and per target account
    (``account``: an email address as typed) so that a brute force spread over many addresses
    is stopped too. Checked, and counted, before any password is hashed: a burst of parallel
    guesses cannot run more password checks than the budget."""
    await ctx.limiter.enforce(ctx.limiter.auth_address, client_address(request.scope))
    if account is not None:
        await ctx.limiter.enforce(ctx.limiter.auth_account, _account(account))


async def forgive_account(ctx: AppContext, account: str) -> None:
    """A successful login: the account's budget counts failures, not sign-ins."""
    await ctx.limiter.forgive(ctx.limiter.auth_account, _account(account))


def _account(email: str) -> str:
    return account_key(normalize_email(email))
