"""Passwords (Argon2id in a bounded thread pool) and access tokens (EdDSA JWTs)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
import time
import unicodedata
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


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: int
    issued_at: int


_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "sid"]


class TokenService:
    """Signs access tokens with the private key and verifies them with the public keys only."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._private = _load_private_key(settings)
        public = [self._private.public_key(), *_load_extra_public_keys(settings)]
        self._jwks = [_public_jwk(key) for key in public]
        self._kid = self._jwks[0]["kid"]
        self._verify_keys = {jwk["kid"]: key for jwk, key in zip(self._jwks, public, strict=True)}
        # Verified claims by token: an EdDSA verification costs ~80 us, a lookup ~0.2 us.
        self._verified: TTLCache[str, AccessClaims] = TTLCache(max_entries=50_000)
        raw = self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        secret = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"tasklane refresh successor"
        ).derive(raw)
        self._aead = AESGCM(secret)

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": list(self._jwks)}

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
            self._private,
            algorithm="EdDSA",
            headers={"kid": self._kid, "typ": "at+jwt"},
        )
        return token, ttl

    def verify_access_token(self, token: str) -> AccessClaims:
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at > time.time():
                return cached
            raise InvalidToken("expired")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != "at+jwt":
                raise InvalidToken("not an access token")
            key = self._verify_keys.get(str(header.get("kid")))
            if key is None:
                raise InvalidToken("unknown key")
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

    # Refresh-token successors, encrypted at rest for the grace window.
    def seal(self, token: str, bound_to: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, token.encode(), bound_to)

    def unseal(self, sealed: bytes, bound_to: bytes) -> str:
        return self._aead.decrypt(sealed[:12], sealed[12:], bound_to).decode()


def new_refresh_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
