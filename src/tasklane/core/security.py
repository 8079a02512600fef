"""Passwords (Argon2id in a bounded thread pool) and access tokens (EdDSA JWTs): signed by
the auth service, verified everywhere with public keys (the JWKS)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import math
import os
import secrets
import time
import unicodedata
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import argon2
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tasklane.core.cache import TTLCache
from tasklane.settings import Settings

logger = logging.getLogger("tasklane.security")

# --------------------------------------------------------------------------------------------
# Passwords


def normalize_password(password: str) -> str:
    """NFKC, so the same password typed on different keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


def _lower_thread_priority(increment: int) -> None:
    """Make the calling thread ``increment`` nicer (a thread pool's initializer). On Linux the
    nice value is per thread, so the event loop's thread keeps the process's."""
    if increment and hasattr(os, "nice"):
        os.nice(increment)


class PasswordHasher:
    """Argon2id off the event loop, in a pool whose size bounds the memory hashing may hold,
    and at a lower CPU priority than the requests (``password_hash_nice``)."""

    def __init__(self, settings: Settings) -> None:
        self._ph = argon2.PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=settings.password_hash_workers,
            thread_name_prefix="argon2",
            initializer=_lower_thread_priority,
            initargs=(settings.password_hash_nice,),
        )
        # Verified against when the account does not exist, so that answer costs the same.
        self._dummy_hash = self._ph.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._ph.hash, normalize_password(password))

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._ph.verify(stored, normalize_password(password))
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    async def verify(self, stored: str | None, password: str) -> bool:
        """Check ``password``; with ``stored=None`` verify against the dummy and return False."""
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(
            self._pool, self._verify, stored or self._dummy_hash, password
        )
        return ok and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self._ph.check_needs_rehash(stored)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------------------------
# Keys and access tokens


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    # RFC 7638 thumbprint as the key id: stable, derived from the key alone.
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    return {**jwk, "kid": _b64url(hashlib.sha256(canonical).digest()), "alg": "EdDSA", "use": "sig"}


def _load_private_key(settings: Settings) -> Ed25519PrivateKey:
    if settings.jwt_private_key:
        pem = settings.jwt_private_key.encode()
    else:
        path = Path(settings.var_dir) / "jwt-ed25519.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            generated = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(generated)
        pem = path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the JWT signing key must be an Ed25519 private key")
    return key


def _load_extra_public_keys(settings: Settings) -> list[Ed25519PublicKey]:
    if not settings.jwt_extra_public_keys:
        return []
    keys = []
    for block in settings.jwt_extra_public_keys.split("-----END PUBLIC KEY-----"):
        if block.strip():
            key = serialization.load_pem_public_key((block + "-----END PUBLIC KEY-----").encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("extra JWT public keys must be Ed25519")
            keys.append(key)
    return keys


class InvalidToken(Exception):
    pass


class UnknownKey(InvalidToken):
    """The token names a key id this process does not know (yet): a key the auth service
    started signing with since the key set was fetched, or a forged id."""

    def __init__(self, kid: str) -> None:
        super().__init__("unknown key")
        self.kid = kid


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: int
    issued_at: int


_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "sid"]
#: The longest JWKS document read (a few keys take a few hundred bytes).
_JWKS_MAX_BYTES = 65_536


def keys_of_jwks(document: object) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 signing keys of a JWKS document, by key id; other keys are skipped."""
    keys: dict[str, Ed25519PublicKey] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("not a JWKS document")
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        kid, x = jwk.get("kid"), jwk.get("x")
        if not isinstance(kid, str) or not isinstance(x, str) or jwk.get("use", "sig") != "sig":
            continue
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


#: How often a process without a key set yet tries to fetch one.
RETRY_UNTIL_READY_SECONDS = 1.0


class RemoteKeys:
    """The verification keys of a process without the auth service: the auth service's JWKS
    (``jwks_url``), fetched at start, again every ``jwks_refresh_seconds`` (so a key
    published ahead of a rotation is known before it signs), and at once when a token names
    an unknown key id, but never more than once every ``jwks_refetch_min_seconds``: forged
    key ids cannot make the process fetch in a loop. A failed fetch keeps the keys it had.
    Until a first key set has been read the process is not ready (``/readyz`` answers 503)
    and tries again every ``RETRY_UNTIL_READY_SECONDS``."""

    def __init__(self, settings: Settings) -> None:
        assert settings.jwks_url is not None
        self.url = settings.jwks_url
        self.timeout = settings.jwks_timeout_seconds
        self.refresh_seconds = settings.jwks_refresh_seconds
        self.min_interval = settings.jwks_refetch_min_seconds
        self.keys: dict[str, Ed25519PublicKey] = {}
        self.fetches = 0  # attempts, for the tests and the logs
        self._attempted = -math.inf  # monotonic time of the last attempt
        self._lock = asyncio.Lock()

    def _download(self) -> bytes:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})  # noqa: S310 - http(s) only (settings)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
            body: bytes = response.read(_JWKS_MAX_BYTES + 1)
        if len(body) > _JWKS_MAX_BYTES:
            raise ValueError("JWKS document too large")
        return body

    async def fetch(self) -> bool:
        """Fetch the key set now; whether it was read."""
        self.fetches += 1
        try:
            body = await asyncio.to_thread(self._download)
            keys = keys_of_jwks(json.loads(body))
        except (OSError, ValueError) as error:
            logger.warning("could not read the JWKS at %s: %s", self.url, error)
            return False
        finally:
            self._attempted = time.monotonic()  # the interval counts from the answer
        if not keys:
            logger.warning("the JWKS at %s holds no Ed25519 key", self.url)
            return False
        self.keys = keys
        return True

    async def learn(self, kid: str) -> bool:
        """Whether ``kid`` is known, after fetching the key set if it is not and the last
        attempt is at least ``min_interval`` old. Concurrent callers share one fetch."""
        if kid in self.keys:
            return True
        async with self._lock:
            if kid in self.keys:  # fetched while this caller waited
                return True
            if time.monotonic() - self._attempted < self.min_interval:
                return False
            await self.fetch()
        return kid in self.keys

    @property
    def ready(self) -> bool:
        """Whether a key set has been read (tokens can be verified)."""
        return bool(self.keys)

    def _period(self) -> float:
        # Until a key set has been read, try again soon: the process cannot serve before.
        if self.keys:
            return self.refresh_seconds
        return min(self.min_interval, RETRY_UNTIL_READY_SECONDS)

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch now and every ``refresh_seconds`` until ``stop`` is set (unless a request
        with an unknown key id made it fetch meanwhile)."""
        while not stop.is_set():
            async with self._lock:
                if time.monotonic() - self._attempted >= self._period():
                    await self.fetch()
            wait = self._attempted + self._period() - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.01, wait))


