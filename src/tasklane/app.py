"""``create_app(settings)``: middleware, error handlers and the routers of the enabled domains."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig

from tasklane import health
from tasklane.auth.router import AUTH_PATH, jwks_router
from tasklane.auth.router import router as auth_router
from tasklane.auth.schemas import LoginIn
from tasklane.comments.router import router as comments_router
from tasklane.core.context import AppContext
from tasklane.core.errors import install_error_handlers, problem_openapi
from tasklane.core.http import EdgeMiddleware
from tasklane.docs import install_docs
from tasklane.notifications.links import UNSUBSCRIBE_PATH
from tasklane.notifications.router import events_router, mail_router
from tasklane.notifications.router import router as notifications_router
from tasklane.observability import Background, close_tracing, metrics_router, tracing_config
from tasklane.projects.router import router as projects_router
from tasklane.settings import Service, Settings, get_settings
from tasklane.spa import mount_spa
from tasklane.tasks.lane import TaskReadLane
from tasklane.tasks.router import recurrence_router
from tasklane.tasks.router import router as tasks_router
from tasklane.users.router import router as users_router
from tasklane.worker import Worker

DOCS_PREFIX = "/api/docs"
OPENAPI_URL = "/api/openapi.json"
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
#: The service each domain router belongs to (TASKLANE_SERVICES); others (health) go with
#: every service.
_ROUTER_SERVICES: tuple[tuple[APIRouter, Service], ...] = (
    (tasks_router, "tasks"),
    (recurrence_router, "tasks"),
    (projects_router, "tasks"),
    (comments_router, "tasks"),
    (auth_router, "auth"),
    (jwks_router, "auth"),
    (users_router, "auth"),  # profiles and administration live with the accounts
    (notifications_router, "notifications"),
    (events_router, "notifications"),
    (mail_router, "notifications"),  # the one-click unsubscribe links
)


def _enabled(settings: Settings, router: APIRouter) -> bool:
    """Whether ``router`` belongs to a service this process runs."""
    service = next((s for r, s in _ROUTER_SERVICES if r is router), None)
    return service is None or service in settings.services


def _whole_api(app: FastAPI, settings: Settings) -> FastAPI:
    """What ``/api/openapi.json`` (and so ``/api/docs``) describes: the whole API, whichever
    services this process runs. Behind the proxy that routes each path to its service, that
    is what the origin answers."""
    missing = [r for r, s in _ROUTER_SERVICES if s not in settings.services]
    if not missing:
        return app
    whole = FastAPI(
        title=app.title,
        version=app.version,
        summary=app.summary,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    whole.router.routes.extend(app.routes)
    for router in missing:
        whole.include_router(router)
    return whole


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Spans exported to TASKLANE_OTEL_ENDPOINT; else FastAPI's telemetry through the global
    # providers when OTEL_ENABLED; else none (not even the per-request provider lookups).
    tracing = tracing_config(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = AppContext.create(settings)
        app.state.ctx = ctx
        # The notification service's loop, in this process unless it runs on its own.
        notifying = "notifications" in settings.services
        worker = Worker(ctx) if settings.worker_embedded and notifying else None
        background = Background(ctx)  # metrics sampling; the JWKS refresh
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop)) if worker else None
        # Start-up objects live for the whole process: keep the collector from walking them.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await background.close()
            if running is not None and worker is not None:
                await running
                await worker.close()
            await ctx.close()
            close_tracing(tracing)

    app = FastAPI(
        title="Tasklane API",
        version="1.0.0",
        summary="Accounts, profiles, tasks and notifications.",
        lifespan=lifespan,
        # The interactive docs are served from the app's own files (tasklane.docs).
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        swagger_ui_oauth2_redirect_url=None,
        telemetry=tracing or (None if settings.otel_enabled else _NO_TELEMETRY),
    )
    install_error_handlers(app)
    # Routes are matched in order: the tasks' routes, most of the traffic, come first.
    for router in (
        tasks_router,
        recurrence_router,
        projects_router,
        comments_router,
        auth_router,
        jwks_router,
        users_router,
        notifications_router,
        events_router,
        mail_router,
        health.router,
        metrics_router,
    ):
        if _enabled(settings, router):
            app.include_router(router)

    install_docs(app, prefix=DOCS_PREFIX, openapi_url=OPENAPI_URL)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = problem_openapi(FastAPI.openapi(_whole_api(app, settings)))
            # The login body is parsed by hand (JSON or form); register its JSON model.
            schema["components"]["schemas"]["LoginIn"] = LoginIn.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # Outermost last. Innermost: the lane that answers the two hottest reads (tasks.lane).
    if "tasks" in settings.services:
        app.add_middleware(TaskReadLane)
    # The caller (once per request), security headers, rate limit and body guard in one layer,
    # inside CORS (a browser can read a 429 or a 413).
    app.add_middleware(
        EdgeMiddleware,
        max_bytes=settings.max_body_bytes,
        docs_prefix=DOCS_PREFIX,
        access_log=settings.access_log,
        form_paths=[f"{AUTH_PATH}/login", UNSUBSCRIBE_PATH],
    )
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Requested-With",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "Idempotent-Replayed",
                "RateLimit",
                "RateLimit-Policy",
            ],
            max_age=600,
        )
    # The web app answers the GET paths no router claims (API 404s stay problem+json).
    mount_spa(app, settings)
    return app
