"""Typed errors and their one mapping to RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tasklane.core import encoding
from tasklane.core.sql import DatabaseError, IntegrityError, PoolTimeout

logger = logging.getLogger("tasklane.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:tasklane:problem:"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending input, e.g. `tags.3`.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Stable identifier of the kind of problem.")
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(
        default=None, description="Present on validation errors: one entry per invalid field."
    )


class ProblemError(Exception):
    """Base of every error the API answers on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class BadRequest(ProblemError):
    status, code, title = 400, "bad-request", "Bad request"


class MalformedJson(ProblemError):
    status, code, title = 400, "malformed-json", "Malformed JSON"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="tasklane"')


class InvalidCredentials(Unauthorized):
    code, title = "invalid-credentials", "Invalid credentials"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(ProblemError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(ProblemError):
    status, code, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(ProblemError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationProblem(ProblemError):
    status, code, title = 422, "validation-error", "Invalid input"

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "The request has invalid fields.")
        self.errors = list(errors)

    @classmethod
    def single(cls, field: str, message: str) -> ValidationProblem:
        return cls([FieldError(field=field, message=message)], detail=message)


class ServiceUnavailable(ProblemError):
    status, code, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("Retry-After", "1")


class OutcomeUnknown(ServiceUnavailable):
    """The database did not confirm a COMMIT (the connection timed out or broke while it was
    sent): the change may or may not be stored."""

    code = "outcome-unknown"

    def __init__(self) -> None:
        super().__init__(
            "The database did not confirm the change, so it may or may not be saved. Retry "
            "with the same Idempotency-Key to apply it exactly once, or read it back first."
        )


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if extra:
        body.update(extra)
    return Response(
        encoding.dumps(body),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def render_problem(error: ProblemError) -> Response:
    """The problem+json response of a typed error (also for middleware outside the handlers)."""
    extra = dict(error.extra)
    if isinstance(error, ValidationProblem):
        extra["errors"] = [e.model_dump() for e in error.errors]
    return problem_response(
        error.status, error.code, error.title, error.detail, headers=error.headers, extra=extra
    )


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "tags", 3)`` -> ``tags.3``; ``("query", "limit")`` -> ``limit``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> ProblemError:
    if any(e.get("type") == "json_invalid" for e in errors):
        return MalformedJson("The request body is not valid JSON.")
    items = []
    for e in errors:
        message = str(e.get("msg", "Invalid value"))
        if e.get("type") == "extra_forbidden":
            message = "Unknown field"
        items.append(FieldError(field=field_path(e.get("loc", ())), message=message))
    return ValidationProblem(items)


_STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
}


def _on_problem(exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return render_problem(exc)


def _on_validation(exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return render_problem(validation_problem(exc.errors()))


def _on_http(exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _STATUS_CODES.get(status, "http-error")
    title = HTTPStatus(status).phrase
    detail = exc.detail if isinstance(exc.detail, str) else title
    if status == 404:
        detail = "No such resource."
    return problem_response(status, code, title, detail, headers=exc.headers)


def _on_pool_timeout(_exc: Exception) -> Response:
    logger.warning("database pool exhausted")
    return render_problem(ServiceUnavailable("The database is busy; try again shortly."))


def _on_db_error(exc: Exception) -> Response:
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error reached the boundary: %s", exc.orig)
        return render_problem(Conflict("The change conflicts with the stored data."))
    logger.error("database error: %s", exc)
    return render_problem(
        ServiceUnavailable("The database could not complete the request; nothing was saved.")
    )


def _on_db_timeout(_exc: Exception) -> Response:
    logger.error("the database did not answer within the statement timeout")
    return render_problem(
        ServiceUnavailable("The database did not answer in time; nothing was saved.")
    )


def _on_io_error(exc: Exception) -> Response:
    # Some drivers let a refused or dropped connection surface as a plain OSError.
    logger.error("I/O error reaching a backing service: %s", exc)
    return render_problem(
        ServiceUnavailable("A backing service is unreachable; nothing was saved.")
    )


def _on_unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error", exc_info=exc)
    return render_problem(ProblemError("An unexpected error occurred."))


#: Every exception's answer, by the most specific class listed (as Starlette picks handlers).
_HANDLERS: dict[type[Exception], Callable[[Exception], Response]] = {
    ProblemError: _on_problem,
    RequestValidationError: _on_validation,
    StarletteHTTPException: _on_http,
    PoolTimeout: _on_pool_timeout,
    DatabaseError: _on_db_error,
    TimeoutError: _on_db_timeout,  # PostgreSQL's command timeout (asyncpg)
    OSError: _on_io_error,
    Exception: _on_unexpected,
}


def problem_for(exc: Exception) -> Response:
    """The response to ``exc``, the same whether FastAPI's handlers or a plain ASGI layer
    (tasks.lane) caught it."""
    for cls in type(exc).__mro__:
        handler = _HANDLERS.get(cls)
        if handler is not None:
            return handler(exc)
    return _on_unexpected(exc)


def _allowed_methods(request: Request) -> set[str]:
    """Every method the API serves at the request's path, read from its OpenAPI document
    (FastAPI makes one route a method, and Starlette's 405 names the first route's only). A
    fixed path (``/tasks/stats``) wins over a template that would also match it."""
    path = request.url.path
    fixed: set[str] = set()
    templated: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        methods = {method.upper() for method in item if method in _HTTP_METHODS}
        if template == path:
            fixed |= methods
        elif "{" in template and _template(template).fullmatch(path):
            templated |= methods
    allowed = fixed or templated
    if "GET" in allowed:
        allowed.add("HEAD")
    return allowed


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


@lru_cache(maxsize=256)
def _template(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template)))


def install_error_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        response = problem_for(exc)
        if response.status_code == 405 and (allowed := _allowed_methods(request)):
            response.headers["Allow"] = ", ".join(sorted(allowed))  # RFC 9110 15.5.6
        return response

    for cls in _HANDLERS:
        app.add_exception_handler(cls, handle)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for a route; the OpenAPI hook turns them into problem+json."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses
    }


def problem_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every error response the Problem schema under ``application/problem+json``, and
    document the errors every operation can return."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            common = [500, 503]
            if path.startswith("/api/"):
                common.append(429)  # the rate limits apply to every API route
            if method in ("post", "put", "patch", "delete") and "requestBody" in operation:
                common += [400, 413, 415, 422]
            if operation.get("parameters"):
                common.append(422)
            for status in common:
                responses.setdefault(str(status), {"description": HTTPStatus(status).phrase})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
    return schema
