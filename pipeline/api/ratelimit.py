"""Pacing: when may the next request go, so that a healthy run never sees a 429.

The live API limits each agreement with a token bucket that refills over a window and
reports its state on every response as ``X-RateLimiting: limit-2000-per-60-seconds:
1450/2000`` (used/limit), with the price of the call in ``X-CallCost``; an empty bucket
answers 429, and ``Retry-After`` is not documented (API-FACTS.md "Rate limits and fair
use"). ``Pacer`` therefore works in one of three modes:

- **open**: nothing known yet. One probe request goes alone, so that a bucket emptied by
  an earlier run is seen before a whole batch hits it.
- **header**: the server said ``limit`` per ``window``. An ``AsyncLimiter`` mirrors the
  bucket (same refill rate, capacity ``limit`` minus a small headroom) and is pulled up to
  the server's ``used`` (plus what is still in flight) on every response, so the mirror
  can only be more careful than the server, never less.
- **adaptive**: the header is absent. The rate is learnt AIMD-style: a 429 cuts it to a
  fraction of the throughput measured since the previous 429 (when the bucket was empty at
  both ends, what got through *is* the refill rate), each success raises it a little.
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

RATE_HEADER = "X-RateLimiting"
CALL_COST_HEADER = "X-CallCost"

#: Share of the bucket kept unused as a cushion (requests in flight, refill rounding).
DEFAULT_HEADROOM = 0.02
DEFAULT_MIN_HEADROOM_TOKENS = 2.0
#: Adaptive mode: on a 429 the rate becomes ``decrease`` × the refill rate measured since
#: the previous 429, or ``blind_decrease`` × itself when nothing could be measured yet;
#: each success adds ``growth`` to the rate (so r/s grows by ``growth × r`` per second).
DEFAULT_DECREASE = 0.8
DEFAULT_BLIND_DECREASE = 0.5
DEFAULT_GROWTH = 0.05
#: Adaptive mode: a throughput measured over less time than this is too noisy to use.
DEFAULT_MIN_MEASURE_S = 0.25
#: Adaptive mode without send times: 429s this soon after a cut answer older requests.
DEFAULT_DECREASE_COOLDOWN_S = 0.25
#: Adaptive mode: burst allowed on top of the rate, in seconds' worth of requests.
DEFAULT_ADAPTIVE_BURST_S = 0.1
DEFAULT_MIN_RATE = 0.1
#: Adaptive mode: the rate to start from when the very first answer is a 429.
DEFAULT_FALLBACK_RATE = 1.0
#: Successes remembered to measure the throughput before the first 429.
RECENT_SUCCESSES = 64

_UNIT_SECONDS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE_PATTERN = re.compile(
    r"(?:token-)?limit-(?P<limit>\d+)-per-(?P<n>\d+(?:\.\d+)?)-(?P<unit>second|minute|hour|day)s?"
    r"\s*:\s*(?P<used>\d+(?:\.\d+)?)\s*/\s*(?P<of>\d+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RateState:
    """What the server last said about the agreement's bucket."""

    limit: int
    window_s: float
    used: int

    @property
    def remaining(self) -> int:
        """Tokens left in the bucket."""
        return max(self.limit - self.used, 0)

    @property
    def rate_per_s(self) -> float:
        """The sustained rate the bucket allows (tokens refilled per second)."""
        return self.limit / self.window_s


def parse_rate_header(value: str) -> RateState | None:
    """Read ``X-RateLimiting`` in either reported form, or ``None`` if unparseable.

    ``limit-2000-per-60-seconds: 1450/2000`` and ``token-limit-10000-per-60-seconds:
    147/10000`` (API-FACTS.md "Rate limits"). When several limits are listed (comma
    separated) the one closest to running out is returned.
    """
    states = []
    for match in _RATE_PATTERN.finditer(value):
        window = float(match["n"]) * _UNIT_SECONDS[match["unit"].lower()]
        limit = int(match["limit"])
        if window <= 0 or limit <= 0:
            continue
        states.append(RateState(limit=limit, window_s=window, used=int(float(match["used"]))))
    if not states:
        return None
    return max(states, key=lambda s: (s.used / s.limit, -s.rate_per_s))


