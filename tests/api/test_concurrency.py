"""The in-flight window's pure rules (``AdaptiveLimit``) and its permits (``Window``)."""

from __future__ import annotations

import asyncio

import pytest

from pipeline.api.concurrency import AdaptiveLimit, WindowPolicy
from pipeline.api.window import Window


def _fed(policy: WindowPolicy, answers: int, *, latency_s: float, rate: float | None) -> int:
    """The limit after ``answers`` answers, each with the window full."""
    rules = AdaptiveLimit(policy)
    for _ in range(answers):
        rules.on_answer(latency_s, in_flight=rules.limit, rate_per_s=rate)
    return rules.limit


@pytest.mark.parametrize(
    ("policy", "latency_s", "rate", "low", "high"),
    [
        # Unknown budget, steady latency: grows to the maximum.
        (WindowPolicy.adaptive(64), 0.15, None, 64, 64),
        # 167 calls/s at 150 ms need 25 in flight; headroom 1.5 allows up to ~38.
        (WindowPolicy.adaptive(64), 0.15, 1000 / 6, 30, 39),
        # 33 calls/s at 400 ms: ~13 needed, ~21 allowed.
        (WindowPolicy.adaptive(64), 0.4, 200 / 6, 15, 21),
        # A budget that needs more than the maximum is capped by it.
        (WindowPolicy.adaptive(16), 0.4, 1000 / 6, 16, 16),
        # --concurrency 5: fixed whatever comes back.
        (WindowPolicy.fixed(5), 0.4, 1000 / 6, 5, 5),
        # A tiny budget at a fast server: the minimum of 1 ... 2 in flight.
        (WindowPolicy.adaptive(64), 0.01, 2.0, 1, 2),
    ],
    ids=[
        "no-budget-grows-to-max",
        "little-cap-167/s-150ms",
        "little-cap-33/s-400ms",
        "capped-by-max",
        "fixed",
        "tiny-budget",
    ],
)
def test_limit_follows_rate_times_latency(
    policy: WindowPolicy, latency_s: float, rate: float | None, low: int, high: int
) -> None:
    assert low <= _fed(policy, 500, latency_s=latency_s, rate=rate) <= high


@pytest.mark.parametrize(
    ("policy", "cuts", "expected"),
    [
        (WindowPolicy(initial_limit=40, max_limit=64), 1, 36),
        (WindowPolicy(initial_limit=40, max_limit=64), 10, 13),
        (WindowPolicy(initial_limit=40, max_limit=64), 100, 1),
        (WindowPolicy.fixed(8), 10, 8),
    ],
    ids=["one-429", "ten-429s", "floor-at-one", "fixed-ignores-429s"],
)
def test_overload_cuts_multiplicatively(policy: WindowPolicy, cuts: int, expected: int) -> None:
    rules = AdaptiveLimit(policy)
    for _ in range(cuts):
        rules.on_overload()
    assert rules.limit == expected


def test_rising_latency_shrinks_the_window() -> None:
    rules = AdaptiveLimit(WindowPolicy.adaptive(64))
    for _ in range(400):
        rules.on_answer(0.05, in_flight=rules.limit, rate_per_s=None)
    assert rules.limit == 64
    for _ in range(30):  # the server starts queueing: 10× slower
        rules.on_answer(0.5, in_flight=rules.limit, rate_per_s=None)
    assert rules.limit < 40


@pytest.mark.parametrize(
    ("in_flight", "grows"), [(8, True), (3, False)], ids=["window-full", "app-limited"]
)
def test_an_unfilled_window_does_not_grow(in_flight: int, grows: bool) -> None:
    rules = AdaptiveLimit(WindowPolicy.adaptive(64))
    for _ in range(50):
        rules.on_answer(0.1, in_flight=in_flight, rate_per_s=None)
    assert (rules.limit > 8) is grows


def test_policy_checks_its_bounds() -> None:
    with pytest.raises(ValueError, match="min_limit"):
        WindowPolicy(min_limit=5, max_limit=4)


async def test_window_permits_follow_the_limit() -> None:
    window = Window(WindowPolicy(initial_limit=4, max_limit=64))
    held = 0
    release = asyncio.Event()

    async def hold() -> None:
        nonlocal held
        async with window.permit():
            held += 1
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(10)]
    await asyncio.sleep(0.01)
    assert window.in_flight == 4
    for _ in range(5):  # shrink to 2 while 4 are held: no new permit until below 2
        window.observe(status=429, latency_s=0.1, rate_per_s=None)
    assert window.limit == 2
    release.set()
    await asyncio.gather(*tasks)
    assert window.max_in_flight == 4
    assert window.in_flight == 0
    # After the shrink the circulating permits match the new limit.
    gate = asyncio.Event()

    async def wait_on_gate() -> None:
        async with window.permit():
            await gate.wait()

    more = [asyncio.create_task(wait_on_gate()) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert window.in_flight == window.limit == 2
    gate.set()
    await asyncio.gather(*more)
    stats = window.stats()
    assert stats["mode"] == "adaptive"
    assert stats["min_limit"] == 2
    assert stats["max_in_flight"] == 4
