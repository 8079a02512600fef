"""What the reliability suites share: a bridge that lets synchronous drivers (schemathesis,
Hypothesis state machines) call the app of the fixtures, and the size of a run.

The fixtures' app lives on pytest-asyncio's session event loop (its database pool, caches and
worker were made there), so it must only ever be called from that loop. The drivers here are
synchronous: they run in a worker thread (``asyncio.to_thread``) while the test awaits them,
and every request they make is handed to the session loop and awaited there."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")

#: ``short`` (``make test``: bounded, deterministic) or ``long`` (``make reliability``).
PROFILE = os.environ.get("TASKLANE_RELIABILITY", "short")
LONG = PROFILE == "long"
#: The short form always runs the same examples; the long one a new seed each run (recorded
#: in the figures) unless TASKLANE_RELIABILITY_SEED names one.
SEED = int(
    os.environ.get("TASKLANE_RELIABILITY_SEED") or (secrets.randbelow(2**31) if LONG else 20261203)
)


def examples(short: int, long: int) -> int:
    return long if LONG else short


class LoopBridge:
    """An ASGI app for another thread's event loop that forwards each request, buffered, to
    ``app`` on ``loop`` (the session loop) and sends back its buffered response. The request
    reaches the real app exactly as sent (the scope is passed on unchanged)."""

    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            # The fixtures' app is already started; its life is theirs.
            while True:
                message = await receive()
                await send({"type": f"{message['type']}.complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        future = asyncio.run_coroutine_threadsafe(self._forward(scope, body), self.loop)
        for message in await asyncio.wrap_future(future):
            await send(message)

    async def _forward(self, scope: Scope, body: bytes) -> list[Message]:
        return await call_app(self.app, scope, body)


#: How long an answer may take before the caller goes away (a bound, never an assertion).
PATIENCE_SECONDS = 60.0


async def call_app(app: ASGIApp, scope: Scope, body: bytes) -> list[Message]:
    """Call ``app`` with one buffered request; return the messages it sent. A Server-Sent
    Events answer never ends by itself: once its status and headers are sent the caller
    disconnects (as a client that has seen enough), and the body ends there."""
    sent: list[Message] = []
    delivered = False
    disconnected = asyncio.Event()

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            if headers.get(b"content-type", b"").startswith(b"text/event-stream"):
                disconnected.set()

    try:
        await asyncio.wait_for(app(scope, receive, send), timeout=PATIENCE_SECONDS)
    finally:
        disconnected.set()
    if not any(m["type"] == "http.response.body" and not m.get("more_body") for m in sent):
        sent.append({"type": "http.response.body", "body": b"", "more_body": False})
    return sent


def http_scope(method: str, path: str, headers: dict[str, str], query: bytes = b"") -> Scope:
    """The scope of a request to the in-process app, as an ASGI server would make it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            *((name.lower().encode(), value.encode()) for name, value in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


class OnLoop:
    """Runs coroutines on the session loop from a worker thread and waits for their result."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, awaitable: Awaitable[T]) -> T:
        async def wrap() -> T:
            return await awaitable

        coroutine: Coroutine[Any, Any, T] = wrap()
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)
