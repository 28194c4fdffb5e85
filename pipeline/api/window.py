"""The asyncio side of the adaptive window (the rules: ``pipeline.api.concurrency``).

Permits come from an ``asyncio.Semaphore`` whose size follows ``AdaptiveLimit``'s limit
(a shrink retires permits as they come back); the high-water marks are what
``summary.json`` reports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from .concurrency import AdaptiveLimit, WindowPolicy
from .timeline import Timeline


class Window:
    """Permits for writes in flight, as many as ``AdaptiveLimit`` allows at the moment."""

    def __init__(self, policy: WindowPolicy, *, timeline: Timeline | None = None) -> None:
        self.rules = AdaptiveLimit(policy)
        self._timeline = timeline  # told every change of the places held or allowed
        self._granted = self.rules.limit
        self._semaphore = asyncio.Semaphore(self._granted)
        self._retire = 0  # permits to take out of circulation as they come back
        self.in_flight = 0
        self.max_in_flight = 0
        self.max_limit = self._granted
        self.min_limit = self._granted
        self._answers = 0
        self._latency_total = 0.0
        self._tell()

    @property
    def policy(self) -> WindowPolicy:
        """The policy the window follows."""
        return self.rules.policy

    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        return self.rules.limit

    @asynccontextmanager
    async def permit(self) -> AsyncIterator[None]:
        """Hold one place in the window for the duration of the block."""
        while True:
            await self._semaphore.acquire()
            if not self._retire:
                break
            self._retire -= 1  # this permit was taken out by a shrink: wait for another
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self._tell()
        try:
            yield
        finally:
            self.in_flight -= 1
            self._tell()
            if self._retire:
                self._retire -= 1
            else:
                self._semaphore.release()

    def observe(self, *, status: int, latency_s: float, rate_per_s: float | None) -> None:
        """Learn from one answer: a 429 or 5xx shrinks the window, others size it."""
        if status == 429 or status >= 500:
            self.rules.on_overload()
        else:
            self._answers += 1
            self._latency_total += latency_s
            self.rules.on_answer(latency_s, in_flight=self.in_flight, rate_per_s=rate_per_s)
        self._resize(self.rules.limit)

    def stats(self) -> dict[str, Any]:
        """For ``summary.json``: how the window was set and how far it went."""
        mean = self._latency_total / self._answers if self._answers else None
        return {
            "mode": "fixed" if self.policy.is_fixed else "adaptive",
            "max_concurrency": self.policy.max_limit,
            "limit": self.limit,
            "min_limit": self.min_limit,
            "max_limit": self.max_limit,
            "max_in_flight": self.max_in_flight,
            "mean_latency_ms": round(mean * 1000, 1) if mean is not None else None,
        }

    def _tell(self) -> None:
        if self._timeline is not None:
            self._timeline.window(in_flight=self.in_flight, limit=self.limit)

    def _resize(self, limit: int) -> None:
        if limit != self._granted:
            self._tell()
        delta, self._granted = limit - self._granted, limit
        self.max_limit = max(self.max_limit, limit)
        self.min_limit = min(self.min_limit, limit)
        if delta < 0:
            self._retire -= delta
            return
        paid = min(delta, self._retire)
        self._retire -= paid
        for _ in range(delta - paid):
            self._semaphore.release()
