"""``Idempotency-Key`` replay (issue #2, point 6; API-FACTS.md "Idempotency")."""

from __future__ import annotations

import asyncio

from aiohttp import web

from pipeline.sandbox.idempotency import IdempotencyCache
from tests.sandbox.helpers import Api, customer_body


def _key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def test_a_repeated_post_is_replayed_not_written_again(api: Api) -> None:
    first = await api.post("/customers", customer_body(), headers=_key("row-7"))
    again = await api.post("/customers", customer_body(), headers=_key("row-7"))
    assert first.status == again.status == 201
    assert "X-ResultFromCache" not in first.headers
    assert again.headers["X-ResultFromCache"] == "true"
    assert again.body == first.body
    assert again.headers["Location"] == first.headers["Location"]
    assert len((await api.get("/customers")).body["collection"]) == 1
    # A different key is a different write.
    other = await api.post("/customers", customer_body(), headers=_key("row-8"))
    assert other.body["customerNumber"] == 2


async def test_a_replayed_delete_answers_204_again(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=3))
    first = await api.delete("/customers/3", headers=_key("del-3"))
    again = await api.delete("/customers/3", headers=_key("del-3"))
    assert (first.status, again.status) == (204, 204)
    assert again.headers["X-ResultFromCache"] == "true"
    assert (await api.delete("/customers/3", headers=_key("del-3b"))).status == 404


async def test_a_rejected_write_is_replayed_as_rejected(api: Api) -> None:
    bad = customer_body(name=None)
    first = await api.post("/customers", bad, headers=_key("bad"))
    again = await api.post("/customers", customer_body(), headers=_key("bad"))
    assert first.status == again.status == 400
    assert again.body == first.body and again.headers["X-ResultFromCache"] == "true"


async def test_keys_are_per_agreement(api: Api) -> None:
    other = api.as_agreement({"X-AppSecretToken": "a", "X-AgreementGrantToken": "b"})
    mine = await api.post("/customers", customer_body(name="Mine"), headers=_key("k"))
    theirs = await other.post("/customers", customer_body(name="Theirs"), headers=_key("k"))
    assert "X-ResultFromCache" not in theirs.headers
    assert (mine.body["name"], theirs.body["name"]) == ("Mine", "Theirs")


async def test_a_key_on_get_is_rejected(api: Api) -> None:
    reply = await api.get("/customers", headers=_key("nope"))
    assert reply.status == 400
    assert reply.body["errorCode"] == "E04840"


async def test_concurrent_duplicates_write_once(api: Api) -> None:
    replies = await asyncio.gather(
        *(api.post("/customers", customer_body(), headers=_key("same")) for _ in range(8))
    )
    assert {r.body["customerNumber"] for r in replies} == {1}
    assert sum("X-ResultFromCache" in r.headers for r in replies) == 7
    assert len((await api.get("/customers")).body["collection"]) == 1


async def test_entries_expire_after_the_ttl() -> None:
    now = [1000.0]
    cache = IdempotencyCache(3600.0, clock=lambda: now[0])
    cache.put("agreement", "k", web.json_response({"n": 1}, status=201))
    kept = cache.get("agreement", "k")
    assert kept is not None and kept.status == 201
    assert kept.replay().headers["X-ResultFromCache"] == "true"
    now[0] += 3599.0
    assert cache.get("agreement", "k") is not None
    now[0] += 2.0
    assert cache.get("agreement", "k") is None


async def test_throttled_and_failed_answers_are_not_kept() -> None:
    cache = IdempotencyCache(60.0)
    for status in (429, 500, 503):
        cache.put("a", f"k{status}", web.json_response({}, status=status))
        assert cache.get("a", f"k{status}") is None
