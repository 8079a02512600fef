"""A small in-process cache with a size bound and per-entry expiry, and what the worker
processes of one instance share without Redis.

:class:`TTLCache` serves values private to a process (verified token claims, this process's
own revocations). Values that must agree between processes go through the shared cache:
Redis across instances (``core.shared``), or, without Redis, :class:`WorkerSharedCache` over
the :class:`InstanceStore`, which every worker of one instance maps.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import mmap
import os
import secrets
import time
import uuid
import weakref
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any, Generic, TypeVar

from tasklane.core import metrics

logger = logging.getLogger("tasklane.cache")

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    def set(self, key: K, value: V, ttl: float) -> None:
        if ttl <= 0:
            return
        self._data[key] = (time.monotonic() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def delete(self, key: K) -> None:
        self._data.pop(key, None)

    def live_keys(self) -> list[K]:
        """The keys of the entries that have not expired (a copy: safe to change the cache
        while going through it)."""
        now = time.monotonic()
        return [key for key, (expires, _) in self._data.items() if expires > now]

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


# --- what the worker processes of one instance share, without Redis -------------------------

#: Slots of each table of the instance store (a power of two). 8 bytes each: the store is
#: 2 * 65,536 * 8 bytes = 1 MiB, whatever the number of users.
STORE_SLOTS = 1 << 16
_MASK = STORE_SLOTS - 1
_MAGIC = b"TLSTORE1"
_HEADER = 64  # magic, then the boot id the monotonic times belong to
_WRITES_AT = _HEADER
_TAGS_AT = _HEADER + STORE_SLOTS * 8
_SIZE = _TAGS_AT + STORE_SLOTS * 8
#: Tags of written keys have the top bit set; a store fresh from zero holds 0 everywhere.
_WRITTEN = 1 << 63


def _boot_id() -> bytes:
    """This boot of the machine (Linux), so monotonic times of an earlier boot left in the
    file are never read as recent. Elsewhere: empty, and the file is reset at every start of
    a process that finds it missing or malformed only."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_bytes().strip()[:36]
    except OSError:
        return b""


def _key_slot(name: str) -> int:
    return zlib.crc32(name.encode()) & _MASK


