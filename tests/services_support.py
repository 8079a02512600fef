"""The split services in one test process: apps started with their own settings, and a JWKS
endpoint on loopback that serves what ``document()`` returns (an auth app's key set) over real
HTTP and counts the requests it answered."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from fastapi import FastAPI

from tasklane.app import create_app
from tasklane.core.context import AppContext
from tasklane.settings import Settings


@asynccontextmanager
async def served(
    settings: Settings, **update: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    """An app started with ``settings`` changed by ``update``, and a client of it."""
    app: FastAPI = create_app(settings.model_copy(update=update))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, app.state.ctx


class JwksServer:
    def __init__(self, document: Callable[[], dict[str, Any]]) -> None:
        self.document = document
        self.hits = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.hits += 1
                body = json.dumps(stub.document()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
