"""Send many writes with bounded concurrency and account for every one of them.

A pool of worker tasks (as many as the client's window can ever allow, or
``concurrency``) reads jobs from a small queue (not one task per row), so memory stays
bounded however long the input. Each worker takes a permit from the client's ``Window``
(``pipeline.api.concurrency``) for each job, so the number in flight follows the window as it
adapts to the budget and the latency. Each job ends in exactly one ``WriteOutcome``
handed to ``on_outcome``:

- ``ok``: the API accepted the write (possibly a replay of an earlier attempt);
- ``rejected``: the API answered 4xx; ``errors`` holds the parsed per-property errors;
- ``failed``: transient failures outlasted the retries; one ``RowError`` says why, with
  code ``NO_ANSWER`` when the write may have happened unseen (the caller looks the record
  up before writing it again).

A ``FatalError`` (revoked token) stops the run: the workers are cancelled and the error is
re-raised; jobs that had no outcome yet get none, and the caller reports them as stopped.
Cancellation (Ctrl-C) abandons requests in flight the same way. An ``on_outcome`` already
started is allowed to finish, so an answered write is not lost from the journal.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pipeline.api import ApiClient, Verdict, classify, parse_error_body
from pipeline.errors import AmbiguousWriteError, RetriableError, RowError, ThrottledError

#: ``RowError.code`` of a failed write, by cause.
NO_ANSWER_CODE = "NO_ANSWER"  # the request went out and no answer came back
#: What versions before issue #9 wrote for ``NO_ANSWER`` (in journals still being resumed);
#: ``AMBIGUOUS`` now means a row that matches several records (``pipeline.write.recognise``).
LEGACY_NO_ANSWER_CODE = "AMBIGUOUS"
#: Codes of an unanswered write, as a journal may hold them.
NO_ANSWER_CODES = frozenset((NO_ANSWER_CODE, LEGACY_NO_ANSWER_CODE))
THROTTLED_CODE = "THROTTLED"  # still 429 after every retry
UNAVAILABLE_CODE = "UNAVAILABLE"  # still 5xx or unreachable after every retry

OutcomeKind = Literal["ok", "rejected", "failed"]
T = TypeVar("T")
Callback = Callable[[T], Awaitable[None] | None]


@dataclass(frozen=True)
class WriteJob:
    """One write for one input row.

    ``idempotency_key`` must stay the same for the row across retries and resumed runs;
    ``first_sent_at`` (epoch seconds, from the journal) says when that key was first sent
    by an earlier run, so the client can tell when the API may have forgotten it.
    """

    row: int
    method: str
    path: str
    body: dict[str, Any] | None
    idempotency_key: str
    tag: Any = None
    first_sent_at: float | None = None


@dataclass(frozen=True)
class WriteOutcome:
    """What became of one ``WriteJob``."""

    job: WriteJob
    kind: OutcomeKind
    http_status: int | None
    body: Any
    errors: list[RowError] = field(default_factory=list)
    from_cache: bool = False


async def write_one(client: ApiClient, job: WriteJob) -> WriteOutcome:
    """Send ``job`` (with its retries) and describe the result; ``FatalError`` propagates."""
    try:
        response = await client.send(
            job.method,
            job.path,
            json=job.body,
            idempotency_key=job.idempotency_key,
            first_sent_at=job.first_sent_at,
        )
    except AmbiguousWriteError as exc:
        return _failed(job, NO_ANSWER_CODE, exc)
    except ThrottledError as exc:
        return _failed(job, THROTTLED_CODE, exc)
    except RetriableError as exc:
        return _failed(job, UNAVAILABLE_CODE, exc)
    if classify(response.status) is Verdict.SUCCESS:
        return WriteOutcome(job, "ok", response.status, response.body, [], response.from_cache)
    errors = parse_error_body(response.body, row=job.row, http_status=response.status)
    return WriteOutcome(job, "rejected", response.status, response.body, errors, False)


async def run_writes(
    client: ApiClient,
    jobs: AsyncIterable[WriteJob] | Iterable[WriteJob],
    *,
    concurrency: int | None = None,
    before_send: Callback[WriteJob] | None = None,
    on_outcome: Callback[WriteOutcome],
) -> None:
    """Send every job within the client's window; see the module docstring.

    ``concurrency`` caps the workers (default: the window's maximum), so at most that many
    are in flight whatever the window allows. ``before_send`` runs before a job's first
    attempt (the journal is written there); ``on_outcome`` runs once per job that was
    sent. Returns when every job has its outcome; raises the first ``FatalError`` (or
    bug) after stopping the workers.
    """
    if concurrency is None:
        concurrency = client.window.policy.max_limit
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    queue: asyncio.Queue[WriteJob | None] = asyncio.Queue(maxsize=concurrency)
    tasks = [asyncio.create_task(_feed(jobs, queue, workers=concurrency))]
    for _ in range(concurrency):
        tasks.append(asyncio.create_task(_work(client, queue, before_send, on_outcome)))
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            error = task.exception() if task in done and not task.cancelled() else None
            if error is not None:
                raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _feed(
    jobs: AsyncIterable[WriteJob] | Iterable[WriteJob],
    queue: asyncio.Queue[WriteJob | None],
    *,
    workers: int,
) -> None:
    # A full queue blocks here, so a huge input is read only as fast as it is sent.
    if isinstance(jobs, AsyncIterable):
        async for job in jobs:
            await queue.put(job)
    else:
        for job in jobs:
            await queue.put(job)
    for _ in range(workers):
        await queue.put(None)  # one "no more work" per worker


async def _work(
    client: ApiClient,
    queue: asyncio.Queue[WriteJob | None],
    before_send: Callback[WriteJob] | None,
    on_outcome: Callback[WriteOutcome],
) -> None:
    while (job := await queue.get()) is not None:
        async with client.window.permit():
            if before_send is not None:
                await _call(before_send, job)
            outcome = await write_one(client, job)
        await _call_to_the_end(on_outcome, outcome)


async def _call(callback: Callback[T], arg: T) -> None:
    result = callback(arg)
    if inspect.isawaitable(result):
        await result


async def _call_to_the_end(callback: Callback[T], arg: T) -> None:
    # The write has been answered: recording it must not be cut short by a cancel, or
    # the journal would lose a record the API already holds. Cancel after it instead.
    result = callback(arg)
    if not inspect.isawaitable(result):
        return
    future = asyncio.ensure_future(result)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        await future
        raise


def _failed(job: WriteJob, code: str, exc: RetriableError) -> WriteOutcome:
    error = RowError(row=job.row, property="", code=code, message=str(exc), origin="api")
    return WriteOutcome(job, "failed", None, None, [error], False)
