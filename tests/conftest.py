"""Fixtures: a fresh database of the kind named by TASKLANE_TEST_DATABASE (sqlite, mariadb or
postgresql), migrated with the real Alembic history, and the app served in-process."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tasklane.app import create_app
from tasklane.cli import _create_admin, migrate
from tasklane.core.context import AppContext
from tasklane.settings import Settings
from tests import cluster_support
from tests.helpers import PASSWORD, Api, User, refresh_cookie, unique_email
from tests.servers import RedisServer

KIND = os.environ.get("TASKLANE_TEST_DATABASE", "sqlite")
SERVER_URLS = {
    "mariadb": "mysql+asyncmy://root@127.0.0.1:3306/test",
    "postgresql": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
}


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if KIND == "sqlite":
        path = tmp_path_factory.mktemp("db") / "tasklane.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    server = os.environ.get("TASKLANE_TEST_DATABASE_URL", SERVER_URLS[KIND])
    name = f"tasklane_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin(server, f"CREATE DATABASE {name}"))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name}"))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(
        environment="test",
        database_url=database_url,
        var_dir=tmp_path_factory.mktemp("var"),
        allowed_origins=["https://app.example.com"],
        # The suite makes many calls from one address; tests/test_ratelimit.py sets tight ones.
        rate_limit_anonymous="100000/minute",
        rate_limit_user="100000/minute",
        rate_limit_auth_address="100000/minute",
        rate_limit_auth_account="100000/minute",
        # The tests drive the notification worker turn by turn (tests/test_notifications.py).
        worker_embedded=False,
    )
    migrate(settings)
    return settings


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def ctx(app: object) -> AppContext:
    context: AppContext = app.state.ctx  # type: ignore[attr-defined]
    return context


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
async def admin(api: Api, settings: Settings) -> User:
    """An administrator made the way operators make one: the ``create-admin`` command's code."""
    email = unique_email("admin")
    await _create_admin(settings, email, "Administrator", PASSWORD)
    response = await api.login(email)
    assert response.status_code == 200, response.text
    token = refresh_cookie(response)
    assert token
    user = User(email, PASSWORD, response.json()["access_token"], token)
    me = await api.client.get("/api/v1/users/me", headers=user.headers)
    assert me.status_code == 200, me.text
    user.id = me.json()["id"]
    return user


@pytest.fixture
def make_instance(settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """Starts real ``tasklane serve`` instances (one instance, ``workers`` processes) on the
    suite's database, with extra environment settings; stops them at the end."""
    started: list[Any] = []

    def make(workers: int = 2, **env: str) -> Any:
        cluster = cluster_support.new_cluster(
            tmp_path / f"run{len(started)}",
            settings.database_url,
            instances=1,
            workers=workers,
            env=env,
        )
        started.append(cluster)
        cluster.start_instance(0)
        return cluster

    yield make
    for cluster in started:
        cluster.stop(timeout=30, quiet=True)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private Redis for this test module (see tests/servers.py)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dialect() -> str:
    return {"sqlite": "sqlite", "mariadb": "mysql", "postgresql": "postgresql"}[KIND]


def pytest_report_header() -> str:
    return f"tasklane database: {KIND}"
