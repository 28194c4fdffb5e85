"""The HTTP client: the one classification, backoff, and every failure path
against the real sandbox (401, 429, Retry-After, 503, dropped answers, timeouts, paging)."""

from __future__ import annotations

import itertools
import random
import socket
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.api import ApiClient, ApiSettings, Verdict, classify
from pipeline.api.retry import RetryPolicy, parse_retry_after
from pipeline.errors import (
    AmbiguousWriteError,
    AuthError,
    ConfigError,
    RetriableError,
    ThrottledError,
)
from pipeline.sandbox import RunningSandbox

APP = "app-secret-Q1w2e3"
GRANT = "grant-secret-R4t5y6"
FAST = RetryPolicy(max_attempts=6, base_delay_s=0.01, max_delay_s=0.05)
_keys = itertools.count()


def customer(name: str, **extra: Any) -> dict[str, Any]:
    """A customer POST body the sandbox accepts."""
    return {
        "name": name,
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        **extra,
    }


def settings(url: str, **overrides: Any) -> ApiSettings:
    return ApiSettings(url, APP, GRANT, **{"retry": FAST, **overrides})


# -- pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.SUCCESS),
        (201, Verdict.SUCCESS),
        (204, Verdict.SUCCESS),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (502, Verdict.RETRY),
        (503, Verdict.RETRY),
        (504, Verdict.RETRY),
        (401, Verdict.FATAL),
        (403, Verdict.FATAL),
        (400, Verdict.REJECTED),
        (404, Verdict.REJECTED),
        (409, Verdict.REJECTED),
        (501, Verdict.REJECTED),
        (302, Verdict.REJECTED),
    ],
    ids=lambda v: str(v.value) if isinstance(v, Verdict) else str(v),
)
def test_classify(status: int, verdict: Verdict) -> None:
    assert classify(status) is verdict


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    base=st.floats(min_value=0, max_value=10),
    ceiling=st.floats(min_value=0, max_value=600),
    seed=st.integers(),
)
def test_backoff_is_bounded(attempt: int, base: float, ceiling: float, seed: int) -> None:
    policy = RetryPolicy(base_delay_s=base, max_delay_s=ceiling)
    delay = policy.delay(attempt, rng=random.Random(seed))
    assert 0 <= delay <= min(ceiling, base * 2.0 ** min(attempt, 62))


@given(retry_after=st.floats(allow_nan=False), attempt=st.integers(0, 50))
def test_retry_after_wins_within_the_cap(retry_after: float, attempt: int) -> None:
    policy = RetryPolicy(max_delay_s=60)
    assert policy.delay(attempt, retry_after=retry_after) == min(max(retry_after, 0.0), 60)


