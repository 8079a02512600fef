"""The one ASGI middleware every request passes: the caller, security headers, rate limit,
body guard.

One plain ASGI callable rather than four layers (or ``BaseHTTPMiddleware``): it sits on
every request, and each layer is a coroutine and a ``send`` wrapper more. In order:

1. the caller is worked out once (``core.caller``): the bearer token, its verified claims,
   the client address; everything after reads it;
2. every response gets the security headers (also a 429 or a 413 answered here);
3. API requests are counted against their rate limit (``core.ratelimit``) before any body
   is read: a refused client costs nothing more;
4. bodies over ``max_bytes`` are refused (413), and bodies that are not JSON (415).

Around all of it, observability (``core.metrics``): every request is timed and counted by
route template and status here, so the routes FastAPI answers, the read lane and the edge's
own refusals all count; every response carries the request id (``X-Request-ID``, taken from
nginx or made here) that the request's log records carry; open event streams are counted.
A token signed with a key this process does not know yet gets one (rate-limited) look at
the auth service's key set before the caller is settled (``core.security.RemoteKeys``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from time import perf_counter

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane.core import caller as callers
from tasklane.core import metrics
from tasklane.core.errors import (
    BadRequest,
    PayloadTooLarge,
    ProblemError,
    UnsupportedMediaType,
    problem_for,
    render_problem,
)
from tasklane.core.ratelimit import rate_limit_refusal

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_EVENT_STREAM = b"text/event-stream"
access_logger = logging.getLogger("tasklane.access")


def _has_body(scope: Scope) -> bool:
    """Whether the request announces a body (a non-zero Content-Length, or chunks)."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.strip() not in (b"", b"0"):
            return True
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return True
    return False


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The interactive docs page (tasklane.docs): Swagger UI's files are served by the app itself,
# scripts from this origin only; its components set inline styles, and its icons are data: URIs.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def _security_headers(csp: str) -> tuple[tuple[bytes, bytes], ...]:
    """Headers every response carries; API answers are never cached by shared caches."""
    return tuple(
        (name.encode(), value.encode())
        for name, value in (
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
            ("content-security-policy", csp),
            ("cross-origin-opener-policy", "same-origin"),
            ("cache-control", "no-store"),
        )
    )


_API_HEADERS = _security_headers(API_CSP)
_DOCS_HEADERS = _security_headers(DOCS_CSP)


class EdgeMiddleware:
    """See the module docstring. ``form_paths`` also accept
    ``application/x-www-form-urlencoded`` (the OAuth2 password form of the interactive docs);
    ``api_prefixes`` are the paths that count against rate limits (not health checks, not the
    web app's files)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        docs_prefix: str,
        form_paths: Iterable[str] = (),
        api_prefixes: tuple[str, ...] = ("/api/",),
        access_log: bool = False,
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.max_bytes = max_bytes
        self.docs_prefix = docs_prefix
        self.form_paths = frozenset(form_paths)
        self.api_prefixes = api_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        path: str = scope["path"]
        extra = _DOCS_HEADERS if path.startswith(self.docs_prefix) else _API_HEADERS
        ctx = scope["app"].state.ctx  # the one place the process context is taken from
        caller = callers.resolve(scope, ctx)
        if caller.unknown_kid is not None and await ctx.tokens.learn(caller.unknown_kid):
            caller = callers.resolve(scope, ctx)  # the key set now has the token's key
        entered = callers.enter(scope, caller)
        request_id = metrics.request_id_of(scope)
        logged = metrics.request_id.set(request_id)
        # [status once the response started, an event stream is open]: filled in by the
        # send wrapper.
        outcome: list[int] = [0, 0]
        try:
            await self._serve(scope, receive, send, path, extra, caller, request_id, outcome)
        except Exception as error:
            if outcome[0]:
                raise  # the response had started: nothing else can be sent
            # An error no handler inside took (they answer the typed ones): answered here,
            # rather than by Starlette's outermost layer, so that its log record and its
            # problem document carry the request id (and the security headers).
            response = problem_for(error)
            present = {name for name, _ in response.raw_headers}
            response.raw_headers.extend(item for item in extra if item[0] not in present)
            response.raw_headers.append((b"x-request-id", request_id.encode()))
            outcome[0] = response.status_code
            await response(scope, receive, send)
        finally:
            if outcome[1]:
                metrics.SSE_CONNECTIONS.dec()
            status = outcome[0] or 500
            elapsed = perf_counter() - started
            route = metrics.route_template(scope)
            metrics.observe_request(scope["method"], route, status, elapsed)
            if self.access_log:
                access_logger.info(
                    "%s %s %d",
                    scope["method"],
                    route,
                    status,
                    extra={"status": status, "duration_ms": round(elapsed * 1000, 3)},
                )
            metrics.request_id.reset(logged)
            callers.leave(entered)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        extra: tuple[tuple[bytes, bytes], ...],
        caller: callers.Caller,
        request_id: str,
        outcome: list[int],
    ) -> None:

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = set()
                for raw_name, value in headers:
                    name = raw_name.lower()
                    present.add(name)
                    if name == b"content-type" and value.startswith(_EVENT_STREAM):
                        outcome[1] = 1
                        metrics.SSE_CONNECTIONS.inc()
                headers.extend(item for item in extra if item[0] not in present)
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
                outcome[0] = message["status"]
            await send(message)

        if path.startswith(self.api_prefixes):
            refusal = await rate_limit_refusal(caller.app.limiter, caller)
            if refusal is not None:
                scope[metrics.ROUTE_KEY] = metrics.EDGE_ROUTE
                await render_problem(refusal)(scope, receive, send_with_headers)
                return
        if scope["method"] in _BODY_METHODS:
            problem = self._body_problem(scope)
            if problem is not None:
                scope[metrics.ROUTE_KEY] = metrics.EDGE_ROUTE
                await render_problem(problem)(scope, receive, send_with_headers)
                return
            receive = self._limited(receive)
        elif _has_body(scope):
            # A GET (or HEAD, OPTIONS) means nothing by a body: refuse it before it is read,
            # rather than take in megabytes no route will look at.
            problem = BadRequest(f"A {scope['method']} request carries no body.")
            scope[metrics.ROUTE_KEY] = metrics.EDGE_ROUTE
            await render_problem(problem)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _body_problem(self, scope: Scope) -> ProblemError | None:
        headers = Headers(scope=scope)
        length_header = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            return BadRequest("Invalid Content-Length.")
        if length is not None and length > self.max_bytes:
            return PayloadTooLarge(f"The body exceeds {self.max_bytes} bytes.")
        if (length or chunked) and not self._acceptable(scope["path"], headers):
            return UnsupportedMediaType("Send the body as application/json.")
        return None

    def _limited(self, receive: Receive) -> Receive:
        """``receive`` that stops a body growing past ``max_bytes`` whatever it announced."""
        received = 0
        max_bytes = self.max_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # FastAPI re-raises HTTPException raised while reading the body.
                    raise HTTPException(413, f"The body exceeds {max_bytes} bytes.")
            return message

        return limited_receive

    def _acceptable(self, path: str, headers: Headers) -> bool:
        content_type = headers.get("content-type", "")
        if _is_json(content_type):
            return True
        media = content_type.split(";", 1)[0].strip().lower()
        return path in self.form_paths and media == "application/x-www-form-urlencoded"
