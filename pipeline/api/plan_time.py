"""How long a run will take: the bucket's tokens now, its refill rate, and the latency.

A run of ``calls`` calls goes as fast as the slower of two limits allows: the budget
(the tokens in the bucket now, then its refill rate: API-FACTS.md "Rate limits") and the
window (``window`` requests in flight, each taking ``latency_s``: at most
``window ÷ latency_s`` calls a second, Little's law, of which ``WINDOW_FILL`` is reached).
While the window is faster than the refill, the bucket drains at the difference; once it
is empty the refill rate sets the pace. Pacing keeps a small reserve
(``pipeline.api.ratelimit``), which is not counted as available.
"""

from __future__ import annotations

import math

from .ratelimit import DEFAULT_HEADROOM, DEFAULT_MIN_HEADROOM_TOKENS, RateState

#: A window is full only most of the time: it ramps up from 8, and each batch's look-ups
#: and its last, slowest answers leave it part-empty. On the benchmarks' latency-bound
#: runs (1,000 per 6 s at 400 ms) it held 0.89-0.90 of its maximum on average.
WINDOW_FILL = 0.9


def available_tokens(budget: RateState) -> float:
    """Tokens the importer may spend at once: what is left, less pacing's reserve."""
    reserve = max(DEFAULT_MIN_HEADROOM_TOKENS, DEFAULT_HEADROOM * budget.limit)
    return max(budget.remaining - reserve, 0.0)


def estimate_seconds(
    calls: int, *, budget: RateState | None, latency_s: float | None, window: int
) -> float | None:
    """Seconds ``calls`` take; ``None`` when neither the budget nor the latency is known."""
    if calls <= 0:
        return 0.0
    speed = WINDOW_FILL * window / latency_s if latency_s and latency_s > 0 else math.inf
    if budget is None:
        return None if math.isinf(speed) else calls / speed
    rate = budget.rate_per_s
    if speed <= rate:
        return calls / speed
    available = available_tokens(budget)
    drained_after = available / (speed - rate) if math.isfinite(speed) else 0.0
    burst_calls = available + rate * drained_after  # = speed × drained_after, or available
    if calls <= burst_calls:
        return calls / speed if math.isfinite(speed) else 0.0
    return drained_after + (calls - burst_calls) / rate
