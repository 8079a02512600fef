"""Throw-away servers the tests start and stop themselves, on 127.0.0.1 only."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import httpx
from fastapi import FastAPI

from scripts.private_mariadb import free_port
from tasklane.app import create_app
from tasklane.settings import Settings


class RedisServer:
    """A private redis-server (no persistence) that a test can stop and start again on the
    same port, to show what happens when Redis goes away and comes back. The
    ``redis_server`` fixture (conftest) gives each test module one, empty; a test that stops
    it has it started again for the next."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian package redis-server)")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@asynccontextmanager
async def serving(
    settings: Settings,
) -> AsyncIterator[tuple[FastAPI, Callable[..., httpx.AsyncClient]]]:
    """An app with its own settings, and a factory of clients (optionally from a given client
    address, as a request behind a trusted proxy would appear)."""
    app = create_app(settings)
    clients: list[httpx.AsyncClient] = []

    def client(address: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(address, 50000)
        )
        made = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(made)
        return made

    async with app.router.lifespan_context(app):
        try:
            yield app, client
        finally:
            for made in clients:
                await made.aclose()


class SmtpSink:
    """A small SMTP server on 127.0.0.1 that keeps every message it is given: the far end of
    the app's real SMTP conversation (EHLO, MAIL, RCPT, DATA, QUIT; no STARTTLS offered)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        await reply("220 sink ready")
        try:
            while line := await reader.readline():
                verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
                if verb == "EHLO":
                    await reply("250-sink\r\n250 8BITMIME")
                elif verb == "DATA":
                    await reply("354 end with <CRLF>.<CRLF>")
                    data = bytearray()
                    while (chunk := await reader.readline()) not in (b".\r\n", b""):
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    parsed = BytesParser(policy=policy.default).parsebytes(bytes(data))
                    self.messages.append(parsed)  # type: ignore[arg-type]
                    await reply("250 queued")
                elif verb == "QUIT":
                    await reply("221 bye")
                    break
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    await reply("250 ok")
        finally:
            writer.close()
