"""Who is calling: the ``CurrentUser`` every protected route names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from tasklane.auth.service import device_known, session_is_valid
from tasklane.core.caller import Caller, caller_of
from tasklane.core.context import AppContext
from tasklane.core.errors import Unauthorized
from tasklane.core.ratelimit import account_key
from tasklane.core.security import AccessClaims, hash_refresh_token
from tasklane.users.service import normalize_email


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    session_id: uuid.UUID
    claims: AccessClaims  # of the token the request carried (its expiry, for long streams)


async def authenticate(caller: Caller) -> Principal:
    """The caller as an authenticated user (a valid token of a live session), or an
    Unauthorized problem. The routes (``CurrentUser``) and the tasks' read lane call this."""
    if caller.token is None:
        raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
    claims = caller.claims
    if claims is None:
        raise Unauthorized("The access token is invalid or expired.")
    if not await session_is_valid(caller.app, claims):
        raise Unauthorized("The session has ended; log in again.")
    return Principal(claims.user_id, claims.session_id, claims)


class _BearerPrincipal(OAuth2PasswordBearer):
    """The OAuth2 bearer scheme as the OpenAPI document shows it, answering with the
    authenticated caller the edge already read (the header is not parsed again)."""

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        return await authenticate(caller_of(request.scope))


current_principal = _BearerPrincipal(
    tokenUrl="/api/v1/auth/login", auto_error=False, scheme_name="OAuth2PasswordBearer"
)

CurrentUser = Annotated[Principal, Depends(current_principal)]


async def limit_auth(request: Request, ctx: AppContext, account: str | None = None) -> None:
    """The stricter policy of the auth endpoints: per client address, and per target account
    (``account``: an email address as typed) so that a brute force spread over many addresses
    is stopped too. Checked, and counted, before any password is hashed: a burst of parallel
    guesses cannot run more password checks than the budget."""
    await ctx.limiter.enforce(ctx.limiter.auth_address, caller_of(request.scope).client)
    if account is not None:
        await ctx.limiter.enforce(ctx.limiter.auth_account, _account(account))


async def limit_login(
    request: Request, ctx: AppContext, email: str, device_token: str | None
) -> str:
    """:func:`limit_auth` for a login, where a browser the account has signed in on before
    (its device cookie, issued only after a successful login) has a budget of its own: a
    brute force against the account, from anywhere else, cannot lock its owner out of their
    own devices. The budget key spent (to forgive on success)."""
    await ctx.limiter.enforce(ctx.limiter.auth_address, caller_of(request.scope).client)
    key = _account(email)
    if device_token is not None:
        async with ctx.db.primary_reader() as conn:
            known = await device_known(conn, email, device_token)
        if known:
            key = f"{key}:device:{hash_refresh_token(device_token).hex()}"
    await ctx.limiter.enforce(ctx.limiter.auth_account, key)
    return key


async def forgive_account(ctx: AppContext, key: str) -> None:
    """A successful login: the budget it spent (:func:`limit_login`) counts failures, not
    sign-ins."""
    await ctx.limiter.forgive(ctx.limiter.auth_account, key)


def _account(email: str) -> str:
    return account_key(normalize_email(email))
