"""Backoff between attempts: exponential growth, full jitter, ``Retry-After`` when given.

Split in small pieces (the singer_sdk way): ``RetryPolicy`` says how long to wait before a
retry and how many attempts there are; ``parse_retry_after`` reads the header; deciding
*whether* a response is worth retrying is ``pipeline.api.client.classify``'s job alone.

``Retry-After`` on 429 is not documented for e-conomic (API-FACTS.md "Rate limits and fair
use"), so the policy works without it and only honours it when a server sends it.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BASE_DELAY_S = 0.5
DEFAULT_MAX_DELAY_S = 60.0
#: ``base * 2**attempt`` passes any sane ``max_delay_s`` long before this exponent; the cap
#: only keeps a huge attempt number from overflowing a float.
MAX_BACKOFF_EXPONENT = 62


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a request gets and how long to wait between them.

    ``delay(n)`` is "full jitter" (AWS Architecture Blog, "Exponential Backoff and
    Jitter"): uniform in ``[0, min(max_delay_s, base_delay_s * 2**n)]``, which spreads
    retries of many workers apart instead of having them collide again.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_delay_s: float = DEFAULT_BASE_DELAY_S
    max_delay_s: float = DEFAULT_MAX_DELAY_S

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("base_delay_s and max_delay_s must not be negative")

    def ceiling(self, attempt: int) -> float:
        """The longest wait before retry number ``attempt`` (0 for the first retry)."""
        exponent = min(max(attempt, 0), MAX_BACKOFF_EXPONENT)
        return min(self.max_delay_s, self.base_delay_s * 2.0**exponent)

    def delay(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait before retry number ``attempt`` (0 for the first retry).

        A server's ``retry_after`` wins over the jittered backoff (it knows when its bucket
        refills), but is capped at ``max_delay_s`` so that one odd header cannot stall a
        run; a negative value counts as zero.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay_s)
        draw = (rng or random).uniform(0.0, 1.0)
        return draw * self.ceiling(attempt)

    def should_retry(self, attempts_made: int) -> bool:
        """Whether another attempt is allowed after ``attempts_made`` attempts."""
        return attempts_made < self.max_attempts


DEFAULT_RETRY_POLICY = RetryPolicy()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 §10.2.3), or ``None``.

    Both forms are accepted: delay-seconds (``"7"``) and an HTTP-date; a date in the past
    gives 0. Anything unparseable gives ``None`` (the caller falls back to its backoff).
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive one is read as such
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)
