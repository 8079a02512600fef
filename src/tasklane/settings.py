"""Typed settings, read from the environment (prefix ``TASKLANE_``) and validated at start-up."""

from __future__ import annotations

import ipaddress
import os
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Environment = Literal["development", "test", "production"]
#: The services a process can run (``TASKLANE_SERVICES``); every one by default.
Service = Literal["auth", "tasks", "notifications"]
SERVICES: tuple[Service, ...] = ("auth", "tasks", "notifications")


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


#: Seconds by which the read-your-writes window must exceed the replicas' lag limit: a lag
#: figure is whole seconds (MariaDB/MySQL), and routing trusts one at most a second old.
REPLICA_LAG_SLACK = 2.0


def _dialect_of(url: str) -> str:
    name = url.split(":", 1)[0].split("+", 1)[0]
    return "mysql" if name == "mariadb" else name


class Settings(BaseSettings):
    """Every knob of the service. Defaults suit the embedded single-process set-up."""

    model_config = SettingsConfigDict(env_prefix="TASKLANE_", extra="ignore", frozen=True)

    environment: Environment = "development"
    var_dir: Path = Path("var")
    #: Which services this process runs (comma-separated): ``auth`` (sessions, accounts,
    #: administration, the JWKS; the only one holding the signing key), ``tasks``,
    #: ``notifications`` (notifications, the event stream, the embedded worker).
    services: Annotated[tuple[Service, ...], NoDecode] = SERVICES

    # --- database -------------------------------------------------------------------------
    database_url: str = "sqlite+aiosqlite:///./var/tasklane.db"
    #: Connections kept open per engine and process. Two engines exist per process (a write
    #: engine and an autocommit read engine), so a process holds at most
    #: 2 * (pool_size + max_overflow) connections.
    #: Overflow connections are closed when returned to a full pool: under a steady load above
    #: ``pool_size`` every overflow checkout is a new connection. Size ``pool_size`` for the
    #: load and keep the overflow for bursts (0 by default: requests queue for a connection).
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    #: Seconds a request waits for a free connection before it gets a 503.
    db_pool_timeout: float = Field(default=5.0, gt=0, le=120)
    #: Seconds after which a pooled connection is replaced (below MySQL's wait_timeout).
    db_pool_recycle: int = Field(default=1800, ge=-1)
    #: Per-engine overrides (unset: the values above). The read engine serves the primary's
    #: autocommit reads (GETs without replicas, cache fills, session checks); each replica
    #: has a pool of the replica size.
    db_read_pool_size: int | None = Field(default=None, ge=1, le=200)
    db_read_max_overflow: int | None = Field(default=None, ge=0, le=200)
    db_replica_pool_size: int | None = Field(default=None, ge=1, le=200)
    db_replica_max_overflow: int | None = Field(default=None, ge=0, le=200)
    #: A pooled connection that sat idle longer than this is pinged before use and replaced
    #: if the server has gone away; one in steady use is not (a ping is a round trip). 0: ping
    #: at every checkout.
    db_pool_ping_after_idle: float = Field(default=1.0, ge=0, le=3600)
    #: Seconds to open a database connection, the TCP connect and the server's handshake
    #: (MariaDB/MySQL, PostgreSQL).
    db_connect_timeout: float = Field(default=5.0, gt=0, le=120)
    #: Seconds the app waits for the database's answer to one statement before it gives up on
    #: the connection (discarded, never reused) and answers 503. Enforced by the client, so
    #: it holds when the server is frozen and cannot enforce a timeout of its own
    #: (MariaDB/MySQL: the driver's read timeout; PostgreSQL: its command timeout).
    db_statement_timeout: float = Field(default=15.0, gt=0, le=3600)
    #: Seconds ``/readyz`` waits for the database before it answers 503.
    readiness_timeout: float = Field(default=1.0, gt=0, le=30)
    db_echo: bool = False

    # --- read replicas ----------------------------------------------------------------------
    #: Replicas of the primary (comma-separated URLs, same dialect). Empty: every read goes to
    #: the primary. Each replica gets its own autocommit engine and pool (same pool settings).
    database_replica_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: After a user's write commits, that user's reads go to the primary for this long, so
    #: nobody sees their own change vanish behind replication lag. 0 turns it off.
    read_your_writes_seconds: float = Field(default=5.0, ge=0, le=3600)
    #: A replica that failed to give a connection is skipped (reads go to the primary) for this
    #: long, then tried again.
    database_replica_retry_seconds: float = Field(default=5.0, gt=0, le=600)
    #: Seconds a read waits for a replica's connection (taking one from its pool, or the TCP
    #: connect, the handshake and the ping of a new one, together) before the replica is
    #: skipped for ``database_replica_retry_seconds`` and the primary serves.
    database_replica_connect_timeout: float = Field(default=0.5, gt=0, le=60)
    #: A replica more than this many seconds behind the primary, or whose replication has
    #: stopped, is not read from until it has caught up. ``read_your_writes_seconds`` must
    #: exceed it by REPLICA_LAG_SLACK (see ``core.db``). MariaDB/MySQL: the app's user needs
    #: the SLAVE MONITOR privilege (MySQL: REPLICATION CLIENT) to read the replica's status.
    database_replica_max_lag_seconds: float = Field(default=3.0, gt=0, le=3600)
    #: How often each process asks each replica how far behind it is (also how soon a hung
    #: replica is noticed when no read has tried it).
    database_replica_check_interval_seconds: float = Field(default=0.25, ge=0.05, le=0.5)

    # --- tokens ---------------------------------------------------------------------------
    #: PEM of the Ed25519 private key that signs access tokens. In development and tests a key
    #: is generated once and kept under ``var_dir``; production refuses to start without one.
    jwt_private_key: str | None = None
    #: Extra PEM public keys still accepted (key rotation), separated by blank lines.
    jwt_extra_public_keys: str | None = None
    #: Where a process without the auth service reads the public keys (the auth service's
    #: ``/.well-known/jwks.json``). Required when ``auth`` is not among ``services``.
    jwks_url: str | None = None
    #: The key set fetched from ``jwks_url`` is fetched again this often (a key published
    #: ahead of a rotation is known before it signs) ...
    jwks_refresh_seconds: float = Field(default=60.0, ge=1, le=86400)
    #: ... and at once for a token with an unknown key id, but at most once this often: a
    #: stream of forged key ids cannot make the service fetch in a loop.
    jwks_refetch_min_seconds: float = Field(default=5.0, ge=0.1, le=3600)
    #: Seconds to wait for the JWKS.
    jwks_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    jwt_issuer: str = "tasklane"
    jwt_audience: str = "tasklane-api"
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
    #: A session not refreshed for this long ends: its refresh token is refused and the
    #: session revoked. Activity is seen at refresh, once an access token has expired, so this
    #: must be at least twice the access token's lifetime. OWASP ASVS level 2 asks for 1800
    #: (30 minutes) where sessions otherwise last longer than 12 hours.
    session_idle_timeout_seconds: int = Field(default=7 * 24 * 3600, ge=120)
    #: A rotated refresh token presented again within this many seconds answers the same
    #: successor (two tabs refreshing at once); later, the whole session is revoked.
    refresh_reuse_grace_seconds: int = Field(default=10, ge=0, le=10)
    refresh_cookie_name: str = "tasklane_refresh"
    refresh_cookie_secure: bool = True
    #: How long a session's "still valid" answer may be reused before the database is asked
    #: again. Revocations made by this process take effect at once.
    session_check_ttl_seconds: float = Field(default=30.0, ge=0, le=300)

    # --- passwords ------------------------------------------------------------------------
    password_min_length: int = Field(default=8, ge=8)
    password_max_length: int = Field(default=128, ge=64, le=1024)
    argon2_time_cost: int = Field(default=2, ge=2)
    argon2_memory_kib: int = Field(default=19456, ge=19456)
    argon2_parallelism: int = Field(default=1, ge=1)
    #: Threads hashing passwords; each running hash holds ``argon2_memory_kib`` of memory.
    password_hash_workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1, le=64)
    #: How much nicer than the process those threads run (Linux: nice is per thread). When the
    #: CPU is short, requests on the event loop run first and hashing takes what is left, so a
    #: storm of logins cannot slow every other request down; 0 gives hashing equal weight.
    password_hash_nice: int = Field(default=10, ge=0, le=19)

    # --- observability --------------------------------------------------------------------
    #: FastAPI's native OpenTelemetry (request spans and metrics through the globally set
    #: providers). Off unless asked for: when on, every request checks whether a provider is
    #: configured, even when none is.
    otel_enabled: bool = False
    #: An OpenTelemetry collector's OTLP/HTTP endpoint (``http://collector:4318``): request
    #: spans are exported there (implies ``otel_enabled``). Unset: no tracing.
    otel_endpoint: str | None = None
    #: ``GET /metrics`` (Prometheus) is answered only to peers in these networks that talk
    #: to the instance directly: a request that came through a proxy (X-Forwarded-For,
    #: Forwarded or X-Real-IP present) is refused with a 404, whatever its address.
    metrics_allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1/128"]
    )
    #: How often each process samples its pools and the outbox for the gauges.
    metrics_sample_seconds: float = Field(default=5.0, ge=0.5, le=300)
    #: Log records as JSON lines (with the request id) or as text; unset: JSON in
    #: production, text elsewhere.
    log_format: Literal["json", "text"] | None = None
    #: One log record per request (method, route, status, duration, request id).
    access_log: bool = False

    # --- HTTP -----------------------------------------------------------------------------
    #: Origins allowed to make credentialed cross-site calls (and the refresh/logout calls).
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)

    # --- the notification service (tasklane.worker) -----------------------------------------
    #: Run the worker loop inside each server process (the embedded default: a laptop needs
    #: nothing more). Set false where ``tasklane worker`` processes run on their own.
    worker_embedded: bool = True
    #: Seconds the worker waits between turns when it found nothing to do (reminders fire
    #: within about this long of their time).
    worker_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    #: Reminders of a task with a due time, in minutes before it (0: at the due time).
    reminder_offsets_minutes: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [0])
    #: Days published events and the consumers' records are kept before they are pruned.
    events_retention_days: int = Field(default=7, ge=1, le=365)
    #: Live updates (``GET /api/v1/events``): how often a process reads new events while a
    #: stream is open, and how often a stream sends a heartbeat (keep it below the read
    #: timeout of every proxy in front: nginx's is 60 s by default).
    stream_poll_seconds: float = Field(default=0.5, gt=0, le=10)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0, le=55)

    # --- email ------------------------------------------------------------------------------
    #: Where the web app is, for the links in emails.
    public_base_url: str = "http://127.0.0.1:8000"
    #: The SMTP server (``smtp://user:password@host:587``: STARTTLS when the server offers it;
    #: ``smtps://`` for TLS from the start). Unset: messages are written to ``var_dir/mail``
    #: (and the log), so every flow works on a laptop.
    smtp_url: str | None = None
    mail_from: str = "Tasklane <no-reply@tasklane.invalid>"
    #: How long a password-reset link works (single use).
    password_reset_ttl_seconds: int = Field(default=1800, ge=300, le=86400)
    #: How long a link that verifies an address, or confirms an email change, works (once).
    email_token_ttl_seconds: int = Field(default=24 * 3600, ge=300, le=7 * 86400)
    #: Secret that signs the one-click unsubscribe links of non-essential mail (reminders,
    #: digests). Unset: the notification service generates one once and keeps it in the
    #: database, where every instance reads it. Changing it stops the links already sent.
    mail_link_secret: str | None = Field(default=None, min_length=32)
    #: New-device login notices one account may get in a day (each device gets one at most).
    login_notices_per_day: int = Field(default=3, ge=1, le=100)
    #: A retry whose Idempotency-Key is held by an attempt still running waits this long for
    #: it (and then replays its answer) before it gets a 409 with Retry-After. An attempt
    #: that died holds nothing: its claim goes with its transaction.
    idempotency_wait_seconds: int = Field(default=2, ge=1, le=60)

    # --- shared cache and rate limits ------------------------------------------------------
    #: Redis for the shared cache, session revocations and rate limits across instances
    #: (``redis://127.0.0.1:6379/0``). Unset: everything stays in-process (one instance).
    redis_url: str | None = None
    #: Every Redis call gives up after this long; a failure opens the circuit breaker.
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=5)
    #: After a Redis failure, Redis is not called again for this long (cache bypassed,
    #: rate limits per instance); then one trial call decides whether it is back.
    redis_breaker_seconds: float = Field(default=5.0, ge=0.1, le=300)
    cache_profile_ttl_seconds: int = Field(default=300, ge=1)
    cache_stats_ttl_seconds: int = Field(default=60, ge=1)
    #: Rate-limit policies, in the ``limits`` syntax ("20/minute", "10 per 10 minutes", several
    #: separated by ";"). Anonymous requests count per client address, authenticated ones per
    #: user; the auth endpoints (login, registration, refresh, password change) count per
    #: address *and* per target account, so many addresses cannot share one brute force.
    rate_limit_enabled: bool = True
    rate_limit_anonymous: str = "300/minute"
    rate_limit_user: str = "1200/minute"
    rate_limit_auth_address: str = "20/minute;200/hour"
    rate_limit_auth_account: str = "10 per 15 minutes;50/day"

    # --- web app ----------------------------------------------------------------------------
    #: The built single-page app served at ``/``. Unset: the source tree's ``web/dist`` when it
    #: has been built (outside tests); otherwise no app is served.
    web_dist_dir: Path | None = None
    #: Origin (optionally with a path) that serves the app's ``/assets``, e.g. a CDN. The page
    #: points its scripts and styles there and the Content-Security-Policy allows it.
    asset_base_url: str | None = None

    # --- serving (tasklane serve) -------------------------------------------------------------
    #: After SIGTERM, /readyz answers 503 for this long while everything else is still served,
    #: so a load balancer or orchestrator polling it takes the instance out of rotation first.
    shutdown_drain_seconds: float = Field(default=5.0, ge=0, le=600)
    #: Then the instance stops accepting connections and requests in flight get this long to
    #: finish (lifespan shutdown included) before the worker processes are killed.
    shutdown_grace_seconds: int = Field(default=30, ge=1, le=1800)
    #: Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks,
    #: comma-separated; ``*`` trusts everyone). Anyone else's are ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    #: Connections the kernel accepts and queues for the workers before they take them (the
    #: listen backlog; Linux caps it at net.core.somaxconn).
    server_backlog: int = Field(default=4096, ge=128, le=65535)
    #: Open connections per worker process (granian's backpressure), idle keep-alive ones and
    #: ones still sending their headers included; beyond it, new connections wait in the
    #: backlog. Lowered to what the open-files limit allows (see docs/operations.md).
    server_max_connections: int = Field(default=16384, ge=64, le=1_000_000)
    #: A connection that has not sent a whole request head this long after it opened (or after
    #: its previous answer, on a keep-alive connection) is closed.
    server_header_read_timeout_seconds: float = Field(default=10.0, ge=1, le=300)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("services", "metrics_allowed_networks", mode="before")
    @classmethod
    def _parse_service_lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("services")
    @classmethod
    def _check_services(cls, value: tuple[Service, ...]) -> tuple[Service, ...]:
        if not value:
            raise ValueError(f"name at least one service of {', '.join(SERVICES)}")
        return tuple(service for service in SERVICES if service in value)

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as error:
                raise ValueError(f"not an address or network: {entry!r}") from error
        return value

    @field_validator("jwks_url", "otel_endpoint")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @model_validator(mode="after")
    def _check_service_keys(self) -> Self:
        if "auth" in self.services:
            return self
        if self.jwt_private_key:
            raise ValueError(
                "TASKLANE_JWT_PRIVATE_KEY belongs to the auth service only; this process "
                f"runs {','.join(self.services)} and verifies tokens with TASKLANE_JWKS_URL"
            )
        if not self.jwks_url:
            raise ValueError(
                "TASKLANE_JWKS_URL is required when auth is not among TASKLANE_SERVICES "
                "(e.g. http://auth:8000/.well-known/jwks.json)"
            )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as error:
                raise ValueError(f"not an address or network: {entry!r}") from error
        return value

    @field_validator(
        "rate_limit_anonymous",
        "rate_limit_user",
        "rate_limit_auth_address",
        "rate_limit_auth_account",
    )
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse_many  # noqa: PLC0415 - validation only

        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"not a rate-limit policy: {value!r} ({error})") from error
        return value

    @field_validator("asset_base_url")
    @classmethod
    def _check_asset_base(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")) or any(c in value for c in " '\";,"):
            raise ValueError(f"not a base URL: {value!r} (expected https://host[/path])")
        return value.rstrip("/")

    def resolved_web_dist(self) -> Path | None:
        """Where the built app is, or None when there is none to serve."""
        if self.web_dist_dir is not None:
            return self.web_dist_dir
        if self.environment == "test":
            return None
        candidate = Path(__file__).resolve().parents[2] / "web" / "dist"
        return candidate if (candidate / "index.html").is_file() else None

    @field_validator("database_replica_urls", mode="before")
    @classmethod
    def _parse_replica_urls(cls, value: object) -> object:
        return _split_list(value)

    @model_validator(mode="after")
    def _check_replicas(self) -> Self:
        for url in self.database_replica_urls:
            if _dialect_of(url) != self.dialect or self.dialect == "sqlite":
                raise ValueError(
                    "a read replica must be a server database of the primary's kind "
                    f"({self.dialect}): {url.split('@')[-1]!r}"
                )
        window, lag = self.read_your_writes_seconds, self.database_replica_max_lag_seconds
        if self.database_replica_urls and window and window < lag + REPLICA_LAG_SLACK:
            raise ValueError(
                "TASKLANE_READ_YOUR_WRITES_SECONDS must be at least "
                f"TASKLANE_DATABASE_REPLICA_MAX_LAG_SECONDS + {REPLICA_LAG_SLACK:g} "
                f"({lag + REPLICA_LAG_SLACK:g}): a user's reads return to the replicas only "
                "once any replica still read from has their write"
            )
        return self

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("allowed_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin == "*" or not origin.startswith(("http://", "https://")):
                raise ValueError(f"not an origin: {origin!r} (expected scheme://host[:port])")
        return [origin.rstrip("/") for origin in value]

    @model_validator(mode="after")
    def _check_idle_timeout(self) -> Self:
        if self.session_idle_timeout_seconds < 2 * self.access_token_ttl_seconds:
            raise ValueError(
                "TASKLANE_SESSION_IDLE_TIMEOUT_SECONDS must be at least twice "
                "TASKLANE_ACCESS_TOKEN_TTL_SECONDS: a session is seen active when it refreshes"
            )
        return self

    @model_validator(mode="after")
    def _production_guards(self) -> Self:
        if self.environment == "production":
            if not self.jwt_private_key and "auth" in self.services:
                raise ValueError("TASKLANE_JWT_PRIVATE_KEY is required in production")
            if not self.refresh_cookie_secure:
                raise ValueError("refresh cookies must be Secure in production")
        return self

    @cached_property
    def dialect(self) -> str:
        """``sqlite``, ``mysql`` (MariaDB too) or ``postgresql``."""
        return _dialect_of(self.database_url)


def get_settings() -> Settings:
    return Settings()
