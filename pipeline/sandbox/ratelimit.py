"""A token bucket per agreement, as the live API has had since December 2025.

API-FACTS.md "Rate limits and fair use": every call costs tokens (``X-CallCost``), the
bucket refills over a window, an empty bucket answers 429, and the state is reported as
``X-RateLimiting: token-limit-2000-per-60-seconds: used/2000``.

The live per-endpoint costs are not published; the sandbox charges ``CALL_COST`` (1 token)
for every call that reaches an agreement, reads and writes alike, and nothing for a 429.
The bucket refills continuously: ``bucket / window`` tokens per second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

CALL_COST = 1


class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``capacity / window`` per second."""

    __slots__ = ("_clock", "_rate", "_stamp", "capacity", "label", "tokens")

    def __init__(
        self, capacity: int, window: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.tokens = float(capacity)
        self._rate = capacity / window
        self._clock = clock
        self._stamp = clock()
        self.label = f"token-limit-{capacity}-per-{window:g}-seconds"

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def take(self, cost: int = CALL_COST) -> bool:
        """Spend ``cost`` tokens; False (and nothing spent) when the bucket holds too few."""
        self._refill()
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    @property
    def used(self) -> int:
        """Tokens spent and not yet refilled, rounded up: ``used == capacity`` means empty."""
        return min(self.capacity, math.ceil(self.capacity - self.tokens - 1e-9))

    def header(self) -> str:
        """The ``X-RateLimiting`` value, e.g. ``token-limit-2000-per-60-seconds: 3/2000``."""
        return f"{self.label}: {self.used}/{self.capacity}"

    def seconds_until(self, cost: int = CALL_COST) -> int:
        """Whole seconds until ``cost`` tokens are back (for ``--retry-after``)."""
        missing = max(0.0, cost - self.tokens)
        return max(1, math.ceil(missing / self._rate))
