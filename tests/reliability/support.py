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

        try:
            await self.app(scope, receive, send)
        finally:
            disconnected.set()
        return sent


class OnLoop:
    """Runs coroutines on the session loop from a worker thread and waits for their result."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, awaitable: Awaitable[T]) -> T:
        async def wrap() -> T:
            return await awaitable

        coroutine: Coroutine[Any, Any, T] = wrap()
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)
