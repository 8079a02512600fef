"""The two hottest reads, answered without FastAPI's per-request machinery.

``GET /api/v1/tasks/{id}`` and ``GET /api/v1/tasks`` are most of the traffic. Through FastAPI
each request pays for route matching, the dependency graph, and the scope and exit-stack
bookkeeping around them: about half the Python calls of a task read (bench/calls.py). This
ASGI layer answers those two routes itself by calling the very handlers the routes call
(``tasks.handlers``), with the caller the edge resolved (``authenticate``), the same query
model (``TaskQuery``) and the same error mapping (``problem_for``): there is nothing of the
operation here to keep in step with the routes.

It only answers what it can answer exactly as the route would. A path that is not a task id,
a query the model rejects, any other method: it passes the request on, and FastAPI gives the
usual answer (a 422 with the field errors, a 405...). FastAPI still owns these routes'
definitions and their OpenAPI document; tests/test_lane.py sends the same requests through
the lane and through FastAPI alone and compares every answer.
"""

from __future__ import annotations

import uuid
from typing import Any, get_origin

from pydantic import ValidationError
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from tasklane.auth.deps import authenticate
from tasklane.core.caller import caller_of
from tasklane.core.errors import problem_for
from tasklane.core.metrics import ROUTE_KEY
from tasklane.tasks import handlers
from tasklane.tasks.handlers import PREFIX
from tasklane.tasks.schemas import TaskQuery

_ITEM_PREFIX = PREFIX + "/"
#: The templates of the routes the lane answers for (the same as FastAPI's).
_LIST_ROUTE = PREFIX
_ITEM_ROUTE = PREFIX + "/{task_id}"
_UUID_LENGTH = 36
#: The parameters that may repeat (FastAPI reads every value of a list field).
_LIST_FIELDS = frozenset(
    name for name, field in TaskQuery.model_fields.items() if get_origin(field.annotation) is list
)


def _task_id(path: str) -> uuid.UUID | None:
    """The id of ``/api/v1/tasks/<uuid>`` in its canonical form; anything else is not ours."""
    if len(path) != len(_ITEM_PREFIX) + _UUID_LENGTH or not path.startswith(_ITEM_PREFIX):
        return None
    try:
        return uuid.UUID(path[len(_ITEM_PREFIX) :])
    except ValueError:
        return None


def _query(query_string: bytes) -> TaskQuery | None:
    """The list's query as FastAPI reads it into ``TaskQuery`` (every value of a repeated
    parameter, the last value of the others), or None when the model rejects it."""
    params = QueryParams(query_string)
    data: dict[str, Any] = {}
    for name in TaskQuery.model_fields:
        if name in _LIST_FIELDS:
            values = params.getlist(name)
            if values:
                data[name] = values
        elif (value := params.get(name)) is not None:
            data[name] = value
    try:
        return TaskQuery.model_validate(data)
    except ValidationError:
        return None


class TaskReadLane:
    """ASGI middleware, innermost of the app's own (inside the security headers, the rate
    limit and replica routing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path == PREFIX:
                query = _query(scope["query_string"])
                if query is not None:
                    scope[ROUTE_KEY] = _LIST_ROUTE  # what the edge's metrics call it
                    await self._answer(scope, receive, send, query, None)
                    return
            elif (task_id := _task_id(path)) is not None:
                scope[ROUTE_KEY] = _ITEM_ROUTE
                await self._answer(scope, receive, send, None, task_id)
                return
        await self.app(scope, receive, send)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        query: TaskQuery | None,
        task_id: uuid.UUID | None,
    ) -> None:
        caller = caller_of(scope)
        response: Response
        try:
            principal = await authenticate(caller)
            if task_id is not None:
                response = await handlers.read_task(caller.app, principal, task_id)
            else:
                assert query is not None
                response = await handlers.list_tasks(caller.app, principal, query)
        except Exception as error:  # what FastAPI's exception handlers would answer
            response = problem_for(error)
        await response(scope, receive, send)
