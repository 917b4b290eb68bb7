"""Short-lived, one-time state shared by every app process: pending logins, rate-limit windows.

Two implementations behind one interface: :class:`MemoryStore` (one process: the embedded
SQLite deployment, tests without Redis) and :class:`RedisStore` (``KASANE_REDIS_URL``).
Keys are ``<prefix>:<kind>:<tenant>:<key>`` (prefix ``kasane``); values are small JSON objects.
Callers hash secrets and user names before they become keys.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from abc import ABC, abstractmethod
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from litestar import Litestar, Request

    from kasane.settings import Settings

Value = dict[str, Any]
PREFIX = "kasane"


class EphemeralStore(ABC):
    """Expiring values (put/get/take once) and sliding-window event counts."""

    def __init__(self, prefix: str = PREFIX) -> None:
        self.prefix = prefix

    def key(self, kind: str, tenant: str, key: str) -> str:
        return f"{self.prefix}:{kind}:{tenant}:{key}"

    @abstractmethod
    async def put(self, kind: str, tenant: str, key: str, value: Value, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds (replacing any value under the key)."""

    @abstractmethod
    async def add(self, kind: str, tenant: str, key: str, value: Value, ttl: float) -> bool:
        """Keep ``value`` only if no live value is under the key: of two concurrent adders
        exactly one gets True."""

    @abstractmethod
    async def get(self, kind: str, tenant: str, key: str) -> Value | None:
        """The live value, or None."""

    @abstractmethod
    async def take(self, kind: str, tenant: str, key: str) -> Value | None:
        """The live value, removed atomically: of two concurrent takers only one gets it."""

    @abstractmethod
    async def delete(self, kind: str, tenant: str, key: str) -> None:
        """Forget the value or the event window under the key."""

    @abstractmethod
    async def hit(self, kind: str, tenant: str, key: str, window: float) -> int:
        """Record one event now; the number of events in the last ``window`` seconds."""

    @abstractmethod
    async def hits(self, kind: str, tenant: str, key: str, window: float) -> int:
        """The number of events in the last ``window`` seconds."""

    async def aclose(self) -> None:  # noqa: B027  (only a store with connections needs it)
        """Release connections (the app calls it on shutdown)."""


class MemoryStore(EphemeralStore):
    """In this process only. Every method runs without awaiting, so each is atomic."""

    def __init__(self, prefix: str = PREFIX) -> None:
        super().__init__(prefix)
        self._values: dict[str, tuple[float, str]] = {}  # key → (expires, JSON)
        self._events: dict[str, deque[float]] = {}

    def _purge(self, now: float) -> None:
        for k in [k for k, (expires, _v) in self._values.items() if expires <= now]:
            self._values.pop(k, None)

    async def put(self, kind: str, tenant: str, key: str, value: Value, ttl: float) -> None:
        now = time.monotonic()
        self._purge(now)
        self._values[self.key(kind, tenant, key)] = (now + ttl, json.dumps(value))

    async def add(self, kind: str, tenant: str, key: str, value: Value, ttl: float) -> bool:
        now = time.monotonic()
        self._purge(now)
        k = self.key(kind, tenant, key)
        if k in self._values:
            return False
        self._values[k] = (now + ttl, json.dumps(value))
        return True

    @staticmethod
    def _live(found: tuple[float, str] | None) -> Value | None:
        if found is None or found[0] <= time.monotonic():
            return None
        value: Value = json.loads(found[1])
        return value

    async def get(self, kind: str, tenant: str, key: str) -> Value | None:
        return self._live(self._values.get(self.key(kind, tenant, key)))

    async def take(self, kind: str, tenant: str, key: str) -> Value | None:
        return self._live(self._values.pop(self.key(kind, tenant, key), None))

    async def delete(self, kind: str, tenant: str, key: str) -> None:
        k = self.key(kind, tenant, key)
        self._values.pop(k, None)
        self._events.pop(k, None)

    def _window(self, k: str, window: float) -> deque[float]:
        events, cutoff = self._events.setdefault(k, deque()), time.monotonic() - window
        while events and events[0] <= cutoff:
            events.popleft()
        return events

    async def hit(self, kind: str, tenant: str, key: str, window: float) -> int:
        events = self._window(self.key(kind, tenant, key), window)
        events.append(time.monotonic())
        return len(events)

    async def hits(self, kind: str, tenant: str, key: str, window: float) -> int:
        k = self.key(kind, tenant, key)
        if k not in self._events:
            return 0
        count = len(self._window(k, window))
        if not count:
            self._events.pop(k, None)
        return count


