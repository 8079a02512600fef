"""The floor: Tasklane's benchmarked endpoints as minimally as Python allows.

A bare ASGI callable, the raw asyncmy driver (an autocommit pool for reads, a transaction pool
for writes), hand-written SQL and orjson, served by the same server (granian) with the same
worker count. It honours the same contract as Tasklane on these routes:

- ``GET /api/v1/tasks/{id}``, ``PATCH`` (with ``If-Match``), ``GET /api/v1/tasks`` (``status``,
  ``q`` through the same word-start ``REGEXP`` over the caller's rows, ``limit``, and the
  same opaque keyset ``cursor``), ``POST /api/v1/tasks``, ``POST /api/v1/auth/login``;
- the same statements for projects and sharing: reads through the caller's memberships (a list
  reads their project ids first), writes through the editor-or-owner check, a new task into
  the caller's Inbox, and the members' read that tells whose dashboard counts a write changed;
- every task route checks the same EdDSA access tokens (the keys are taken from Tasklane's
  ``/.well-known/jwks.json``; verified claims are cached) and whether the token's session is
  still live (answer cached 30 s, as Tasklane does);
- the same JSON bodies, ``ETag``/``Location`` headers, problem documents and security headers;
- login verifies Argon2id at the same parameters in a thread pool, opens a session (a session
  row and a refresh-token row in one transaction) and signs an access token.

What it leaves out on purpose (Tasklane pays for these; the floor is the limit): rate
limiting, the other list filters and sorts (answered 400), idempotency keys, caches of stats.

Configuration comes from the same ``TASKLANE_*`` variables Tasklane reads, plus
``FLOOR_JWKS_URL`` (Tasklane's ``/.well-known/jwks.json``) or ``FLOOR_JWKS_FILE`` (the same
document saved; bench/run.py checks that Tasklane serves exactly it): the keys that verify
tokens. Without either, the public key is derived from ``TASKLANE_JWT_PRIVATE_KEY``, which
login needs anyway to sign. Serve with:

    granian --interface asgi --workers 2 --loop asyncio --http 1 --no-ws bench.floor.app:app
"""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import json
import os
import re
import secrets
import time
import unicodedata
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import argon2
import asyncmy
import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

ENV = os.environ


def _env_int(name: str, default: int) -> int:
    return int(ENV.get(f"TASKLANE_{name}", default))


ISSUER = ENV.get("TASKLANE_JWT_ISSUER", "tasklane")
AUDIENCE = ENV.get("TASKLANE_JWT_AUDIENCE", "tasklane-api")
ACCESS_TTL = _env_int("ACCESS_TOKEN_TTL_SECONDS", 900)
REFRESH_TTL = _env_int("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
SESSION_CHECK_TTL = float(ENV.get("TASKLANE_SESSION_CHECK_TTL_SECONDS", "30"))
POOL_MAX = _env_int("DB_POOL_SIZE", 5) + _env_int("DB_MAX_OVERFLOW", 5)
MAX_BODY = _env_int("MAX_BODY_BYTES", 1_048_576)
COOKIE = ENV.get("TASKLANE_REFRESH_COOKIE_NAME", "tasklane_refresh")
PREFIX = "/api/v1/tasks"
TASK_PATH = PREFIX + "/"
LOGIN_PATH = "/api/v1/auth/login"

STATUSES = ("todo", "in_progress", "done")
PRIORITIES = ("low", "medium", "high", "urgent")
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES, start=1)}
PRIORITY_NAME = dict(enumerate(PRIORITIES, start=1))
TAG_RE = re.compile(r"^[\w][\w .\-/]*$")
WORD_RE = re.compile(r"\w+", re.UNICODE)

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
SECURITY_HEADERS: Headers = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", API_CSP),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
JSON_TYPE = (b"content-type", b"application/json")
PROBLEM_TYPE = (b"content-type", b"application/problem+json")
WWW_AUTH = (b"www-authenticate", b'Bearer realm="tasklane"')

