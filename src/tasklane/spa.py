"""Serves the built web app (``web/dist``) from the API process.

Every path the API does not route falls through to here (as the router's default handler, so
API 404s, 405s and slash redirects behave as before):

- files of the build are served as they are: hashed ``/assets/*`` cached for a year and marked
  immutable, other files for an hour; a ``.br`` or ``.gz`` twin made at build time is sent when
  the browser accepts it;
- any other path without a file extension is a client-side route and gets ``index.html``
  (``no-cache``, so a new deployment is picked up at once);
- ``/api/*``, ``/livez``, ``/readyz`` and ``/.well-known/*`` never get the page: they stay
  ``application/problem+json`` 404s.

SPA responses carry their own Content-Security-Policy, which allows the asset origin when
``TASKLANE_ASSET_BASE_URL`` is set; index.html's asset URLs are rewritten to that origin.
"""

from __future__ import annotations

import gzip
import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tasklane.settings import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=3600"
RESERVED_PREFIXES = ("api/", ".well-known/")
RESERVED_PATHS = frozenset({"api", "livez", "readyz", ".well-known"})
# Encodings tried in order of preference, with the suffix of the precompressed twin.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}


def spa_csp(asset_origin: str | None) -> str:
    extra = f" {asset_origin}" if asset_origin else ""
    return (
        f"default-src 'self'; script-src 'self'{extra}; style-src 'self'{extra}; "
        f"img-src 'self' data:{extra}; font-src 'self'{extra}; connect-src 'self'; "
        "manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def accepted_encodings(header: str) -> set[str]:
    """Content codings the client accepts (``q=0`` means refused)."""
    accepted: set[str] = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name and quality > 0:
            accepted.add(name.strip().lower())
    return accepted


def is_reserved(path: str) -> bool:
    return path in RESERVED_PATHS or path.startswith(RESERVED_PREFIXES)


@dataclass(frozen=True)
class _Page:
    body: bytes
    gzipped: bytes


class SpaFiles:
    def __init__(self, dist: Path, asset_base_url: str | None) -> None:
        self.dist = dist.resolve()
        asset_base_url = asset_base_url.rstrip("/") if asset_base_url else None
        self.asset_base_url = asset_base_url
        origin = None
        if asset_base_url:
            parts = urlsplit(asset_base_url)
            origin = f"{parts.scheme}://{parts.netloc}"
        self.csp = spa_csp(origin)
        html = (self.dist / "index.html").read_text(encoding="utf-8")
        if asset_base_url:
            for attribute in ('src="', 'href="'):
                html = html.replace(f"{attribute}/assets/", f"{attribute}{asset_base_url}/assets/")
        body = html.encode()
        self.index = _Page(body=body, gzipped=gzip.compress(body, mtime=0))

    def find(self, path: str) -> Path | None:
        """The build file at this URL path, if there is one (never outside the build)."""
        parts = PurePosixPath(path).parts
        if not parts or any(p.startswith(".") or p == ".." for p in parts):
            return None
        candidate = (self.dist / Path(*parts)).resolve()
        if not candidate.is_relative_to(self.dist) or not candidate.is_file():
            return None
        return candidate

    def _headers(self, cache: str) -> dict[str, str]:
        return {
            "Cache-Control": cache,
            "Content-Security-Policy": self.csp,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }

    def page(self, request: Request) -> Response:
        headers = self._headers("no-cache")
        body = self.index.body
        if "gzip" in accepted_encodings(request.headers.get("accept-encoding", "")):
            body = self.index.gzipped
            headers["Content-Encoding"] = "gzip"
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(body))
            body = b""
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    def file(self, request: Request, path: str, file: Path) -> Response:
        if file.name == "index.html":
            return self.page(request)
        cache = IMMUTABLE if path.startswith("assets/") else SHORT_CACHE
        headers = self._headers(cache)
        media_type = MEDIA_TYPES.get(file.suffix) or (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
        send = file
        for coding, suffix in ENCODINGS:
            twin = file.with_name(file.name + suffix)
            if coding in accepted and twin.is_file():
                send = twin
                headers["Content-Encoding"] = coding
                break
        return FileResponse(send, media_type=media_type, headers=headers)

    def respond(self, request: Request) -> Response | None:
        """The response for a GET or HEAD, or None when the path is not the app's."""
        path = request.url.path.lstrip("/")
        if is_reserved(path):
            return None
        if path == "":
            return self.page(request)
        file = self.find(path)
        if file is not None:
            return self.file(request, path, file)
        if "." in PurePosixPath(path).name or path.startswith("assets/"):
            return None  # a missing file, not a client route
        return self.page(request)


def mount_spa(app: FastAPI, settings: Settings) -> None:
    """Serve the built app for every path the API leaves unrouted (no-op without a build)."""
    dist = settings.resolved_web_dist()
    if dist is None or not (dist / "index.html").is_file():
        return
    files = SpaFiles(dist, settings.asset_base_url)
    fallback: ASGIApp = app.router.default

    async def default(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            response = files.respond(Request(scope, receive))
            if response is not None:
                await response(scope, receive, send)
                return
        await fallback(scope, receive, send)

    app.router.default = default
    app.state.spa = files