class TokenService:
    """Signs access tokens with the private key (the auth service only) and verifies them with
    public keys: its own and ``jwt_extra_public_keys`` with the auth service, the JWKS of
    ``jwks_url`` (:class:`RemoteKeys`) everywhere else."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._private: Ed25519PrivateKey | None = None
        self._jwks: list[dict[str, str]] = []
        self.remote: RemoteKeys | None = None
        if "auth" in settings.services:
            self._private = _load_private_key(settings)
            public = [self._private.public_key(), *_load_extra_public_keys(settings)]
            self._jwks = [_public_jwk(key) for key in public]
            self._kid = self._jwks[0]["kid"]
            keys = {jwk["kid"]: key for jwk, key in zip(self._jwks, public, strict=True)}
            self._verify_keys: dict[str, Ed25519PublicKey] = keys
        else:
            self.remote = RemoteKeys(settings)
        # Verified claims by token: an EdDSA verification costs ~80 us, a lookup ~0.2 us.
        self._verified: TTLCache[str, AccessClaims] = TTLCache(max_entries=50_000)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": list(self._jwks)}

    def _signing_key(self) -> Ed25519PrivateKey:
        if self._private is None:
            raise RuntimeError("only the auth service signs tokens")
        return self._private

    def issue_access_token(self, user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[str, int]:
        now = int(time.time())
        ttl = self._settings.access_token_ttl_seconds
        claims = {
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": now,
            "exp": now + ttl,
            "jti": _b64url(os.urandom(16)),
        }
        token = jwt.encode(
            claims,
            self._signing_key(),
            algorithm="EdDSA",
            headers={"kid": self._kid, "typ": "at+jwt"},
        )
        return token, ttl

    def verify_access_token(self, token: str) -> AccessClaims:
        """The token's claims, or InvalidToken (:class:`UnknownKey` when it names a key id
        this process does not know: see :meth:`learn`)."""
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at > time.time():
                return cached
            raise InvalidToken("expired")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != "at+jwt":
                raise InvalidToken("not an access token")
            kid = str(header.get("kid"))
            keys = self.remote.keys if self.remote is not None else self._verify_keys
            key = keys.get(kid)
            if key is None:
                raise UnknownKey(kid)
            payload = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": _REQUIRED_CLAIMS},
                leeway=5,
            )
            claims = AccessClaims(
                user_id=uuid.UUID(str(payload["sub"])),
                session_id=uuid.UUID(str(payload["sid"])),
                expires_at=int(payload["exp"]),
                issued_at=int(payload["iat"]),
            )
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
            raise InvalidToken(str(exc)) from exc
        self._verified.set(token, claims, claims.expires_at - time.time())
        return claims

    async def learn(self, kid: str) -> bool:
        """Whether the key ``kid`` became known: fetched from the JWKS (rate-limited) in a
        process without the auth service; the auth service knows all its keys already."""
        return self.remote is not None and await self.remote.learn(kid)

    # Refresh-token successors, encrypted at rest for the grace window, under a key derived
    # from the refresh token they succeed (which the database never holds, only its hash):
    # reading a successor takes the token itself, and no signing key is involved, so a key
    # rotation does not end the sessions refreshing across it.
    @staticmethod
    def _sealer(token: str) -> AESGCM:
        secret = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"tasklane refresh successor"
        ).derive(token.encode())
        return AESGCM(secret)

    def seal(self, successor: str, presented: str, bound_to: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._sealer(presented).encrypt(nonce, successor.encode(), bound_to)

    def unseal(self, sealed: bytes, presented: str, bound_to: bytes) -> str:
        return self._sealer(presented).decrypt(sealed[:12], sealed[12:], bound_to).decode()


def new_refresh_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
