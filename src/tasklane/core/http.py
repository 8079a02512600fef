"""ASGI middleware: request body guard (413, 415) and security headers.

Written as plain ASGI callables rather than ``BaseHTTPMiddleware``: they sit on every request
and add no task or stream wrapping.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tasklane.core.errors import (
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    render_problem,
)

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class BodyGuardMiddleware:
    """Refuses bodies over ``max_bytes`` (413) and bodies that are not JSON (415).

    ``form_paths`` also accept ``application/x-www-form-urlencoded`` (the OAuth2 password form
    of the interactive docs).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, form_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.form_paths = frozenset(form_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length_header = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            await render_problem(BadRequest("Invalid Content-Length."))(scope, receive, send)
            return
        if length is not None and length > self.max_bytes:
            too_large = PayloadTooLarge(f"The body exceeds {self.max_bytes} bytes.")
            await render_problem(too_large)(scope, receive, send)
            return
        if (length or chunked) and not self._acceptable(scope["path"], headers):
            unsupported = UnsupportedMediaType("Send the body as application/json.")
            await render_problem(unsupported)(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException raised while reading the body.
                    raise HTTPException(413, f"The body exceeds {self.max_bytes} bytes.")
            return message

        await self.app(scope, limited_receive, send)

    def _acceptable(self, path: str, headers: Headers) -> bool:
        content_type = headers.get("content-type", "")
        if _is_json(content_type):
            return True
        media = content_type.split(";", 1)[0].strip().lower()
        return path in self.form_paths and media == "application/x-www-form-urlencoded"


API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The interactive docs page loads Swagger UI's script and style from its CDN.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    "https://fastapi.tiangolo.com; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeadersMiddleware:
    """Headers every response carries; API answers are never cached by shared caches."""

    def __init__(self, app: ASGIApp, *, docs_prefix: str) -> None:
        self.app = app
        self.docs_prefix = docs_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"].startswith(self.docs_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Content-Security-Policy", DOCS_CSP if is_docs else API_CSP)
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
