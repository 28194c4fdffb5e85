"""``Idempotency-Key`` replay (API-FACTS.md "Idempotency").

The first response to a write with a key is kept for ``ttl`` seconds (one hour by default)
and replayed to any repeat with ``X-ResultFromCache: true``. Keys are per agreement.
Requests with the same key are serialised, so two concurrent duplicates never both write:
the second waits for the first and then replays its response.

A 429 or 5xx is not kept: nothing was written, and a retry with the same key must be able
to do the write. Expiry uses wall-clock time so that entries kept in SQLite (``--db``) stay
meaningful across a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from pipeline.sandbox.persistence import Database

#: Response headers worth replaying besides the body.
_KEPT_HEADERS = ("Content-Type", "Location")
#: Drop expired entries every this many stores, so the cache cannot grow without bound.
_PURGE_EVERY = 1024


@dataclass(frozen=True)
class CachedResponse:
    """A first response, as it will be replayed."""

    status: int
    headers: dict[str, str]
    body: bytes
    expires: float

    def replay(self) -> web.Response:
        """The same response again, marked ``X-ResultFromCache: true``."""
        headers = {**self.headers, "X-ResultFromCache": "true"}
        return web.Response(status=self.status, body=self.body or None, headers=headers)


class IdempotencyCache:
    """First responses by (agreement id, key), with a lock per key in use."""

    def __init__(
        self, ttl: float, *, db: Database | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._ttl = ttl
        self._db = db
        self._clock = clock
        self._entries: dict[tuple[str, str], CachedResponse] = {}
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}
        self._stores = 0
        if db is not None:
            for agreement, key, expires, status, headers, body in db.cached_responses(clock()):
                self._entries[(agreement, key)] = CachedResponse(status, headers, body, expires)

    @asynccontextmanager
    async def lock(self, agreement: str, key: str) -> AsyncIterator[None]:
        """Hold the key's lock; the lock is forgotten once nobody waits for it."""
        slot = (agreement, key)
        lock, users = self._locks.get(slot, (asyncio.Lock(), 0))
        self._locks[slot] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[slot]
            if users == 1:
                del self._locks[slot]
            else:
                self._locks[slot] = (lock, users - 1)

    def get(self, agreement: str, key: str) -> CachedResponse | None:
        """The kept response for the key, unless there is none or it has expired."""
        entry = self._entries.get((agreement, key))
        if entry is not None and entry.expires <= self._clock():
            del self._entries[(agreement, key)]
            return None
        return entry

    def put(self, agreement: str, key: str, response: web.Response) -> None:
        """Keep ``response`` as the key's first response (429 and 5xx are not kept)."""
        if response.status == 429 or response.status >= 500:
            return
        headers = {h: response.headers[h] for h in _KEPT_HEADERS if h in response.headers}
        body = response.body if isinstance(response.body, bytes) else b""
        entry = CachedResponse(response.status, headers, body, self._clock() + self._ttl)
        self._entries[(agreement, key)] = entry
        if self._db is not None:
            self._db.cache_response(
                agreement,
                key,
                expires=entry.expires,
                status=entry.status,
                headers=headers,
                body=body,
            )
        self._stores += 1
        if self._stores % _PURGE_EVERY == 0:
            now = self._clock()
            for slot in [s for s, e in self._entries.items() if e.expires <= now]:
                del self._entries[slot]