class InstanceStore:
    """Two tables of 64-bit words in a memory-mapped file that every worker process of one
    instance maps (``<var_dir>/instance.store``): an instance is the processes that share a
    ``var_dir``, as the workers of ``tasklane serve --workers N`` do.

    - *writes*: per user (hashed to a slot), when they last committed a write
      (``CLOCK_MONOTONIC``, which every process of the machine shares);
    - *tags*: per cache key (hashed to a slot), a random word replaced whenever a process
      writes or drops a key of that slot. A process's cached copy is good while the tag it was
      filled under is still there (:class:`WorkerSharedCache`).

    Each word is read and written whole (an aligned 8-byte store), so no lock is needed; two
    users or keys that share a slot only cost a needless primary read or cache miss. The file
    is small, its content throw-away: created when missing, reset when it belongs to another
    boot of the machine or is malformed (under an exclusive ``flock``, so the workers starting
    together agree). Where no file can be made, the store is private to the process, with a
    warning: then the workers do not agree, and more than one is wrong."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.shared = False
        header = _MAGIC + _boot_id().ljust(_HEADER, b"\0")[: _HEADER - len(_MAGIC)]
        if path is not None:
            try:
                self._map = self._open(path, header)
                self.shared = True
            except OSError as error:
                logger.warning(
                    "no instance store at %s (%s): caches and read-your-writes are per "
                    "process; run one worker, or set TASKLANE_REDIS_URL",
                    path,
                    error,
                )
        if not self.shared:
            self._map = mmap.mmap(-1, _SIZE)
        view = memoryview(self._map)
        self._writes = view[_WRITES_AT:_TAGS_AT].cast("q")
        self._tags = view[_TAGS_AT:_SIZE].cast("Q")
        self._view = view

    @staticmethod
    def _open(path: Path, header: bytes) -> mmap.mmap:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_size != _SIZE or os.pread(fd, _HEADER, 0) != header:
                    os.ftruncate(fd, 0)
                    os.ftruncate(fd, _SIZE)  # zeros
                    os.pwrite(fd, header, 0)
                return mmap.mmap(fd, _SIZE)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)  # the mapping keeps the file

    # writes (read-your-writes)
    def mark_write(self, user: uuid.UUID) -> None:
        self._writes[user.int & _MASK] = time.monotonic_ns()

    def wrote_within(self, user: uuid.UUID, seconds: float) -> bool:
        age = time.monotonic_ns() - self._writes[user.int & _MASK]
        return 0 <= age < seconds * 1e9

    # cache tags
    def tag(self, slot: int) -> int:
        return int(self._tags[slot])

    def bump(self, slot: int) -> int:
        """Give ``slot`` a new tag: every copy filled under the old one is out of date."""
        tag = _WRITTEN | secrets.randbits(63)
        self._tags[slot] = tag
        return tag

    def close(self) -> None:
        for view in (self._writes, self._tags, self._view):
            view.release()
        self._map.close()


class WorkerSharedCache:
    """The shared cache without Redis: each process keeps its own copies (a
    :class:`TTLCache`), and the :class:`InstanceStore`'s tags tell every worker of the
    instance when one of them changed or dropped a key, so no worker answers from a copy older
    than the latest write another made.

    - ``get``: a copy whose slot still holds the tag it was filled under, else a miss; a miss
      notes the slot's tag for the asyncio task that asked.
    - ``set`` after a miss of the same key in the same task is a *fill*: the value was read
      after that miss, so it is kept under the tag noted then (nothing is written to the
      store, so workers filling the same key do not push each other's copies out). If the
      slot changed in between, a write raced the fill: the value is not kept.
    - any other ``set`` is a *write* (it follows a commit): the slot gets a new tag, which
      drops every other worker's copy; they read the database again.
    - ``add`` keeps a fill only (never a value no miss asked for); ``delete`` is a write that
      keeps nothing."""

    def __init__(self, store: InstanceStore, max_entries: int = 100_000) -> None:
        self.store = store
        self._data: TTLCache[str, tuple[int, int, bytes]] = TTLCache(max_entries)
        self._misses: weakref.WeakKeyDictionary[asyncio.Task[Any], dict[str, int]] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self, name: str) -> bytes | None:
        item = self._data.get(name)
        if item is not None:
            slot, tag, value = item
            if self.store.tag(slot) == tag:
                metrics.TALLY.cache_hits += 1
                return value
            self._data.delete(name)
        else:
            slot = _key_slot(name)
        metrics.TALLY.cache_misses += 1
        task = asyncio.current_task()
        if task is not None:
            self._misses.setdefault(task, {})[name] = self.store.tag(slot)
        return None

    def _take_miss(self, name: str) -> int | None:
        task = asyncio.current_task()
        misses = self._misses.get(task) if task is not None else None
        return misses.pop(name, None) if misses else None

    def _fill(self, name: str, value: bytes, ttl: float, noted: int) -> None:
        slot = _key_slot(name)
        if self.store.tag(slot) == noted:
            self._data.set(name, (slot, noted, value), ttl)

    async def set(self, name: str, value: bytes, ttl: float) -> bool:
        noted = self._take_miss(name)
        if noted is not None:
            self._fill(name, value, ttl, noted)
            return True
        slot = _key_slot(name)
        self._data.set(name, (slot, self.store.bump(slot), value), ttl)
        return True

    async def add(self, name: str, value: bytes, ttl: float) -> None:
        noted = self._take_miss(name)
        if noted is not None:
            self._fill(name, value, ttl, noted)

    async def delete(self, *names: str) -> None:
        for name in names:
            self.store.bump(_key_slot(name))
            self._data.delete(name)

    def failed_within(self, seconds: float) -> bool:
        return False

    async def close(self) -> None:
        self._data.clear()
