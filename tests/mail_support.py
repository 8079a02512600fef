"""What the mail tests share: an app that sends through a real SMTP conversation to a sink on
loopback, a worker driven turn by turn, and readers of the messages it got."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tasklane.settings import Settings
from tasklane.worker import Worker
from tests.helpers import Api, User
from tests.servers import SmtpSink, serving

BASE = "https://tasks.example.com"
CONFIRM = "/api/v1/auth/email/confirm"


@dataclass
class Mailing:
    app: FastAPI
    client: Callable[..., httpx.AsyncClient]
    worker: Worker
    sink: SmtpSink

    async def turns(self) -> None:
        """Run the worker until it has nothing left to do (events handled, mail sent)."""
        while await self.worker.turn():
            pass

    def take(self) -> list[EmailMessage]:
        """The messages received since the last call."""
        taken = list(self.sink.messages)
        self.sink.messages.clear()
        return taken

    async def verified_user(self, api: Api) -> User:
        """A new account whose address is verified (its link opened)."""
        user = await api.user()
        await self.turns()
        (message,) = [m for m in self.take() if m["To"] == user.email]
        confirmed = await api.client.post(CONFIRM, json={"token": link_token(message)})
        assert confirmed.status_code == 200, confirmed.text
        return user


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = SmtpSink()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def mailing_settings(settings: Settings, sink: SmtpSink, **extra: Any) -> Settings:
    return settings.model_copy(update={"smtp_url": sink.url, "public_base_url": BASE, **extra})


@pytest.fixture
async def mailing(settings: Settings, sink: SmtpSink) -> AsyncIterator[Mailing]:
    async with serving(mailing_settings(settings, sink)) as (app, client):
        found = Mailing(app, client, Worker(app.state.ctx), sink)
        await found.turns()  # the earlier tests' events out of the way
        sink.messages.clear()
        try:
            yield found
        finally:
            await found.worker.close()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def link_token(message: EmailMessage, page: str = "verify-email") -> str:
    found = re.search(rf"{re.escape(BASE)}/{page}#token=([\w-]+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)
