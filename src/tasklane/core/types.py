"""Column types that behave the same on SQLite, MariaDB/MySQL and PostgreSQL."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import DateTime, Dialect, LargeBinary
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeDecorator, TypeEngine

from tasklane.core.sql import Row


def uuid7() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48 bits of milliseconds, then 74 random bits.

    Time-ordered ids keep B-tree inserts at the right edge of the index (InnoDB clusters rows by
    primary key); the 74 random bits keep them unguessable.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b: 62 bits
    return uuid.UUID(int=value)


class UUIDType(TypeDecorator[uuid.UUID]):
    """Native ``uuid`` on PostgreSQL, 16 bytes elsewhere (not 32 hex characters)."""

    impl = LargeBinary(16)
    cache_ok = True

    @staticmethod
    def stored(dialect_name: str) -> TypeEngine[Any]:
        """The column's type in ``dialect_name``, without this decorator's conversions."""
        if dialect_name == "postgresql":
            return postgresql.UUID(as_uuid=True)
        if dialect_name in ("mysql", "mariadb"):
            return mysql.BINARY(16)
        return LargeBinary(16)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(self.stored(dialect.name))

    def process_bind_param(self, value: uuid.UUID | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return value.bytes

    def literal_processor(self, dialect: Dialect) -> Callable[[Any], str]:
        """SQL text of a value (to EXPLAIN a statement with its parameters inlined)."""

        def render(value: uuid.UUID | None) -> str:
            if value is None:
                return "NULL"
            if dialect.name == "postgresql":
                return f"'{value}'::uuid"
            return f"X'{value.hex}'"

        return render

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(bytes=value if type(value) is bytes else bytes(value))


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC with microseconds, returned timezone-aware.

    PostgreSQL keeps ``timestamptz``; MariaDB/MySQL get ``DATETIME(6)`` and SQLite a fixed-width
    text, both holding naive UTC, so equal seconds never tie a keyset cursor.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @staticmethod
    def stored(dialect_name: str) -> TypeEngine[Any]:
        """The column's type in ``dialect_name``, without this decorator's conversions: naive
        UTC values on MariaDB/MySQL and SQLite, UTC-aware ones on PostgreSQL."""
        if dialect_name in ("mysql", "mariadb"):
            return mysql.DATETIME(fsp=6)
        if dialect_name == "postgresql":
            return postgresql.TIMESTAMP(timezone=True)
        return DateTime()

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(self.stored(dialect.name))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def literal_processor(self, dialect: Dialect) -> Callable[[Any], str]:
        def render(value: datetime | None) -> str:
            if value is None:
                return "NULL"
            bound = self.process_bind_param(value, dialect)
            if dialect.name == "postgresql":
                return f"'{bound.isoformat()}'::timestamptz"
            return f"'{bound.strftime('%Y-%m-%d %H:%M:%S.%f')}'"

        return render

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite expressions that bypass the column type
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def fixed_binary(length: int) -> TypeEngine[bytes]:
    """Bytes of one fixed length (a hash): ``BINARY(n)`` on MariaDB/MySQL, where a plain
    ``LargeBinary`` becomes a BLOB. A BLOB cannot carry a normal index: its unique constraint
    is a hash the optimiser never uses for lookups, so every lookup would scan the table (and
    under ``FOR UPDATE`` lock every row)."""
    return LargeBinary(length).with_variant(mysql.BINARY(length), "mysql", "mariadb")


def utcnow() -> datetime:
    return datetime.now(UTC)


#: A result row of any shape (SQLAlchemy 2.1 types rows by their column tuple).
AnyRow: TypeAlias = Row