REDIS_CONNECT_SECONDS = 2
REDIS_ANSWER_SECONDS = 5


class RedisStore(EphemeralStore):
    """Redis (``redis.asyncio``): SET PX, GET, GETDEL (Redis 6.2+), and a sorted set of event
    times per key for the windows (wall-clock, so every process agrees)."""

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        super().__init__(prefix)
        self.url = url
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _redis(self) -> Any:
        # Connections belong to the event loop that opened them; a server process has one
        # loop, but test clients without a lifespan run each request on a new one.
        import redis.asyncio as redis

        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # Timeouts: a Redis that stops answering is an outage page in seconds (503,
            # kasane.core.web.outage), not a request hanging until the proxy gives up.
            self._client = redis.Redis.from_url(
                self.url,
                decode_responses=True,
                socket_connect_timeout=REDIS_CONNECT_SECONDS,
                socket_timeout=REDIS_ANSWER_SECONDS,
            )
            self._loop = loop
        return self._client

    async def put(self, kind: str, tenant: str, key: str, value: Value, ttl: float) -> None:
        await self._redis().set(
            self.key(kind, tenant, key), json.dumps(value), px=max(1, int(ttl * 1000))
        )

    async def add(self, kind: str, tenant: str, key: str, value: Value, ttl: float) -> bool:
        done = await self._redis().set(
            self.key(kind, tenant, key), json.dumps(value), px=max(1, int(ttl * 1000)), nx=True
        )
        return bool(done)

    async def get(self, kind: str, tenant: str, key: str) -> Value | None:
        raw = await self._redis().get(self.key(kind, tenant, key))
        return None if raw is None else json.loads(raw)

    async def take(self, kind: str, tenant: str, key: str) -> Value | None:
        raw = await self._redis().getdel(self.key(kind, tenant, key))
        return None if raw is None else json.loads(raw)

    async def delete(self, kind: str, tenant: str, key: str) -> None:
        await self._redis().delete(self.key(kind, tenant, key))

    async def hit(self, kind: str, tenant: str, key: str, window: float) -> int:
        k, now = self.key(kind, tenant, key), time.time()
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(k, "-inf", now - window)
            pipe.zadd(k, {f"{now:.6f}:{secrets.token_hex(4)}": now})  # unique member per event
            pipe.zcard(k)
            pipe.pexpire(k, max(1, int(window * 1000)))
            _removed, _added, count, _expiry = await pipe.execute()
        return int(count)

    async def hits(self, kind: str, tenant: str, key: str, window: float) -> int:
        k, now = self.key(kind, tenant, key), time.time()
        # "(" excludes the bound: an event exactly `window` old is out, as in MemoryStore.
        return int(await self._redis().zcount(k, f"({now - window}", "+inf"))

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._loop = None


def make_store(settings: Settings, prefix: str = PREFIX) -> EphemeralStore:
    """Redis when ``KASANE_REDIS_URL`` is set, else this process's memory."""
    if settings.redis_url:
        return RedisStore(settings.redis_url, prefix)
    return MemoryStore(prefix)


def ephemeral_of(request: Request[Any, Any, Any]) -> EphemeralStore:
    """The store the app built at startup (``app.state.ephemeral``)."""
    store: EphemeralStore = request.app.state.ephemeral
    return store


async def close_ephemeral(app: Litestar) -> None:
    """Shutdown hook: closes whichever store the app holds."""
    await app.state.ephemeral.aclose()
