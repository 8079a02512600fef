"""/api/v1/auth: register, log in, refresh, log out; /.well-known/jwks.json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from tasklane.auth import handlers
from tasklane.auth.deps import CurrentUser, forgive_account, limit_auth, limit_login
from tasklane.auth.schemas import (
    Accepted,
    EmailConfirmed,
    LinkToken,
    LoginIn,
    PasswordResetConfirm,
    PasswordResetRequest,
    RegisterIn,
    TokenOut,
)
from tasklane.auth.service import DEVICE_COOKIE_SECONDS
from tasklane.core.caller import caller_of
from tasklane.core.context import AppContext, Ctx
from tasklane.core.errors import Forbidden, Unauthorized, problem_responses, validation_problem
from tasklane.users.schemas import UserOut

AUTH_PATH = "/api/v1/auth"
router = APIRouter(prefix=AUTH_PATH, tags=["auth"])
jwks_router = APIRouter(tags=["auth"])


def _refresh_cookie(request: Request, ctx: AppContext) -> str | None:
    return request.cookies.get(ctx.settings.refresh_cookie_name)


def _set_refresh_cookie(response: Response, ctx: AppContext, token: str) -> None:
    response.set_cookie(
        ctx.settings.refresh_cookie_name,
        token,
        max_age=ctx.settings.refresh_token_ttl_seconds,
        path=AUTH_PATH,
        secure=ctx.settings.refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def _clear_refresh_cookie(response: Response, ctx: AppContext) -> None:
    response.delete_cookie(
        ctx.settings.refresh_cookie_name,
        path=AUTH_PATH,
        secure=ctx.settings.refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )


DEVICE_COOKIE = "tasklane_device"


def _device_cookie(request: Request) -> str | None:
    value = request.cookies.get(DEVICE_COOKIE)
    return value if value and len(value) <= 100 else None


def _set_device_cookie(response: Response, ctx: AppContext, token: str) -> None:
    """The browser's device id, sent back at each login so that it is recognised; it opens
    nothing by itself."""
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_COOKIE_SECONDS,
        path=AUTH_PATH,
        secure=ctx.settings.refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def require_same_site(request: Request, ctx: AppContext) -> None:
    """Cookie-authenticated calls come from our own pages only: a custom header (which a
    cross-site form cannot send and a cross-site script cannot send without a CORS preflight)
    and, when the browser says where it comes from, an allowed origin."""
    if not request.headers.get("x-requested-with"):
        raise Forbidden("This call needs the X-Requested-With header.")
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own and origin not in ctx.settings.allowed_origins:
            raise Forbidden("Cross-site request refused.")
    elif request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise Forbidden("Cross-site request refused.")


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    responses=problem_responses(409, 429),
    summary="Create an account",
)
async def register(body: RegisterIn, request: Request, ctx: Ctx) -> UserOut:
    await limit_auth(request, ctx, account=body.email)
    return await handlers.register(
        ctx, email=body.email, password=body.password, name=body.name, timezone=body.timezone
    )


_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/LoginIn"}},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "description": "The email address."},
                        "password": {"type": "string", "format": "password"},
                    },
                }
            },
        },
    }
}


async def _login_body(request: Request) -> LoginIn:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = await request.form()
            return LoginIn(
                email=str(form.get("username", "")), password=str(form.get("password", ""))
            )
        return LoginIn.model_validate_json(await request.body())
    except ValidationError as error:
        raise validation_problem(error.errors()) from error


@router.post(
    "/login",
    response_model=TokenOut,
    responses=problem_responses(401, 429),
    openapi_extra=_LOGIN_BODY,
    summary="Log in; the refresh token is set as an HttpOnly cookie",
)
async def login(request: Request, response: Response, ctx: Ctx) -> TokenOut:
    body = await _login_body(request)
    device = _device_cookie(request)
    budget = await limit_login(request, ctx, body.email, device)
    logged_in = await handlers.login(
        ctx,
        email=body.email,
        password=body.password,
        user_agent=request.headers.get("user-agent"),
        client=caller_of(request.scope).client,
        device_token=device,
    )
    await forgive_account(ctx, budget)
    issued = logged_in.tokens
    _set_refresh_cookie(response, ctx, issued.refresh_token)
    _set_device_cookie(response, ctx, logged_in.device_cookie)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/refresh",
    response_model=TokenOut,
    responses=problem_responses(401, 403, 429),
    summary="Rotate the refresh cookie and get a new access token",
)
async def refresh(request: Request, response: Response, ctx: Ctx) -> TokenOut:
    require_same_site(request, ctx)
    await limit_auth(request, ctx)
    token = _refresh_cookie(request, ctx)
    if not token:
        raise Unauthorized("No session; log in.")
    issued = await handlers.refresh(ctx, token)
    _set_refresh_cookie(response, ctx, issued.refresh_token)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403),
    summary="End this session",
)
async def logout(request: Request, ctx: Ctx) -> Response:
    require_same_site(request, ctx)
    token = _refresh_cookie(request, ctx)
    if token:
        await handlers.logout(ctx, token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear_refresh_cookie(response, ctx)
    return response


@router.post(
    "/logout-all",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403),
    summary="End every session of the account, this one included",
)
async def logout_all(request: Request, ctx: Ctx, principal: CurrentUser) -> Response:
    require_same_site(request, ctx)
    await handlers.logout_all(ctx, principal)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _clear_refresh_cookie(response, ctx)
    return response


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(429),
    summary="Ask for a link to choose a new password (the same answer for any address)",
)
async def request_password_reset(
    body: PasswordResetRequest, request: Request, ctx: Ctx
) -> Accepted:
    await limit_auth(request, ctx, account=body.email)
    await handlers.request_password_reset(ctx, body.email)
    return Accepted(detail=handlers.RESET_ASKED)


@router.post(
    "/password-reset/confirm",
    response_model=TokenOut,
    responses=problem_responses(429),
    summary="Choose a new password with the emailed link: every session ends, a new one opens",
)
async def confirm_password_reset(
    body: PasswordResetConfirm, request: Request, response: Response, ctx: Ctx
) -> TokenOut:
    await limit_auth(request, ctx)
    logged_in = await handlers.confirm_password_reset(
        ctx,
        token=body.token,
        new_password=body.new_password,
        user_agent=request.headers.get("user-agent"),
        client=caller_of(request.scope).client,
        device_token=_device_cookie(request),
    )
    issued = logged_in.tokens
    _set_refresh_cookie(response, ctx, issued.refresh_token)
    _set_device_cookie(response, ctx, logged_in.device_cookie)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/email/confirm",
    response_model=EmailConfirmed,
    responses=problem_responses(409, 429),
    summary="Open an emailed link: verify the address, or move the account to the new one",
)
async def confirm_email(body: LinkToken, request: Request, ctx: Ctx) -> EmailConfirmed:
    await limit_auth(request, ctx)
    return await handlers.confirm_email(ctx, body.token)


@router.post(
    "/sessions/end",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(429),
    summary="End the session a new-device notice was about (the link in that email)",
)
async def end_noticed_session(body: LinkToken, request: Request, ctx: Ctx) -> Response:
    await limit_auth(request, ctx)
    await handlers.end_noticed_session(ctx, body.token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@jwks_router.get(
    "/.well-known/jwks.json",
    summary="Public keys that verify access tokens",
)
async def jwks(ctx: Ctx) -> dict[str, Any]:
    return ctx.tokens.jwks
