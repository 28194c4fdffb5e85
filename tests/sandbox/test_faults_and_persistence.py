"""Fault injection and ``--db`` persistence (issue #2, points 7 and 8)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from pipeline.sandbox import SandboxConfig, run_sandbox
from pipeline.sandbox.faults import FaultInjector
from tests.sandbox.conftest import StartApi
from tests.sandbox.helpers import TOKENS, customer_body


async def test_fault_rate_answers_503_before_the_write(start_api: StartApi) -> None:
    api = await start_api(SandboxConfig(fault_rate=1.0))
    failed = await api.post("/customers", customer_body(), headers={"Idempotency-Key": "f"})
    assert failed.status == 503
    assert failed.body["httpStatusCode"] == 503
    listed = await api.get("/customers")  # reads are never faulted
    assert listed.status == 200 and listed.body["collection"] == []
    stats = (await api.get("/_sandbox/stats")).body
    assert (stats["faults"], stats["writes"]) == (1, 0)


async def test_drop_rate_commits_then_closes_without_answer(start_api: StartApi) -> None:
    api = await start_api(SandboxConfig(drop_rate=1.0))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.post("/customers", customer_body(customerNumber=9))
    # The write happened: this is the ambiguous failure an importer must resolve.
    assert (await api.get("/customers/9")).status == 200
    stats = (await api.get("/_sandbox/stats")).body
    assert (stats["drops"], stats["writes"]) == (1, 1)


async def test_a_dropped_write_is_replayed_on_retry_with_its_key(
    start_api: StartApi,
) -> None:
    api = await start_api(SandboxConfig(drop_rate=1.0))
    key = {"Idempotency-Key": "row-2"}
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.post("/customers", customer_body(), headers=key)
    retry = await api.post("/customers", customer_body(), headers=key)
    assert retry.status == 201 and retry.headers["X-ResultFromCache"] == "true"
    assert retry.body["customerNumber"] == 1
    assert len((await api.get("/customers")).body["collection"]) == 1


async def test_latency_still_answers(start_api: StartApi) -> None:
    api = await start_api(SandboxConfig(latency_ms=2.0, seed=1))
    assert (await api.get("/customers")).status == 200


def test_fault_decisions_repeat_with_a_seed() -> None:
    config = SandboxConfig(latency_ms=100, fault_rate=0.3, drop_rate=0.3, seed=42)
    runs = []
    for _ in range(2):
        dice = FaultInjector(config)
        runs.append([(dice.latency(), dice.fail_write(), dice.drop_write()) for _ in range(50)])
    assert runs[0] == runs[1]
    latencies = [lat for lat, _, _ in runs[0]]
    assert all(0.05 <= lat <= 0.15 for lat in latencies)
    assert 0 < sum(f for _, f, _ in runs[0]) < 50


def test_no_faults_by_default() -> None:
    dice = FaultInjector(SandboxConfig())
    assert dice.latency() == 0.0
    assert not any(dice.fail_write() or dice.drop_write() for _ in range(100))


async def _session_call(
    session: aiohttp.ClientSession, method: str, url: str, **kw: object
) -> tuple[int, dict[str, str], object]:
    async with session.request(method, url, headers=kw.pop("headers", TOKENS), **kw) as r:  # type: ignore[arg-type]
        body = await r.json(content_type=None) if r.status != 204 else None
        return r.status, dict(r.headers), body


async def test_db_keeps_data_and_idempotency_across_a_restart(tmp_path: Path) -> None:
    config = SandboxConfig(db=tmp_path / "sandbox.db")
    key = {**TOKENS, "Idempotency-Key": "first"}
    async with run_sandbox(config) as sandbox, aiohttp.ClientSession() as s:
        url = sandbox.url
        status, _, created = await _session_call(
            s, "POST", f"{url}/customers", json=customer_body(customerNumber=5), headers=key
        )
        assert status == 201
        await _session_call(s, "POST", f"{url}/customers/5/contacts", json={"name": "Kirsten"})
        await _session_call(s, "PUT", f"{url}/customers/5", json=customer_body(customerNumber=6))
        await _session_call(s, "DELETE", f"{url}/customer-groups/2")
    async with run_sandbox(config) as sandbox, aiohttp.ClientSession() as s:
        url = sandbox.url
        assert (await _session_call(s, "GET", f"{url}/customers/5"))[0] == 404
        status, _, customer = await _session_call(s, "GET", f"{url}/customers/6")
        assert status == 200 and customer["name"] == "Jensen & Søn ApS"  # type: ignore[index]
        _, _, contacts = await _session_call(s, "GET", f"{url}/customers/6/contacts")
        assert [c["name"] for c in contacts["collection"]] == ["Kirsten"]  # type: ignore[index]
        _, _, groups = await _session_call(s, "GET", f"{url}/customer-groups")
        assert [g["customerGroupNumber"] for g in groups["collection"]] == [1]  # type: ignore[index]
        # The idempotency cache survived too: the first POST is replayed, not repeated.
        status, headers, replay = await _session_call(
            s, "POST", f"{url}/customers", json=customer_body(customerNumber=5), headers=key
        )
        assert status == 201 and headers["X-ResultFromCache"] == "true"
        assert replay == created
        # New contacts keep counting from the stored ones.
        _, _, second = await _session_call(
            s, "POST", f"{url}/customers/6/contacts", json={"name": "Per"}
        )
        assert second["sortKey"] == 2  # type: ignore[index]
    assert b"test-grant" not in (tmp_path / "sandbox.db").read_bytes()  # tokens never stored


async def test_without_db_nothing_survives() -> None:
    # In memory by default: a second sandbox starts from the seed.
    async with run_sandbox(SandboxConfig()) as one, aiohttp.ClientSession() as s:
        await _session_call(s, "POST", f"{one.url}/customers", json=customer_body())
    async with run_sandbox(SandboxConfig()) as two, aiohttp.ClientSession() as s:
        _, _, listed = await _session_call(s, "GET", f"{two.url}/customers")
        assert listed["collection"] == []  # type: ignore[index]
