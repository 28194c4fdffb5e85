"""Tokens, agreements and the token bucket (issue #2, points 2 and 5)."""

from __future__ import annotations

import json

import pytest

from pipeline.sandbox import SandboxConfig
from pipeline.sandbox.ratelimit import TokenBucket
from tests.fixtures import ERROR_BODIES
from tests.sandbox.conftest import StartApi
from tests.sandbox.helpers import DEMO, Api, customer_body

#: The minimal live error body: the captured 404 (error-bodies/not-found-404.json).
MINIMAL = set(json.loads((ERROR_BODIES / "not-found-404.json").read_text()))


@pytest.mark.parametrize(
    "tokens",
    [{}, {"X-AppSecretToken": "a"}, {"X-AgreementGrantToken": "g"},
     {"X-AppSecretToken": "", "X-AgreementGrantToken": "g"}],
    ids=["none", "no-grant", "no-secret", "empty-secret"],
)  # fmt: skip
async def test_missing_tokens_are_401(api: Api, tokens: dict[str, str]) -> None:
    reply = await api.as_agreement(tokens).get("/customers")
    assert reply.status == 401
    assert set(reply.body) == MINIMAL and reply.body["httpStatusCode"] == 401
    assert reply.headers["X-CallCost"] == "0"
    assert "X-RateLimiting" not in reply.headers


async def test_404_body_has_the_captured_shape(api: Api) -> None:
    reply = await api.get("/customers/12345")
    assert reply.status == 404
    assert set(reply.body) == MINIMAL
    assert reply.body["message"] == "Resource not found."
    assert (await api.get("/no/such/thing")).status == 404


async def test_demo_agreement_reads_but_may_not_write(api: Api) -> None:
    demo = api.as_agreement(DEMO)
    listed = await demo.get("/customers")
    assert listed.status == 200 and len(listed.body["collection"]) == 3
    for reply in (
        await demo.post("/customers", customer_body()),
        await demo.put("/customers/1", customer_body()),
        await demo.delete("/customers/1"),
    ):
        assert reply.status == 403
        assert set(reply.body) == MINIMAL
    assert len((await demo.get("/customers")).body["collection"]) == 3


async def test_each_grant_token_is_its_own_agreement(api: Api) -> None:
    other = api.as_agreement({"X-AppSecretToken": "x", "X-AgreementGrantToken": "other"})
    await api.post("/customers", customer_body(customerNumber=1, name="Mine"))
    assert (await other.get("/customers/1")).status == 404
    await other.post("/customers", customer_body(customerNumber=1, name="Theirs"))
    assert (await api.get("/customers/1")).body["name"] == "Mine"
    # Separate buckets, too: the other agreement has made 3 calls, and used 3 tokens.
    assert (await other.get("/customers")).headers["X-RateLimiting"].endswith(": 3/2000")


async def test_every_response_reports_cost_and_bucket(api: Api) -> None:
    first = await api.get("/customers")
    second = await api.post("/customers", {"name": None})  # a 400 costs a call too
    assert first.headers["X-CallCost"] == "1"
    assert first.headers["X-RateLimiting"] == "token-limit-2000-per-60-seconds: 1/2000"
    assert second.headers["X-RateLimiting"] == "token-limit-2000-per-60-seconds: 2/2000"


async def test_an_empty_bucket_answers_429(start_api: StartApi) -> None:
    api = await start_api(SandboxConfig(bucket=3, window=3600))
    for _ in range(3):
        assert (await api.get("/customers")).status == 200
    refused = await api.post("/customers", customer_body())
    assert refused.status == 429
    assert set(refused.body) == MINIMAL
    assert refused.headers["X-CallCost"] == "0"
    assert refused.headers["X-RateLimiting"] == "token-limit-3-per-3600-seconds: 3/3"
    assert "Retry-After" not in refused.headers  # undocumented live: off by default
    other = api.as_agreement({"X-AppSecretToken": "a", "X-AgreementGrantToken": "fresh"})
    assert (await other.get("/customers")).status == 200


async def test_retry_after_and_hidden_rate_headers_are_options(start_api: StartApi) -> None:
    api = await start_api(
        SandboxConfig(bucket=1, window=120, retry_after=True, hide_rate_headers=True)
    )
    ok = await api.get("/customers")
    assert "X-RateLimiting" not in ok.headers and ok.headers["X-CallCost"] == "1"
    refused = await api.get("/customers")
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 120


def test_bucket_refills_continuously_over_the_window() -> None:
    now = [0.0]
    bucket = TokenBucket(10, 60.0, clock=lambda: now[0])
    assert all(bucket.take() for _ in range(10))
    assert not bucket.take() and bucket.used == 10
    assert bucket.seconds_until() == 6  # one token per 6 s
    now[0] = 30.0  # half the window: half the bucket is back
    assert bucket.used == 10  # the header reports state as of the last call
    assert bucket.take() and bucket.used == 6
    now[0] = 10_000.0
    bucket.take()
    assert bucket.used == 1  # refill never overflows the capacity
    assert bucket.header() == "token-limit-10-per-60-seconds: 1/10"


async def test_stats_needs_no_token_and_counts(start_api: StartApi) -> None:
    api = await start_api(SandboxConfig(bucket=2, window=3600))
    await api.post("/customers", customer_body())
    await api.get("/customers")
    await api.get("/customers")  # 429
    await api.as_agreement({}).get("/customers")  # 401
    stats = await api.as_agreement({}).get("/_sandbox/stats")
    assert stats.status == 200
    body = stats.body
    assert (body["requests"], body["writes"], body["throttled"], body["unauthorized"]) == (
        4,
        1,
        1,
        1,
    )
    (counts,) = body["agreements"].values()
    assert counts["customers"] == 1 and counts["customer-groups"] == 2
    assert "test-grant" not in json.dumps(body)  # agreements are shown by hash, never token