def parse_call_cost(value: str | None) -> float | None:
    """The price of a call from ``X-CallCost``, or ``None`` when absent or unparseable."""
    if not value:
        return None
    try:
        cost = float(value)
    except ValueError:
        return None
    return cost if cost > 0 else None


@dataclass(frozen=True)
class PacingPolicy:
    """The knobs of ``Pacer``; the defaults suit both the live API and the sandbox."""

    headroom: float = DEFAULT_HEADROOM
    min_headroom_tokens: float = DEFAULT_MIN_HEADROOM_TOKENS
    decrease: float = DEFAULT_DECREASE
    blind_decrease: float = DEFAULT_BLIND_DECREASE
    growth: float = DEFAULT_GROWTH
    min_measure_s: float = DEFAULT_MIN_MEASURE_S
    decrease_cooldown_s: float = DEFAULT_DECREASE_COOLDOWN_S
    adaptive_burst_s: float = DEFAULT_ADAPTIVE_BURST_S
    min_rate: float = DEFAULT_MIN_RATE
    fallback_rate: float = DEFAULT_FALLBACK_RATE


DEFAULT_PACING_POLICY = PacingPolicy()


class _Limiter(AsyncLimiter):
    """An ``AsyncLimiter`` that can be resized and pulled up to a known level in place.

    Replacing the limiter would strand the tasks waiting on it, so this reaches into
    aiolimiter 1.x's leaky-bucket state (``_level``, ``_rate_per_sec``, ``_leak``,
    ``_wake_next``); ``tests/test_ratelimit.py`` pins the behaviour relied on.
    """

    def resize(self, max_rate: float, time_period: float) -> None:
        """Change capacity and period, keeping the current level."""
        self._leak()
        self.max_rate = max_rate
        self.time_period = time_period
        self._rate_per_sec = max_rate / time_period
        self._wake_next()

    def raise_level(self, level: float) -> None:
        """Count at least ``level`` tokens as used now (never lowers the level)."""
        self._leak()
        if level > self._level:
            self._level = level
            self._wake_next()

    def debit(self, amount: float) -> None:
        """Count ``amount`` more tokens as used now (later callers wait it off)."""
        self._leak()
        self._level += amount

    @property
    def level(self) -> float:
        """Tokens counted as used now."""
        self._leak()
        return self._level