COLUMNS = (
    "id, project_id, assignee_id, title, description, status, priority, due_at, completed_at, "
    "tags, version, created_at, updated_at"
)
# Positions in COLUMNS.
STATUS, COMPLETED, TAGS, VERSION, CREATED, UPDATED = 5, 8, 9, 10, 11, 12
# Whose tasks the caller reads (members of their projects) and writes (editors and owners):
# the statements Tasklane compiles for MariaDB.
SQL_MEMBER_OF = (
    "SELECT project_members.project_id FROM project_members WHERE project_members.user_id = %s"
)
SQL_WRITER_OF = SQL_MEMBER_OF + " AND project_members.role IN ('editor', 'owner')"
SQL_GET = f"SELECT {COLUMNS} FROM tasks WHERE project_id IN ({SQL_MEMBER_OF}) AND id = %s"
SQL_LOCK = (
    f"SELECT {COLUMNS} FROM tasks WHERE project_id IN ({SQL_WRITER_OF}) AND id = %s FOR UPDATE"
)
SQL_PROJECT_OF_TASK = "SELECT DISTINCT project_id FROM tasks WHERE id IN (%s)"
SQL_INBOX = "SELECT id FROM projects WHERE inbox_of = %s"
# The members whose dashboard counts a write makes stale.
SQL_MEMBERS = (
    "SELECT user_id, role, created_at FROM project_members WHERE project_id = %s "
    "ORDER BY created_at, user_id"
)
SQL_SESSION = "SELECT user_id, expires_at, revoked_at FROM sessions WHERE id = %s"
SQL_CREDENTIALS = "SELECT id, password_hash, is_active FROM users WHERE email = %s"
SQL_INSERT_TASK = (
    "INSERT INTO tasks (id, user_id, project_id, assignee_id, title, description, status, "
    "priority, due_at, completed_at, tags, version, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
SQL_INSERT_TAGS = "INSERT IGNORE INTO task_tags (task_id, tag, user_id) VALUES (%s, %s, %s)"
# The domain event every task write records in its transaction (Tasklane's outbox).
SQL_INSERT_EVENT = (
    "INSERT INTO outbox_events (id, kind, user_id, subject_id, project_id, payload, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
SQL_DELETE_TAGS = "DELETE FROM task_tags WHERE task_id = %s"
SQL_INSERT_SESSION = (
    "INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, user_agent) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)
SQL_INSERT_REFRESH = (
    "INSERT INTO refresh_tokens (id, session_id, token_hash, created_at) VALUES (%s, %s, %s, %s)"
)
SQL_REHASH = "UPDATE users SET password_hash = %s WHERE id = %s"


class Problem(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        headers: Headers | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or []
        self.extra = extra


def invalid(field: str, message: str) -> Problem:
    return Problem(
        422,
        "validation-error",
        "Invalid input",
        message,
        extra={"errors": [{"field": field, "message": message}]},
    )


def unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "Authentication required", detail, [WWW_AUTH])


NOT_FOUND = Problem(404, "not-found", "Not found", "No such task.")


# --- process state (built in the lifespan) ---------------------------------------------------


class State:
    read_pool: Any = None
    write_pool: Any = None
    keys: dict[str, Ed25519PublicKey] = {}  # noqa: RUF012
    private: Ed25519PrivateKey | None = None
    kid = ""
    hasher: argon2.PasswordHasher | None = None
    dummy_hash = ""
    hash_pool: ThreadPoolExecutor | None = None


S = State()
_claims: dict[str, tuple[int, bytes, str, bytes]] = {}  # token -> (exp, user, user str, sid)
_sessions: dict[bytes, tuple[float, bytes | None]] = {}  # sid -> (valid until, owner)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwk_thumbprint(raw: bytes) -> str:
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _load_keys() -> None:
    pem = ENV.get("TASKLANE_JWT_PRIVATE_KEY")
    if pem:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError("TASKLANE_JWT_PRIVATE_KEY must be an Ed25519 key")
        S.private = key
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        S.kid = _jwk_thumbprint(raw)
    url, path = ENV.get("FLOOR_JWKS_URL"), ENV.get("FLOOR_JWKS_FILE")
    jwks = None
    if url:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - our loopback
            jwks = json.load(answer)
    elif path:
        with open(path, encoding="utf-8") as handle:
            jwks = json.load(handle)
    if jwks is not None:
        for jwk in jwks["keys"]:
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                S.keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(_b64decode(jwk["x"]))
    elif S.private is not None:
        S.keys[S.kid] = S.private.public_key()
    if not S.keys:
        raise RuntimeError("no verification key: set FLOOR_JWKS_URL, FLOOR_JWKS_FILE or the key")


def _db_params() -> dict[str, Any]:
    url = urlsplit(ENV["TASKLANE_DATABASE_URL"])
    return {
        "host": url.hostname,
        "port": url.port or 3306,
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
        "db": url.path.lstrip("/"),
        "charset": "utf8mb4",
    }


async def startup() -> None:
    _load_keys()
    params = _db_params()
    S.read_pool = await asyncmy.create_pool(minsize=1, maxsize=POOL_MAX, autocommit=True, **params)
    S.write_pool = await asyncmy.create_pool(
        minsize=1, maxsize=POOL_MAX, autocommit=False, **params
    )
    S.hasher = argon2.PasswordHasher(
        time_cost=_env_int("ARGON2_TIME_COST", 2),
        memory_cost=_env_int("ARGON2_MEMORY_KIB", 19456),
        parallelism=_env_int("ARGON2_PARALLELISM", 1),
        hash_len=32,
        salt_len=16,
        type=argon2.Type.ID,
    )
    S.hash_pool = ThreadPoolExecutor(
        max_workers=_env_int("PASSWORD_HASH_WORKERS", os.cpu_count() or 2),
        thread_name_prefix="argon2",
    )
    S.dummy_hash = S.hasher.hash(secrets.token_urlsafe(16))
    gc.collect()
    gc.freeze()  # as Tasklane does after start-up


async def shutdown() -> None:
    for pool in (S.read_pool, S.write_pool):
        if pool is not None:
            pool.close()
            await pool.wait_closed()
    if S.hash_pool is not None:
        S.hash_pool.shutdown(wait=False, cancel_futures=True)


# --- HTTP plumbing --------------------------------------------------------------------------


async def respond(send: Send, status: int, body: bytes, headers: Headers) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    headers.extend(SECURITY_HEADERS)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def respond_problem(send: Send, problem: Problem) -> None:
    body: dict[str, Any] = {
        "type": "urn:tasklane:problem:" + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.extra:
        body.update(problem.extra)
    await respond(send, problem.status, orjson.dumps(body), [PROBLEM_TYPE, *problem.headers])


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def read_json(scope: Scope, receive: Receive) -> Any:
    content_type = (header(scope, b"content-type") or b"").split(b";", 1)[0].strip().lower()
    if content_type != b"application/json":
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the body as application/json.",
        )
    chunks = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Problem(
                413,
                "payload-too-large",
                "Payload too large",
                f"The body exceeds {MAX_BODY} bytes.",
            )
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as error:
        raise Problem(
            400, "malformed-json", "Malformed JSON", "The request body is not valid JSON."
        ) from error


# --- authentication -------------------------------------------------------------------------


def _verify_token(token: str) -> tuple[int, bytes, str, bytes]:
    """The same checks as TokenService.verify_access_token, with the bare primitives."""
    try:
        head_b64, payload_b64, signature_b64 = token.split(".")
        head = orjson.loads(_b64decode(head_b64))
        if head.get("typ") != "at+jwt" or head.get("alg") != "EdDSA":
            raise ValueError("not an access token")
        key = S.keys[str(head.get("kid"))]
        key.verify(_b64decode(signature_b64), f"{head_b64}.{payload_b64}".encode())
        claims = orjson.loads(_b64decode(payload_b64))
        now = time.time()
        aud = claims["aud"]
        if (
            claims["iss"] != ISSUER
            or (aud != AUDIENCE and not (isinstance(aud, list) and AUDIENCE in aud))
            or not claims["jti"]
            or int(claims["exp"]) <= now - 5
            or int(claims["iat"]) > now + 5
        ):
            raise ValueError("claims")
        user = uuid.UUID(str(claims["sub"]))
        session = uuid.UUID(str(claims["sid"]))
    except (ValueError, KeyError, TypeError, InvalidSignature) as error:
        raise unauthorized("The access token is invalid or expired.") from error
    return int(claims["exp"]), user.bytes, str(user), session.bytes


async def authenticate(scope: Scope) -> tuple[bytes, str]:
    """(user id bytes, user id text) of the caller, or a 401."""
    authorization = header(scope, b"authorization")
    if not authorization or authorization[:7].lower() != b"bearer ":
        raise unauthorized("Send an access token: Authorization: Bearer <token>.")
    token = authorization[7:].strip().decode("latin-1")
    claims = _claims.get(token)
    if claims is None:
        claims = _verify_token(token)
        if len(_claims) >= 50_000:
            _claims.clear()
        _claims[token] = claims
    elif claims[0] <= time.time():
        raise unauthorized("The access token is invalid or expired.")
    _exp, user, user_text, session = claims
    now = time.monotonic()
    cached = _sessions.get(session)
    if cached is None or cached[0] <= now:
        async with S.read_pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(SQL_SESSION, (session,))
            row = await cur.fetchone()
        owner = None
        if row is not None and row[2] is None and row[1] > datetime.now(UTC).replace(tzinfo=None):
            owner = bytes(row[0])
        cached = (now + SESSION_CHECK_TTL, owner)
        _sessions[session] = cached
    if cached[1] != user:
        raise unauthorized("The session has ended; log in again.")
    return user, user_text


# --- tasks ----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z`` (as Tasklane answers timestamps)."""
    if value is None:
        return None
    if value.tzinfo is None:  # read back from DATETIME(6): naive UTC
        return value.isoformat() + "Z"
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _uuid_text(value: Any) -> str | None:
    return None if value is None else str(uuid.UUID(bytes=bytes(value)))


def task_json(row: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    tags = row[TAGS]
    return {
        "id": _uuid_text(row[0]),
        "project_id": _uuid_text(row[1]),
        "assignee_id": _uuid_text(row[2]),
        "title": row[3],
        "description": row[4],
        "status": row[STATUS],
        "priority": PRIORITY_NAME[row[6]],
        "due_at": _iso(row[7]),
        "completed_at": _iso(row[COMPLETED]),
        "tags": orjson.loads(tags) if isinstance(tags, str | bytes) else list(tags or []),
        "version": row[VERSION],
        "created_at": _iso(row[CREATED]),
        "updated_at": _iso(row[UPDATED]),
    }


def task_headers(version: int) -> Headers:
    return [JSON_TYPE, (b"etag", f'"{version}"'.encode())]


def _task_id(path: str) -> bytes:
    try:
        return uuid.UUID(path[len(TASK_PATH) :]).bytes
    except ValueError as error:
        raise invalid("task_id", "Input should be a valid UUID") from error


async def get_task(scope: Scope, send: Send) -> None:
    user, _ = await authenticate(scope)
    task_id = _task_id(scope["path"])
    async with S.read_pool.acquire() as conn, conn.cursor() as cur:
        await cur.execute(SQL_GET, (user, task_id))
        row = await cur.fetchone()
    if row is None:
        raise NOT_FOUND
    await respond(send, 200, orjson.dumps(task_json(row)), task_headers(row[VERSION]))


def search_clause(terms: list[str]) -> tuple[str, list[Any]]:
    """Every term starts a word of the title or description, over the caller's projects (the
    statement Tasklane compiles for MariaDB)."""
    clauses, args = [], []
    for term in terms:
        pattern = r"(?i)(^|\W)" + re.escape(term)
        clauses.append("(tasks.title REGEXP %s OR tasks.description REGEXP %s)")
        args += [pattern, pattern]
    return " AND ".join(clauses), args


def _encode_cursor(kind: str, created_at: datetime, task_id: bytes) -> str:
    payload = orjson.dumps(
        # Positions keep Python's isoformat offset (as Tasklane's cursors do).
        {
            "v": 1,
            "k": kind,
            "p": [created_at.isoformat() + "+00:00", str(uuid.UUID(bytes=bytes(task_id)))],
        }
    )
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()


def _decode_cursor(cursor: str, kind: str) -> tuple[datetime, bytes]:
    try:
        data = orjson.loads(_b64decode(cursor))
    except ValueError as error:
        raise invalid("cursor", "Invalid cursor.") from error
    if (
        not isinstance(data, dict)
        or data.get("v") != 1
        or data.get("k") != kind
        or not isinstance(data.get("p"), list)
    ):
        raise invalid(
            "cursor", "This cursor belongs to another listing or sort order; start again."
        )
    try:
        raw_time, raw_id = data["p"]
        created = datetime.fromisoformat(raw_time)
        if created.tzinfo is None:
            raise ValueError("naive")
        return created.astimezone(UTC).replace(tzinfo=None), uuid.UUID(raw_id).bytes
    except (TypeError, ValueError, OverflowError) as error:
        raise invalid("cursor", "Invalid cursor.") from error


async def list_tasks(scope: Scope, send: Send) -> None:
    user, _ = await authenticate(scope)
    statuses: list[str] = []
    q = cursor = None
    limit, sort = 20, "-created_at"
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
        if name == "status":
            if value not in STATUSES:
                raise invalid("status.0", "Input should be 'todo', 'in_progress' or 'done'")
            if value not in statuses:
                statuses.append(value)
        elif name == "q":
            q = value
        elif name == "cursor":
            cursor = value
        elif name == "limit":
            if not value.isdigit() or not 1 <= int(value) <= 100:
                raise invalid("limit", "Input should be between 1 and 100")
            limit = int(value)
        elif name == "sort":
            sort = value
        elif name in ("priority", "tag", "due_before", "due_after", "overdue"):
            raise Problem(400, "bad-request", "Bad request", f"The floor has no {name} filter.")
    if sort not in ("-created_at", "created_at"):
        raise Problem(400, "bad-request", "Bad request", "The floor sorts by created_at only.")
    descending = sort == "-created_at"
    where: list[str] = []  # after the caller's projects, read first (as Tasklane does)
    args: list[Any] = []
    if len(statuses) == 1:
        where.append("tasks.status = %s")
        args.append(statuses[0])
    elif statuses:
        where.append("tasks.status IN (" + ", ".join(["%s"] * len(statuses)) + ")")
        args += statuses
    if q is not None:
        if len(q) > 200:
            raise invalid("q", "String should have at most 200 characters")
        terms = list(dict.fromkeys(WORD_RE.findall(q.lower())))[:10]
        if not terms:
            raise invalid("q", "Search for at least one letter or digit.")
        clause, clause_args = search_clause(terms)
        where.append(clause)
        args += clause_args
    kind = "tasks:" + sort
    if cursor:
        if len(cursor) > 512:
            raise invalid("cursor", "String should have at most 512 characters")
        created, task_id = _decode_cursor(cursor, kind)
        op, bound = ("<", "<=") if descending else (">", ">=")
        where.append(
            f"tasks.created_at {bound} %s AND (tasks.created_at {op} %s OR "
            f"tasks.created_at = %s AND tasks.id {op} %s)"
        )
        args += [created, created, created, task_id]
    direction = "DESC" if descending else "ASC"
    args.append(limit + 1)
    rows: Any = []
    async with S.read_pool.acquire() as conn, conn.cursor() as cur:
        await cur.execute(SQL_MEMBER_OF, (user,))
        projects = [row[0] for row in await cur.fetchall()]
        if projects:
            mine = "tasks.project_id IN (" + ", ".join(["%s"] * len(projects)) + ")"
            sql = (
                f"SELECT {COLUMNS} FROM tasks WHERE {' AND '.join([mine, *where])} "
                f"ORDER BY tasks.created_at {direction}, tasks.id {direction} LIMIT %s"
            )
            await cur.execute(sql, [*projects, *args])
            rows = await cur.fetchall()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _encode_cursor(kind, rows[-1][CREATED], rows[-1][0])
    body = orjson.dumps({"items": [task_json(r) for r in rows], "next_cursor": next_cursor})
    await respond(send, 200, body, [JSON_TYPE])


def _title(value: Any) -> str:
    if not isinstance(value, str):
        raise invalid("title", "Input should be a valid string")
    title = value.strip()
    if not 1 <= len(title) <= 200:
        raise invalid("title", "String should have between 1 and 200 characters")
    return title


def _description(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 10_000):
        raise invalid("description", "Input should be a string of at most 10000 characters")
    return value


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise invalid(field, "Input should be " + ", ".join(repr(a) for a in allowed))
    return str(value)


def _due(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise invalid("due_at", "Input should be a valid datetime") from error
    if parsed.tzinfo is None:
        raise invalid("due_at", "Input should have timezone info")
    return parsed


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > 20:
        raise invalid("tags", "Input should be a list of at most 20 items")
    tags = []
    for index, raw in enumerate(value):
        if not isinstance(raw, str):
            raise invalid(f"tags.{index}", "Input should be a valid string")
        tag = raw.strip().lower()
        if not 1 <= len(tag) <= 32 or not TAG_RE.match(tag):
            raise invalid(
                f"tags.{index}",
                "Use letters, digits, spaces and . - / _ only, starting with a letter or digit.",
            )
        tags.append(tag)
    return list(dict.fromkeys(tags))


CREATE_FIELDS = frozenset(("title", "description", "status", "priority", "due_at", "tags"))


def _check_fields(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("body", "Input should be a valid dictionary or object")
    for name in body:
        if name not in CREATE_FIELDS:
            raise invalid(name, "Unknown field")
    return body


def uuid7() -> bytes:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | rand & ((1 << 62) - 1)
    return value.to_bytes(16, "big")


def _db_time(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


async def create_task(scope: Scope, receive: Receive, send: Send) -> None:
    user, _ = await authenticate(scope)
    body = _check_fields(await read_json(scope, receive))
    if "title" not in body:
        raise invalid("title", "Field required")
    title = _title(body["title"])
    description = _description(body.get("description"))
    status = _choice("status", body.get("status", "todo"), STATUSES)
    priority = _choice("priority", body.get("priority", "medium"), PRIORITIES)
    due_at = _due(body.get("due_at"))
    tags = _tags(body.get("tags", []))
    task_id = uuid7()
    now = datetime.now(UTC)
    completed = now if status == "done" else None
    naive_now = now.replace(tzinfo=None)
    text_id = str(uuid.UUID(bytes=task_id))
    task = {
        "id": text_id,
        "project_id": None,  # the caller's Inbox, read in the transaction
        "assignee_id": None,
        "title": title,
        "description": description,
        "status": status,
        "priority": priority,
        "due_at": _iso(due_at),
        "completed_at": _iso(completed),
        "tags": tags,
        "version": 1,
        "created_at": _iso(now),
        "updated_at": _iso(now),
    }
    async with S.write_pool.acquire() as conn:
        try:
            async with conn.cursor() as cur:
                await cur.execute(SQL_INBOX, (user,))
                inbox = (await cur.fetchone())[0]
                task["project_id"] = _uuid_text(inbox)
                await cur.execute(
                    SQL_INSERT_TASK,
                    (
                        task_id,
                        user,
                        inbox,
                        None,
                        title,
                        description,
                        status,
                        PRIORITY_RANK[priority],
                        _db_time(due_at),
                        _db_time(completed),
                        orjson.dumps(tags).decode(),
                        1,
                        naive_now,
                        naive_now,
                    ),
                )
                if tags:
                    await cur.executemany(SQL_INSERT_TAGS, [(task_id, t, user) for t in tags])
                await cur.execute(
                    SQL_INSERT_EVENT,
                    (
                        uuid7(),
                        "task.created",
                        user,
                        task_id,
                        inbox,
                        orjson.dumps({"task": task}).decode(),
                        naive_now,
                    ),
                )
                await cur.execute(SQL_MEMBERS, (inbox,))
                await cur.fetchall()
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
    headers = task_headers(1)
    headers.append((b"location", f"{PREFIX}/{text_id}".encode()))
    await respond(send, 201, orjson.dumps(task), headers)


def if_match_allows(value: bytes | None, version: int) -> bool:
    if value is None:
        return True
    etag = f'"{version}"'
    for candidate in value.decode("latin-1").split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


UPDATE_COLUMNS = {"title": 3, "description": 4, "status": 5, "priority": 6, "due_at": 7}


async def update_task(scope: Scope, receive: Receive, send: Send) -> None:
    user, _ = await authenticate(scope)
    task_id = _task_id(scope["path"])
    body = _check_fields(await read_json(scope, receive))
    for name in ("title", "status", "priority", "tags"):
        if name in body and body[name] is None:
            raise invalid(name, "This field cannot be null.")
    changes: dict[str, Any] = {}
    if "title" in body:
        changes["title"] = _title(body["title"])
    if "description" in body:
        changes["description"] = _description(body["description"])
    if "status" in body:
        changes["status"] = _choice("status", body["status"], STATUSES)
    if "priority" in body:
        changes["priority"] = PRIORITY_RANK[_choice("priority", body["priority"], PRIORITIES)]
    if "due_at" in body:
        changes["due_at"] = _due(body["due_at"])
    if "tags" in body:
        changes["tags"] = _tags(body["tags"])
    if_match = header(scope, b"if-match")
    async with S.write_pool.acquire() as conn:
        try:
            async with conn.cursor() as cur:
                await cur.execute(SQL_PROJECT_OF_TASK, (task_id,))
                await cur.fetchall()
                await cur.execute(SQL_LOCK, (user, task_id))
                row = await cur.fetchone()
                if row is None:
                    raise NOT_FOUND
                if not if_match_allows(if_match, row[VERSION]):
                    raise Problem(
                        412,
                        "precondition-failed",
                        "Precondition failed",
                        "The task changed since you read it; the current version is in `current`.",
                        [(b"etag", f'"{row[VERSION]}"'.encode())],
                        {"current": task_json(row)},
                    )
                now = datetime.now(UTC)
                values = list(row)
                if "status" in changes and changes["status"] == row[STATUS]:
                    del changes["status"]
                if not changes:
                    await cur.execute(SQL_MEMBERS, (row[1],))
                    await cur.fetchall()
                    await conn.commit()
                    body = orjson.dumps(task_json(row))
                    await respond(send, 200, body, task_headers(row[VERSION]))
                    return
                sets, args = [], []
                for name, value in changes.items():
                    if name == "tags":
                        continue
                    sets.append(f"{name} = %s")
                    args.append(_db_time(value) if name == "due_at" else value)
                    values[UPDATE_COLUMNS[name]] = value
                if "status" in changes:
                    completed = now if changes["status"] == "done" else None
                    sets.append("completed_at = %s")
                    args.append(_db_time(completed))
                    values[COMPLETED] = completed
                if "tags" in changes:
                    sets.append("tags = %s")
                    args.append(orjson.dumps(changes["tags"]).decode())
                    values[TAGS] = changes["tags"]
                version = row[VERSION] + 1
                sets += ["version = %s", "updated_at = %s"]
                args += [version, now.replace(tzinfo=None), user, task_id]
                values[VERSION], values[UPDATED] = version, now
                await cur.execute(
                    f"UPDATE tasks SET {', '.join(sets)} "
                    f"WHERE project_id IN ({SQL_WRITER_OF}) AND id = %s",
                    args,
                )
                if "tags" in changes:
                    await cur.execute(SQL_DELETE_TAGS, (task_id,))
                    if changes["tags"]:
                        await cur.executemany(
                            SQL_INSERT_TAGS, [(task_id, t, user) for t in changes["tags"]]
                        )
                await cur.execute(
                    SQL_INSERT_EVENT,
                    (
                        uuid7(),
                        "task.updated",
                        user,
                        task_id,
                        row[1],
                        orjson.dumps({"task": task_json(values)}).decode(),
                        now.replace(tzinfo=None),
                    ),
                )
                await cur.execute(SQL_MEMBERS, (row[1],))
                await cur.fetchall()
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
    await respond(send, 200, orjson.dumps(task_json(values)), task_headers(version))


# --- login ----------------------------------------------------------------------------------

LOGIN_FAILED = "The email address or password is not correct."


def _verify_password(stored: str, password: str) -> bool:
    assert S.hasher is not None
    try:
        return S.hasher.verify(stored, unicodedata.normalize("NFKC", password))
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def sign_access_token(user: uuid.UUID, session: uuid.UUID) -> str:
    assert S.private is not None
    now = int(time.time())
    head = _b64url(orjson.dumps({"alg": "EdDSA", "kid": S.kid, "typ": "at+jwt"}))
    payload = _b64url(
        orjson.dumps(
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": str(user),
                "sid": str(session),
                "iat": now,
                "exp": now + ACCESS_TTL,
                "jti": _b64url(os.urandom(16)),
            }
        )
    )
    signing_input = f"{head}.{payload}"
    return f"{signing_input}.{_b64url(S.private.sign(signing_input.encode()))}"


async def login(scope: Scope, receive: Receive, send: Send) -> None:
    body = await read_json(scope, receive)
    if not isinstance(body, dict) or set(body) - {"email", "password"}:
        raise invalid("body", "Unknown field")
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not 1 <= len(email) <= 320:
        raise invalid("email", "String should have between 1 and 320 characters")
    if not isinstance(password, str) or not 1 <= len(password) <= 1024:
        raise invalid("password", "String should have between 1 and 1024 characters")
    async with S.read_pool.acquire() as conn, conn.cursor() as cur:
        await cur.execute(SQL_CREDENTIALS, (email.strip().lower(),))
        account = await cur.fetchone()
    stored = account[1] if account else S.dummy_hash
    loop = asyncio.get_running_loop()
    ok = await loop.run_in_executor(S.hash_pool, _verify_password, stored, password)
    if not ok or account is None or not account[2]:
        raise Problem(401, "invalid-credentials", "Invalid credentials", LOGIN_FAILED, [WWW_AUTH])
    assert S.hasher is not None
    new_hash = None
    if S.hasher.check_needs_rehash(stored):
        new_hash = await loop.run_in_executor(
            S.hash_pool, S.hasher.hash, unicodedata.normalize("NFKC", password)
        )
    user = uuid.UUID(bytes=bytes(account[0]))
    session = uuid.UUID(bytes=uuid7())
    refresh = secrets.token_urlsafe(32)
    now = datetime.now(UTC).replace(tzinfo=None)
    agent = (header(scope, b"user-agent") or b"").decode("latin-1")[:255] or None
    async with S.write_pool.acquire() as conn:
        try:
            async with conn.cursor() as cur:
                if new_hash:
                    await cur.execute(SQL_REHASH, (new_hash, user.bytes))
                await cur.execute(
                    SQL_INSERT_SESSION,
                    (
                        session.bytes,
                        user.bytes,
                        now,
                        now,
                        now + timedelta(seconds=REFRESH_TTL),
                        agent,
                    ),
                )
                await cur.execute(
                    SQL_INSERT_REFRESH,
                    (
                        uuid.uuid4().bytes,
                        session.bytes,
                        hashlib.sha256(refresh.encode()).digest(),
                        now,
                    ),
                )
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
    token = sign_access_token(user, session)
    cookie = (
        f"{COOKIE}={refresh}; HttpOnly; Max-Age={REFRESH_TTL}; Path=/api/v1/auth; "
        "SameSite=strict; Secure"
    )
    answer = {"access_token": token, "token_type": "bearer", "expires_in": ACCESS_TTL}
    await respond(send, 200, orjson.dumps(answer), [JSON_TYPE, (b"set-cookie", cookie.encode())])


# --- the ASGI callable ----------------------------------------------------------------------


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await startup()
            except Exception as error:  # reported to the server, which stops
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    method: str = scope["method"]
    try:
        if path.startswith(TASK_PATH):
            if method == "GET":
                await get_task(scope, send)
            elif method == "PATCH":
                await update_task(scope, receive, send)
            else:
                raise Problem(405, "method-not-allowed", "Method Not Allowed", "Not allowed.")
        elif path == PREFIX:
            if method == "GET":
                await list_tasks(scope, send)
            elif method == "POST":
                await create_task(scope, receive, send)
            else:
                raise Problem(405, "method-not-allowed", "Method Not Allowed", "Not allowed.")
        elif path == LOGIN_PATH and method == "POST":
            await login(scope, receive, send)
        elif path == "/livez":
            await respond(send, 200, b'{"status":"ok"}', [JSON_TYPE])
        else:
            raise Problem(404, "not-found", "Not Found", "No such resource.")
    except Problem as problem:
        await respond_problem(send, problem)
