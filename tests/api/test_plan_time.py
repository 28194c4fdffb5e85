"""The plan's time estimate: tokens available now, the refill rate, and the latency."""

from __future__ import annotations

import pytest

from pipeline.api import RateState
from pipeline.api.plan_time import WINDOW_FILL, available_tokens, estimate_seconds
from pipeline.run.console import plan_lines

FULL_200 = RateState(limit=200, window_s=6.0, used=0)  # 33.3 calls/s, 196 spendable now
EMPTY_200 = RateState(limit=200, window_s=6.0, used=200)
FULL_1000 = RateState(limit=1000, window_s=6.0, used=0)


@pytest.mark.parametrize(
    ("calls", "budget", "latency_s", "window", "expected"),
    [
        # The demo: fewer calls than the tokens in the bucket, a fast server: half a second.
        (
            100,
            RateState(limit=2000, window_s=60.0, used=0),
            0.02,
            64,
            100 * 0.02 / 64 / WINDOW_FILL,
        ),
        # An empty bucket: the refill rate sets the pace from the start.
        (1000, EMPTY_200, 0.05, 64, 1000 / (200 / 6)),
        # A full bucket: 64 in flight at 50 ms (about 1150/s) drain the 196 tokens in
        # under 0.2 s, then 33.3/s; about 196 + 6 calls come in the burst.
        (1800, FULL_200, 0.05, 64, None),
        # The window is slower than the refill (0.9 × 64 / 0.4 s = 144/s < 166.7/s).
        (8000, FULL_1000, 0.4, 64, 8000 / (WINDOW_FILL * 160)),
        # No latency known: the bucket's tokens are free, the rest at the refill rate.
        (1000, FULL_200, None, 64, (1000 - 196) / (200 / 6)),
    ],
    ids=[
        "demo-in-the-bucket",
        "empty-bucket",
        "full-bucket-then-refill",
        "latency-bound",
        "no-latency",
    ],
)
def test_estimate(
    calls: int,
    budget: RateState,
    latency_s: float | None,
    window: int,
    expected: float | None,
) -> None:
    got = estimate_seconds(calls, budget=budget, latency_s=latency_s, window=window)
    assert got is not None
    if expected is None:  # between "all at the refill rate" and "the bucket all free"
        assert (1800 - 200) / (200 / 6) < got < 1800 / (200 / 6)
    else:
        assert got == pytest.approx(expected, rel=1e-6)


def test_without_a_budget_only_the_latency_bounds_the_time() -> None:
    got = estimate_seconds(576, budget=None, latency_s=0.1, window=64)
    assert got == pytest.approx(1.0)
    assert estimate_seconds(640, budget=None, latency_s=None, window=64) is None


def test_the_reserve_is_not_counted_as_available() -> None:
    assert available_tokens(FULL_200) == 196
    assert available_tokens(RateState(limit=10_000, window_s=60.0, used=9_900)) == 0


def test_the_plan_line_counts_the_tokens_available_now() -> None:
    budget = RateState(limit=2000, window_s=60.0, used=10)
    lines = plan_lines(rows=100, inputs=1, calls=101, budget=budget, latency_s=0.02, window=64)
    assert lines[1].startswith("Budget: 2000 tokens per 60 s (33.3 calls/s): under a second,")
    assert "under a second, counting the 1950 tokens available now and 20 ms a call" in lines[1]
    assert "up to 64 in flight" in lines[1]


@pytest.mark.parametrize(
    ("calls", "limit", "phrase"),
    [
        (101, 100_000, "under a second, "),  # 0.04 s: "about 0 seconds (0 s)" said nothing
        (3000, 100_000, "about 1 second (1 s), "),  # 3000 / (0.9 × 64 / 0.02 s) = 1.04 s
        (6000, 100_000, "about 2 seconds (2 s), "),
        (10_000, 2000, "about 4 minutes (241 s), "),  # 1950 at once, 8050 at 33.3/s
    ],
    ids=["small-run", "one-second", "seconds", "minutes"],
)
def test_the_plan_says_how_long_in_words(calls: int, limit: int, phrase: str) -> None:
    budget = RateState(limit=limit, window_s=60.0, used=0)
    lines = plan_lines(rows=calls, inputs=1, calls=calls, budget=budget, latency_s=0.02, window=64)
    assert f"calls/s): {phrase}" in lines[1]
    assert "0 seconds" not in lines[1] and "(0 s)" not in lines[1]


@pytest.mark.parametrize(
    ("calls", "phrase"),
    [(10, "under a second."), (1000, "at least 3 seconds (3 s).")],
    ids=["small-run", "seconds"],
)
def test_without_a_budget_the_plan_says_how_long_in_words(calls: int, phrase: str) -> None:
    lines = plan_lines(rows=calls, inputs=1, calls=calls, budget=None, latency_s=0.2, window=64)
    assert lines[2] == f"At 200 ms a call, up to 64 in flight: {phrase}"