def test_backoff_grows_on_average() -> None:
    policy, rng = RetryPolicy(base_delay_s=1, max_delay_s=1000), random.Random(7)
    means = [sum(policy.delay(n, rng=rng) for _ in range(400)) / 400 for n in range(4)]
    assert means == sorted(means) and means[3] > 4 * means[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), (" 0 ", 0.0), ("-3", 0.0), ("soon", None), (None, None), ("nan", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


# -- against the sandbox ---------------------------------------------------------------


async def test_401_is_an_auth_error_without_the_token(start: Callable[..., Any]) -> None:
    sandbox = await start()
    api = ApiSettings(sandbox.url, app_secret_token="", agreement_grant_token=GRANT)
    async with ApiClient(api) as client:
        with pytest.raises(AuthError) as caught:
            await client.send("POST", "/customers", json=customer("A"), idempotency_key="k")
    assert "401" in str(caught.value)
    assert GRANT not in str(caught.value) and GRANT not in repr(caught.value)
    assert client.stats.requests == 1 and client.stats.retries == 0


async def test_demo_agreement_write_is_fatal(start: Callable[..., Any]) -> None:
    sandbox = await start()
    async with ApiClient(ApiSettings(sandbox.url, "demo", "demo")) as client:
        listed = await client.send("GET", "/customers")
        with pytest.raises(AuthError, match="403"):
            await client.send("POST", "/customers", json=customer("A"), idempotency_key="k")
    assert listed.status == 200


async def _empty_the_bucket(sandbox: RunningSandbox) -> None:
    """Call until the sandbox answers 429, as another program on the same agreement would
    (plain aiohttp, not the project's client)."""
    headers = {"X-AppSecretToken": APP, "X-AgreementGrantToken": GRANT}
    async with aiohttp.ClientSession(headers=headers) as session:
        for _ in range(100):
            async with session.get(sandbox.url + "/customers") as resp:
                if resp.status == 429:
                    return
    raise AssertionError("the bucket never ran empty")


async def test_429_is_retried_once_then_paced(start: Callable[..., Any]) -> None:
    sandbox = await start(bucket=3, window=0.5)
    await _empty_the_bucket(sandbox)
    async with ApiClient(settings(sandbox.url), rng=random.Random(1)) as client:
        response = await client.send("POST", "/customers", json=customer("B"), idempotency_key="b")
    assert (response.status, response.attempts) == (201, 2)
    # The 429 carried the header: the pacer then waited for the refill instead of guessing.
    assert client.stats.throttled == 1
    assert sandbox.stats()["throttled"] == 2  # ours and the one that showed the bucket empty
    assert client.stats.retries == 1


@pytest.mark.parametrize("retry_after", [True, False], ids=["sent", "absent"])
async def test_retry_after_is_honoured(start: Callable[..., Any], retry_after: bool) -> None:
    sandbox = await start(bucket=2, window=20, retry_after=retry_after)
    await _empty_the_bucket(sandbox)
    policy = RetryPolicy(max_attempts=1, base_delay_s=0.5, max_delay_s=60)
    async with ApiClient(settings(sandbox.url, retry=policy)) as client:
        with pytest.raises(ThrottledError) as caught:
            await client.send("POST", "/customers", json=customer("C"), idempotency_key="c")
    if retry_after:
        # 2 tokens per 20 s: up to 10 s until the next token; the policy waits exactly that
        # rather than its own backoff (at most 0.5 s for the first retry).
        wait = caught.value.retry_after
        assert wait is not None and 1 <= wait <= 10
        assert policy.delay(0, retry_after=wait) == wait
    else:
        assert caught.value.retry_after is None


async def test_503s_give_up_as_retriable(start: Callable[..., Any]) -> None:
    sandbox = await start(fault_rate=1.0)
    async with ApiClient(settings(sandbox.url)) as client:
        with pytest.raises(RetriableError, match=r"HTTP 503.*6 attempts") as caught:
            await client.send("POST", "/customers", json=customer("D"), idempotency_key="d")
    assert type(caught.value) is RetriableError  # neither throttled nor ambiguous
    stats = sandbox.stats()
    assert (stats["faults"], stats["writes"], client.stats.retries) == (6, 0, 5)


async def _customers(client: ApiClient) -> list[dict[str, Any]]:
    return [item async for item in client.iter_collection("/customers")]


async def test_lost_answer_is_replayed_with_the_same_key(start: Callable[..., Any]) -> None:
    sandbox = await start(drop_rate=1.0)  # every first answer to a write is lost
    async with ApiClient(settings(sandbox.url)) as client:
        response = await client.send("POST", "/customers", json=customer("E"), idempotency_key="e")
        assert (response.status, response.from_cache, response.attempts) == (201, True, 2)
        assert client.stats.ambiguous == 1
        assert [c["name"] for c in await _customers(client)] == ["E"]


async def test_a_refusal_the_api_did_not_keep_for_the_key_stays_in_doubt(
    start: Callable[..., Any],
) -> None:
    """The first answer is lost after the write, and the API has forgotten the key by the
    repeat: the repeat is refused as new (the number is taken, by the first attempt). That
    refusal is not the first attempt's answer (no ``X-ResultFromCache``), so the write is
    in doubt, not rejected: the caller looks it up."""
    sandbox = await start(drop_rate=1.0, idempotency_ttl=1e-6)
    body = customer("K", customerNumber=700)
    async with ApiClient(settings(sandbox.url)) as client:
        with pytest.raises(AmbiguousWriteError, match=r"HTTP 400.*may be what it refuses"):
            await client.send("POST", "/customers", json=body, idempotency_key="k")
        assert [c["customerNumber"] for c in await _customers(client)] == [700]


async def test_a_refusal_kept_for_the_key_is_the_answer(start: Callable[..., Any]) -> None:
    """A repeat whose refusal is the API's kept first answer (``X-ResultFromCache``) is
    rejected as usual: the first attempt was refused too, so nothing was written."""
    sandbox = await start()
    async with ApiClient(settings(sandbox.url)) as client:
        first = await client.send("POST", "/customers", json={"name": "L"}, idempotency_key="l")
        again = await client.send("POST", "/customers", json={"name": "L"}, idempotency_key="l")
    assert (first.status, first.from_cache) == (400, False)
    assert (again.status, again.from_cache) == (400, True)


async def test_lost_answers_without_a_key_end_ambiguous(start: Callable[..., Any]) -> None:
    sandbox = await start(drop_rate=1.0)
    async with ApiClient(settings(sandbox.url, retry=RetryPolicy(2, 0.01, 0.01))) as client:
        with pytest.raises(AmbiguousWriteError, match="2 attempts"):
            await client.send("POST", "/customers", json=customer("F"))
        # What the key prevents: each unanswered attempt created a record.
        assert [c["name"] for c in await _customers(client)] == ["F", "F"]


async def test_expired_key_is_not_trusted(start: Callable[..., Any]) -> None:
    sandbox = await start()
    async with ApiClient(settings(sandbox.url, key_ttl_s=3300)) as client:
        with pytest.raises(AmbiguousWriteError, match="look the record up"):
            await client.send(
                "POST",
                "/customers",
                json=customer("G"),
                idempotency_key="g",
                first_sent_at=time.time() - 3600,
            )
    assert sandbox.stats()["requests"] == 0


async def test_get_never_carries_the_key(start: Callable[..., Any]) -> None:
    sandbox = await start()
    async with ApiClient(settings(sandbox.url)) as client:
        response = await client.send("GET", "/customers", idempotency_key="not-on-get")
    assert response.status == 200  # the sandbox answers 400 to a key on GET


async def test_timeout_is_ambiguous_only_for_writes(start: Callable[..., Any]) -> None:
    sandbox = await start(latency_ms=400, seed=3)
    once = RetryPolicy(max_attempts=1)
    async with ApiClient(settings(sandbox.url, timeout_s=0.05, retry=once)) as client:
        with pytest.raises(AmbiguousWriteError):
            await client.send("POST", "/customers", json=customer("H"), idempotency_key="h")
        with pytest.raises(RetriableError) as caught:
            await client.send("GET", "/customers")
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert isinstance(caught.value.__cause__, RetriableError)  # chained to the translation
    assert client.stats.ambiguous == 1


async def test_refused_connection_is_retriable_not_ambiguous() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with ApiClient(settings(f"http://127.0.0.1:{port}")) as client:
        with pytest.raises(RetriableError) as caught:
            await client.send("POST", "/customers", json=customer("I"), idempotency_key="i")
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert client.stats.requests == FAST.max_attempts and client.stats.ambiguous == 0


async def test_iter_collection_pages_until_the_end(start: Callable[..., Any]) -> None:
    sandbox = await start()
    async with ApiClient(settings(sandbox.url)) as client:
        for i in range(25):
            body = customer(f"P{i}")
            await client.send("POST", "/customers", json=body, idempotency_key=f"p{next(_keys)}")
        before = client.stats.requests
        names = [c["name"] async for c in client.iter_collection("/customers", pagesize=10)]
        assert sorted(names) == sorted(f"P{i}" for i in range(25))
        assert client.stats.requests - before == 3  # no request past the last page


async def test_iter_collection_bad_filter_is_a_config_error(start: Callable[..., Any]) -> None:
    sandbox = await start()
    async with ApiClient(settings(sandbox.url)) as client:
        with pytest.raises(ConfigError, match="HTTP 400"):
            async for _ in client.iter_collection("/customers", params={"filter": "nope$eq:1"}):
                pass