class Pacer:
    """Decides when the next request may go (see the module docstring for the modes)."""

    def __init__(
        self, *, initial_rate: float | None = None, policy: PacingPolicy = DEFAULT_PACING_POLICY
    ) -> None:
        self.policy = policy
        self._limiter: _Limiter | None = None
        self._budget: RateState | None = None
        self._in_flight = 0
        self._call_cost = 1.0
        self._header_seen = False
        self._answered = asyncio.Event()
        self._probe_out = False
        # Adaptive-mode state.
        self._rate: float | None = None
        self._last_cut = -float("inf")
        self._dry_since: float | None = None
        self._ok_since_dry = 0
        self._recent: collections.deque[float] = collections.deque(maxlen=RECENT_SUCCESSES)
        if initial_rate is not None:
            self._set_rate(initial_rate)
            self._answered.set()  # a caller-given rate replaces the probe

    @property
    def budget(self) -> RateState | None:
        """What the server last said about the bucket, ``None`` before any header."""
        return self._budget

    @property
    def rate(self) -> float | None:
        """Requests (cost units) per second currently allowed; ``None`` when unlimited."""
        if self._limiter is None:
            return None
        return self._limiter.max_rate / self._limiter.time_period

    @property
    def call_cost(self) -> float:
        """The price of the last call (``X-CallCost``), used as the next call's estimate."""
        return self._call_cost

    async def acquire(self, cost: float = 1.0) -> float:
        """Wait until a request of ``cost`` tokens may go; returns the monotonic send time.

        Pass the returned time to ``observe(sent_at=...)`` so that a 429 answering a
        request sent before the last slow-down does not slow down again.
        """
        if not self._answered.is_set():
            if self._probe_out:
                await self._answered.wait()
            else:
                self._probe_out = True
        limiter = self._limiter
        if limiter is not None:
            # Wait for at most one token and book the rest of a dearer call as debt: every
            # capacity is at least 1, so a waiter can never ask for more than a resize left.
            await limiter.acquire(min(cost, 1.0))
            if self._header_seen and cost > 1.0:
                limiter.debit(cost - 1.0)  # adaptive rates count requests, not tokens
        self._in_flight += 1
        return time.monotonic()

    def release(self) -> None:
        """A request acquired earlier ended without any response (connection lost)."""
        self._in_flight = max(self._in_flight - 1, 0)
        self._answered.set()

    def observe(
        self,
        *,
        status: int,
        rate_header: str | None,
        call_cost: str | None,
        sent_at: float | None = None,
    ) -> None:
        """Learn from one response: sync the mirror to the header, or adapt from 429s."""
        self.release()
        cost = parse_call_cost(call_cost)
        if cost is not None:
            self._call_cost = cost
        state = parse_rate_header(rate_header) if rate_header else None
        if state is not None:
            self._follow_header(state, throttled=status == 429)
        elif self._header_seen:
            return  # e.g. a fault answered before the rate limiter ran: nothing to learn
        elif status == 429:
            self._cut_rate(sent_at)
        elif status < 500:
            self._count_success()

    # -- header mode -------------------------------------------------------------------

    def _follow_header(self, state: RateState, *, throttled: bool) -> None:
        previous, self._budget = self._budget, state
        capacity = self._capacity(state)
        period = capacity / state.rate_per_s
        if self._limiter is None:
            self._limiter = _Limiter(capacity, period)
        elif not self._header_seen or (previous is not None and _shape(previous) != _shape(state)):
            self._limiter.resize(capacity, period)
        self._header_seen = True
        # The server's count misses what is still on its way to it: add that, so the
        # mirror errs on the careful side. A 429 means the bucket is empty, whatever
        # ``used`` says.
        used = state.used + self._in_flight * self._call_cost
        self._limiter.raise_level(max(used, state.limit) if throttled else used)

    def _capacity(self, state: RateState) -> float:
        reserve = max(self.policy.min_headroom_tokens, self.policy.headroom * state.limit)
        # A bucket smaller than the reserve still has to let single calls through.
        return max(state.limit - reserve, 1.0)

    # -- adaptive mode -----------------------------------------------------------------

    def _count_success(self) -> None:
        self._recent.append(time.monotonic())
        self._ok_since_dry += 1
        if self._rate is not None:
            self._set_rate(self._rate + self.policy.growth)

    def _cut_rate(self, sent_at: float | None) -> None:
        now = time.monotonic()
        if sent_at is not None and sent_at < self._last_cut:
            return  # sent before the last cut: it says nothing about the new rate
        if sent_at is None and now - self._last_cut < self.policy.decrease_cooldown_s:
            return
        measured = self._measured_rate(now)
        if measured:  # the refill rate is known: settle just below it, measure afresh
            rate = min(measured, self._rate or measured) * self.policy.decrease
            self._dry_since, self._ok_since_dry = now, 0
        else:  # nothing measured yet: cut hard, the rate is still far off
            rate = (self._rate or self._burst_rate()) * self.policy.blind_decrease
            if self._dry_since is None:
                self._dry_since, self._ok_since_dry = now, 0
        self._last_cut = now
        self._set_rate(max(rate, self.policy.min_rate))

    def _measured_rate(self, now: float) -> float | None:
        # The bucket was empty at the first 429 of this stretch and is empty now, so what
        # got through in between is the refill rate (unless too little time passed to tell).
        if self._dry_since is None or now - self._dry_since < self.policy.min_measure_s:
            return None
        return self._ok_since_dry / (now - self._dry_since) or None

    def _burst_rate(self) -> float:
        # Before the first 429 only the recent successes tell how fast things went.
        if len(self._recent) >= 2:
            span = self._recent[-1] - self._recent[0]
            if span > 0:
                return (len(self._recent) - 1) / span
        return self.policy.fallback_rate / self.policy.blind_decrease

    def _set_rate(self, rate: float) -> None:
        self._rate = rate
        burst = max(1.0, rate * self.policy.adaptive_burst_s)
        if self._limiter is None:
            self._limiter = _Limiter(burst, burst / rate)
        else:
            self._limiter.resize(burst, burst / rate)


def _shape(state: RateState) -> tuple[int, float]:
    return state.limit, state.window_s
