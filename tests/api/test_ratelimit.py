"""Pacing: the X-RateLimiting parser, the Pacer's modes, and runs against the real sandbox
(a small bucket must give zero 429s with the header, few without it)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.api import ApiClient, ApiSettings
from pipeline.api.ratelimit import (
    Pacer,
    PacingPolicy,
    RateState,
    _Limiter,
    parse_call_cost,
    parse_rate_header,
)
from pipeline.api.retry import RetryPolicy
from pipeline.sandbox import RunningSandbox
from pipeline.write.writer import WriteJob, WriteOutcome, run_writes


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("limit-2000-per-60-seconds: 1450/2000", RateState(2000, 60.0, 1450)),
        ("token-limit-10000-per-60-seconds: 147/10000", RateState(10000, 60.0, 147)),
        ("Token-Limit-30-per-1.5-seconds:0/30", RateState(30, 1.5, 0)),
        ("limit-100-per-1-minute: 5/100", RateState(100, 60.0, 5)),
        (
            "limit-10-per-1-second: 1/10, limit-2000-per-60-seconds: 1990/2000",
            RateState(2000, 60.0, 1990),
        ),
        ("", None),
        ("garbage", None),
        ("limit-0-per-60-seconds: 0/0", None),
    ],
    ids=["live", "token", "fraction-window", "minute", "tightest-of-two", "empty", "junk", "zero"],
)
def test_parse_rate_header(header: str, expected: RateState | None) -> None:
    assert parse_rate_header(header) == expected


@given(st.text(max_size=80))
def test_parse_rate_header_never_raises(text: str) -> None:
    state = parse_rate_header(text)
    assert state is None or (state.limit > 0 and state.window_s > 0)


@pytest.mark.parametrize(
    ("value", "expected"), [("1", 1.0), ("2.5", 2.5), ("0", None), ("x", None), (None, None)]
)
def test_parse_call_cost(value: str | None, expected: float | None) -> None:
    assert parse_call_cost(value) == expected


async def test_limiter_internals_the_pacer_relies_on() -> None:
    # _Limiter reaches into aiolimiter's state; pin what it relies on.
    limiter = _Limiter(10, 1.0)
    assert limiter.has_capacity(10)
    limiter.raise_level(9.5)
    assert not limiter.has_capacity(1) and limiter.level >= 9.0
    limiter.raise_level(1)  # never lowers
    assert limiter.level >= 9.0
    limiter.resize(20, 1.0)
    assert limiter.has_capacity(1) and limiter.level >= 9.0


async def test_header_sets_the_rate_and_budget() -> None:
    pacer = Pacer()
    assert pacer.budget is None and pacer.rate is None
    await pacer.acquire()
    pacer.observe(status=200, rate_header="token-limit-200-per-10-seconds: 50/200", call_cost="1")
    assert pacer.budget == RateState(200, 10.0, 50)
    assert pacer.rate == pytest.approx(20.0)


async def test_only_one_probe_before_the_first_answer() -> None:
    pacer = Pacer()
    await pacer.acquire()
    second = asyncio.create_task(pacer.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not second.done()  # waits for what the probe learns
    pacer.observe(status=200, rate_header=None, call_cost=None)
    await asyncio.wait_for(second, 5)


async def test_adaptive_cuts_on_429_and_grows_on_success() -> None:
    pacer = Pacer(initial_rate=100.0, policy=PacingPolicy(growth=1.0))
    sent = await pacer.acquire()
    pacer.observe(status=429, rate_header=None, call_cost=None, sent_at=sent)
    assert pacer.rate == pytest.approx(50.0)  # nothing measured yet: halved
    # A 429 for a request sent before that cut says nothing new about the new rate.
    pacer.observe(status=429, rate_header=None, call_cost=None, sent_at=sent)
    assert pacer.rate == pytest.approx(50.0)
    pacer.observe(status=201, rate_header=None, call_cost=None)
    assert pacer.rate == pytest.approx(51.0)


async def test_429_with_header_fills_the_mirror() -> None:
    pacer = Pacer()
    await pacer.acquire()
    pacer.observe(status=429, rate_header="limit-1000-per-60-seconds: 10/1000", call_cost="0")
    # The bucket is empty whatever "used" says: the next call has to wait.
    waiting = asyncio.create_task(pacer.acquire())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done()
    waiting.cancel()


async def test_dear_calls_use_up_the_mirror_faster() -> None:
    pacer = Pacer()
    await pacer.acquire()
    # 10 tokens, 2 kept in reserve: room for two calls of 4 tokens, not a third.
    pacer.observe(status=200, rate_header="limit-10-per-60-seconds: 0/10", call_cost="4")
    assert pacer.call_cost == 4.0
    await pacer.acquire(pacer.call_cost)
    await pacer.acquire(pacer.call_cost)
    third = asyncio.create_task(pacer.acquire(pacer.call_cost))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not third.done()
    third.cancel()


def _customer(i: int) -> dict[str, Any]:
    return {
        "name": f"Pace {i}",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
    }


FAST_RETRY = RetryPolicy(max_attempts=12, base_delay_s=0.05, max_delay_s=1.0)
_keys = itertools.count()


async def _write_many(sandbox: RunningSandbox, rows: int) -> tuple[list[WriteOutcome], ApiClient]:
    settings = ApiSettings(sandbox.url, "app", "grant", retry=FAST_RETRY)
    outcomes: list[WriteOutcome] = []
    jobs = [WriteJob(i, "POST", "/customers", _customer(i), f"p{next(_keys)}") for i in range(rows)]
    async with ApiClient(settings) as client:
        await run_writes(client, jobs, concurrency=8, on_outcome=outcomes.append)
    return outcomes, client


async def test_pacing_from_the_header_gets_no_429(start: Callable[..., Any]) -> None:
    # 30 tokens refilled over 1.5 s, 100 writes: the bucket must be emptied ~3 times over.
    sandbox = await start(bucket=30, window=1.5)
    outcomes, client = await _write_many(sandbox, 100)
    assert [o.kind for o in outcomes] == ["ok"] * 100
    assert sandbox.stats()["throttled"] == 0
    assert client.stats.throttled == 0 and client.stats.requests == 100
    assert client.pacer.budget is not None and client.pacer.budget.limit == 30


async def test_adaptive_pacing_without_the_header(start: Callable[..., Any]) -> None:
    sandbox = await start(bucket=30, window=1.5, hide_rate_headers=True)
    outcomes, client = await _write_many(sandbox, 100)
    assert [o.kind for o in outcomes] == ["ok"] * 100
    throttled = sandbox.stats()["throttled"]
    assert throttled == client.stats.throttled
    # It had to find the limit (the first wave of 429s is the in-flight requests), and
    # found it quickly: under a fifth of all requests were throttled.
    assert 0 < throttled < 0.2 * client.stats.requests
    assert client.pacer.budget is None
    assert client.pacer.rate is not None and client.pacer.rate < 40  # near 20/s, not unlimited
