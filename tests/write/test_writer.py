"""The writer against the real sandbox: every row accounted for exactly once, no record
created twice under injected 503s and dropped answers, a fatal error or a cancel stops
the run without inventing outcomes for rows never sent."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from pipeline.api import ApiClient, ApiSettings
from pipeline.api.retry import RetryPolicy
from pipeline.errors import AuthError
from pipeline.write.writer import (
    NO_ANSWER_CODE,
    UNAVAILABLE_CODE,
    WriteJob,
    WriteOutcome,
    run_writes,
)

PATIENT = RetryPolicy(max_attempts=12, base_delay_s=0.01, max_delay_s=0.1)
_runs = itertools.count()


def customer(name: str) -> dict[str, Any]:
    """A customer POST body the sandbox accepts (the sandbox numbers it)."""
    return {
        "name": name,
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
    }


def jobs_for(rows: int, *, prefix: str = "R") -> list[WriteJob]:
    run = next(_runs)
    return [
        WriteJob(i, "POST", "/customers", customer(f"{prefix}{i}"), f"run{run}-row{i}", tag=i)
        for i in range(2, rows + 2)
    ]


class Recorder:
    """Collects ``before_send`` and ``on_outcome`` calls (both as async callbacks)."""

    def __init__(self) -> None:
        self.sent: list[WriteJob] = []
        self.outcomes: list[WriteOutcome] = []

    async def before_send(self, job: WriteJob) -> None:
        self.sent.append(job)

    async def on_outcome(self, outcome: WriteOutcome) -> None:
        await asyncio.sleep(0)  # a real journal write yields too
        self.outcomes.append(outcome)


async def _run(client: ApiClient, jobs: Any, *, concurrency: int = 8) -> Recorder:
    recorder = Recorder()
    await run_writes(
        client,
        jobs,
        concurrency=concurrency,
        before_send=recorder.before_send,
        on_outcome=recorder.on_outcome,
    )
    return recorder


async def _server_names(client: ApiClient) -> list[str]:
    items = [item async for item in client.iter_collection("/customers", pagesize=1000)]
    numbers = Counter(item["customerNumber"] for item in items)
    assert all(count == 1 for count in numbers.values())  # no customerNumber twice
    return sorted(item["name"] for item in items)


@pytest.mark.parametrize("fault", ["fault_rate", "drop_rate"])
async def test_every_row_created_exactly_once(start: Callable[..., Any], fault: str) -> None:
    sandbox = await start(**{fault: 0.3}, seed=11)
    jobs = jobs_for(60)
    async with ApiClient(ApiSettings(sandbox.url, "app", "grant", retry=PATIENT)) as client:
        recorder = await _run(client, jobs)
        assert await _server_names(client) == sorted(f"R{j.row}" for j in jobs)
    assert Counter(o.job.row for o in recorder.outcomes) == Counter(j.row for j in jobs)
    assert {o.kind for o in recorder.outcomes} == {"ok"}
    stats = sandbox.stats()
    assert stats["writes"] == 60
    if fault == "fault_rate":
        assert stats["faults"] > 0 and client.stats.retries >= stats["faults"]
    else:
        # Each lost answer was retried with its key and answered from the cache.
        assert stats["drops"] > 0
        assert stats["replays"] == stats["drops"] == client.stats.ambiguous
        assert sum(o.from_cache for o in recorder.outcomes) == stats["drops"]


async def test_rejected_rows_carry_parsed_errors(start: Callable[..., Any]) -> None:
    sandbox = await start()
    bad = {3: {**customer("x"), "currency": "DKKX"}, 6: {"currency": "DKK"}}
    jobs = [
        WriteJob(j.row, j.method, j.path, bad.get(j.row, j.body), j.idempotency_key)
        for j in jobs_for(6)
    ]
    async with ApiClient(ApiSettings(sandbox.url, "app", "grant")) as client:
        recorder = await _run(client, jobs, concurrency=3)
    by_row = {o.job.row: o for o in recorder.outcomes}
    assert sorted(by_row) == [j.row for j in jobs]
    assert {r for r, o in by_row.items() if o.kind == "rejected"} == {3, 6}
    assert [(e.row, e.property) for e in by_row[3].errors] == [(3, "currency")]
    assert by_row[6].http_status == 400
    assert {e.property for e in by_row[6].errors} >= {"name", "customerGroup"}
    assert all(o.kind == "ok" and o.http_status == 201 for r, o in by_row.items() if r not in bad)


async def test_failures_are_outcomes_not_exceptions(start: Callable[..., Any]) -> None:
    sandbox = await start(fault_rate=1.0)
    two_hours_ago = time.time() - 7200
    stale = WriteJob(2, "POST", "/customers", customer("S"), "old", first_sent_at=two_hours_ago)
    fresh = WriteJob(3, "POST", "/customers", customer("T"), "new-key")
    retry = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.01)
    async with ApiClient(ApiSettings(sandbox.url, "app", "grant", retry=retry)) as client:
        recorder = await _run(client, [stale, fresh], concurrency=2)
    by_row = {o.job.row: o for o in recorder.outcomes}
    # The stale key may have expired at the API: the caller must look row 2 up first.
    assert [(o.kind, o.errors[0].code) for o in (by_row[2], by_row[3])] == [
        ("failed", NO_ANSWER_CODE),
        ("failed", UNAVAILABLE_CODE),
    ]
    assert "503" in by_row[3].errors[0].message
    assert sandbox.stats()["faults"] == 2  # only row 3 was sent, twice


async def test_auth_error_stops_the_run_and_reads_little_input(start: Callable[..., Any]) -> None:
    sandbox = await start()
    pulled = 0

    def lazy_jobs() -> Iterator[WriteJob]:
        nonlocal pulled
        for job in jobs_for(10_000):
            pulled += 1
            yield job

    async with ApiClient(ApiSettings(sandbox.url, "demo", "demo")) as client:
        with pytest.raises(AuthError, match="403"):
            await _run_into(client, lazy_jobs(), recorder := Recorder(), concurrency=4)
    assert recorder.outcomes == []  # the caller reports every row as "run stopped"
    assert len(recorder.sent) <= 4
    assert pulled <= 3 * 4  # a bounded queue: the input is read as it is sent
    assert sandbox.stats()["writes"] == 0


async def _run_into(client: ApiClient, jobs: Any, recorder: Recorder, *, concurrency: int) -> None:
    await run_writes(
        client,
        jobs,
        concurrency=concurrency,
        before_send=recorder.before_send,
        on_outcome=recorder.on_outcome,
    )


async def test_cancel_reports_only_what_was_answered(start: Callable[..., Any]) -> None:
    sandbox = await start(latency_ms=30, seed=5)
    recorder = Recorder()

    async def jobs() -> AsyncIterator[WriteJob]:
        for job in jobs_for(500):
            yield job

    async with ApiClient(ApiSettings(sandbox.url, "app", "grant")) as client:
        task = asyncio.create_task(_run_into(client, jobs(), recorder, concurrency=4))
        while len(recorder.outcomes) < 10:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        answered = len(recorder.outcomes)
        names = await _server_names(client)
    sent_rows = {j.row for j in recorder.sent}
    assert {o.job.row for o in recorder.outcomes} <= sent_rows
    assert len(sent_rows) - answered <= 4  # only the requests in flight were abandoned
    assert answered < 500 and len(recorder.outcomes) == answered
    assert {f"R{o.job.row}" for o in recorder.outcomes} <= set(names)


async def test_concurrency_must_be_positive(start: Callable[..., Any]) -> None:
    sandbox = await start()
    async with ApiClient(ApiSettings(sandbox.url, "app", "grant")) as client:
        with pytest.raises(ValueError, match="concurrency"):
            await run_writes(client, [], concurrency=0, on_outcome=lambda o: None)
        # An empty input ends at once, with no outcome and no request.
        await run_writes(client, [], concurrency=2, on_outcome=lambda o: None)
    assert sandbox.stats()["requests"] == 0
