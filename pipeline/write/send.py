"""Send a batch's valid rows: decide, journal, write, settle, and settle what is in doubt.

Per row, in order:

1. a row the journal already settled in this run is reported as recorded, not sent
   (a failed one is tried again only with ``--retry-failed``);
2. a row the journal has *in flight* (the run stopped before its answer was recorded) is
   in doubt: see ``pipeline.write.reconcile``;
3. any other row is recognised (its own number, the ledger, the match rule: ``recognise``),
   decided against what exists (``decide``) and written,
   or, in a preview (``WriteContext.preview``), recorded as a planned change and not sent.

The journal is written before every write (``inflight``, with the key and when it was
first sent) and after every answer (``done`` / ``failed``), so a crash at any point leaves
each row recorded as sent or not. A success goes into the ledger *before* the journal marks
it done: a crash between the two leaves the row in flight, to be looked up again, never
done in the journal yet unknown to the ledger. An answer that never came (``NO_ANSWER``,
written ``AMBIGUOUS`` by earlier versions) leaves the row
in flight and in doubt: it is looked up afresh and written again only if absent, for at
most ``MAX_DOUBT_ROUNDS`` rounds.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from pipeline.api import record_id
from pipeline.errors import RowError
from pipeline.state import RowState

from .changes import RowPlace, planned_lines
from .decide import Decision, decide
from .matching import lookup_keys, match_key, renumber_holder
from .outcome import Status
from .parents import PARENT_NUMBER_PATH
from .recognise import (
    Recognition,
    as_recognised,
    can_be_recognised,
    identify,
    recognise,
    recognise_rows,
)
from .reconcile import MAX_DOUBT_ROUNDS, InDoubt, key_is_fresh, look_up, resolve
from .step import RowWork, WriteContext, row_result
from .writer import NO_ANSWER_CODES, WriteJob, WriteOutcome, run_writes

Doubt = tuple[RowWork, InDoubt]


async def send_rows(ctx: WriteContext, works: list[RowWork]) -> None:
    """Give every row of ``works`` its result, writing what needs writing."""
    assert ctx.client is not None
    open_rows = [w for w in works if not _settled_by_journal(ctx, w)]
    recognised = await recognise_rows(ctx, open_rows) if ctx.existing and open_rows else {}
    jobs: list[WriteJob] = []
    doubts: list[Doubt] = []
    for work in open_rows:
        state = ctx.journal_states.get(work.row)
        doubt = _doubt_from_journal(state, retry_failed=ctx.retry_failed)
        if doubt is not None:
            doubts.append((work, doubt))
            continue
        decision = _decide(ctx, work, recognised.get(work.row, Recognition()))
        if decision.sends and ctx.preview is not None:
            _plan(ctx, work, decision)
        elif decision.sends:
            key = _new_key(ctx, work, decision, renew=state is not None)
            jobs.append(_job(ctx, work, decision, key=key))
        else:
            _settle_without_write(ctx, work, decision)
    doubts += await _write(ctx, jobs)
    await _settle_doubts(ctx, doubts)


def _decide(ctx: WriteContext, work: RowWork, found: Recognition) -> Decision:
    assert work.payload is not None
    if found.errors:  # more than one candidate: nothing is written, and it is no success
        return Decision(status=Status.SKIPPED, errors=found.errors)
    renumber, holder = renumber_holder(ctx.existing, ctx.entity, work.record)
    decision = decide(
        ctx.entity,
        work.payload,
        mode=ctx.mode,
        existing=found.record,
        parent=work.parent,
        row=work.row,
        renumber=renumber,
        holder=holder,
    )
    return as_recognised(ctx.entity, decision, found, row=work.row)


def _plan(ctx: WriteContext, work: RowWork, decision: Decision) -> None:
    """A preview's write: recorded as planned changes, the row ``valid``, nothing sent.

    The planned record is remembered as a sent one would be, so that a later row of the
    run that matches it is decided against it, as in the import.
    """
    assert ctx.preview is not None and work.payload is not None
    found = decision.existing
    found_id = record_id(ctx.entity, dict(found)) if found is not None else ""
    work.result = row_result(ctx, work, Status.VALID, id=found_id)
    place = RowPlace(ctx.source, ctx.sheet, work.row, ctx.entity.name, work.result.key)
    lines = planned_lines(ctx.entity, work.payload, existing=found)
    if work.planned_parent:  # its parent's renumbering PUT moves it first (a create's line)
        lines = [(action, path, old, work.planned_parent if path == PARENT_NUMBER_PATH else new)
                 for action, path, old, new in lines]  # fmt: skip
    ctx.preview.record(place, id=found_id, lines=lines)
    if ctx.existing is not None and decision.body is not None:
        key = match_key(ctx.entity, work.record)
        ctx.existing.remember(key, decision.body, parent=work.parent)


def _settled_by_journal(ctx: WriteContext, work: RowWork) -> bool:
    """A row the journal already finished in this run is reported, not sent again."""
    state = ctx.journal_states.get(work.row)
    if state is None or state.state == "inflight":
        return False
    if state.state == "failed" and ctx.retry_failed:
        return False
    status = Status(state.status) if state.status else Status.FAILED
    if state.state == "done" and state.api_id and ctx.ledger is not None:
        # Done by an earlier version, or before a crash: make sure the ledger knows it.
        identify(work)
        ctx.ledger.record(
            ctx.entity.name, work.identity, digest=work.digest, record_id=state.api_id, keep=True
        )
    work.result = row_result(
        ctx, work, status, http=state.http_status, id=state.api_id or "", errors=state.errors
    )
    return True


def _doubt_from_journal(state: RowState | None, *, retry_failed: bool) -> InDoubt | None:
    """In flight when the last run stopped, or failed without an answer (with --retry-failed)."""
    if state is None or not state.method or not state.idem_key:
        return None
    lost = state.state == "failed" and any(e.code in NO_ANSWER_CODES for e in state.errors)
    if state.state == "inflight" or (lost and retry_failed):
        return InDoubt(method=state.method, key=state.idem_key, first_sent_at=state.sent_at)
    return None


def _new_key(ctx: WriteContext, work: RowWork, decision: Decision, *, renew: bool) -> str:
    """The row's first key in this run, or (``renew``) one never used before.

    A row sent again must not reuse a key the API may still hold for another answer (a 400
    is kept for an hour too) or may have forgotten (then it would not protect anything).
    """
    salt = uuid.uuid4().hex if renew or ctx.journal is None else ""
    if ctx.journal is None:
        return f"econ-import-{salt}"
    return ctx.journal.idempotency_key(ctx.source_id, work.row, decision.method, salt=salt)


def _job(
    ctx: WriteContext,
    work: RowWork,
    decision: Decision,
    *,
    key: str,
    first_sent_at: float | None = None,
) -> WriteJob:
    return WriteJob(
        row=work.row,
        method=decision.method,
        path=decision.path,
        body=decision.body,
        idempotency_key=key,
        tag=work,
        first_sent_at=first_sent_at,
    )


async def _write(ctx: WriteContext, jobs: list[WriteJob]) -> list[Doubt]:
    """Send ``jobs``; settle each answer; return the rows whose answer never came."""
    assert ctx.client is not None
    doubts: list[Doubt] = []

    def on_outcome(outcome: WriteOutcome) -> None:
        doubt = _settle(ctx, outcome)
        if doubt is not None:
            doubts.append((outcome.job.tag, doubt))

    if jobs:
        await run_writes(
            ctx.client,
            jobs,
            concurrency=ctx.concurrency,
            before_send=lambda job: _before_send(ctx, job),
            on_outcome=on_outcome,
        )
    return doubts


def _before_send(ctx: WriteContext, job: WriteJob) -> None:
    work: RowWork = job.tag
    if ctx.journal is None:
        work.key_sent_at = job.first_sent_at or time.time()
        return
    work.key_sent_at = ctx.journal.mark_inflight(
        ctx.source_id, job.row, key=job.idempotency_key, method=job.method, path=job.path
    )


def _settle(ctx: WriteContext, outcome: WriteOutcome) -> InDoubt | None:
    """Record an answered write; an unanswered one stays in flight and is returned."""
    work: RowWork = outcome.job.tag
    if outcome.kind == "ok":
        status = Status.CREATED if outcome.job.method == "POST" else Status.UPDATED
        body = outcome.body if isinstance(outcome.body, dict) else None
        _mark_done(ctx, work, status, http=outcome.http_status, record=body)
        return None
    if any(e.code in NO_ANSWER_CODES for e in outcome.errors):
        job = outcome.job
        return InDoubt(job.method, job.idempotency_key, work.key_sent_at, tuple(outcome.errors))
    status = Status.REJECTED if outcome.kind == "rejected" else Status.FAILED
    _mark_failed(ctx, work, status, http=outcome.http_status, errors=list(outcome.errors))
    return None


async def _settle_doubts(ctx: WriteContext, doubts: list[Doubt]) -> None:
    """Look the rows in doubt up and write the absent ones again, a few rounds at most."""
    for _ in range(MAX_DOUBT_ROUNDS):
        if not doubts:
            return
        doubts = await _write(ctx, await _resolve_doubts(ctx, doubts))
    for work, doubt in doubts:
        _mark_failed(ctx, work, Status.FAILED, http=None, errors=list(doubt.errors))


async def _resolve_doubts(ctx: WriteContext, doubts: list[Doubt]) -> list[WriteJob]:
    """Settle the rows found by a fresh look-up; the jobs to send for the others."""
    assert ctx.client is not None
    rule = ctx.match
    found = await look_up(
        ctx.client,
        ctx.entity,
        keys=(k for work, _ in doubts for k in lookup_keys(ctx.entity, work.record)),
        parents=(w.parent for w, _ in doubts),
        match=rule,
        rows=(w.record for w, _ in doubts),
    )
    now, ttl_s = time.time(), ctx.client.settings.key_ttl_s
    jobs: list[WriteJob] = []
    for work, doubt in doubts:
        assert work.payload is not None
        now_there = recognise(ctx.entity, work, existing=found, entry=None, rule=rule)
        if now_there.errors:  # several records match: which one is ours cannot be told
            _mark_failed(ctx, work, Status.FAILED, http=None, errors=list(now_there.errors))
            continue
        record = now_there.record
        renumber, holder = renumber_holder(found, ctx.entity, work.record)
        resolution = resolve(
            ctx.entity,
            work.payload,
            doubt=doubt,
            found=record,
            has_match_key=can_be_recognised(ctx.entity, rule, work.record),
            mode=ctx.mode,
            parent=work.parent,
            row=work.row,
            fresh=key_is_fresh(doubt.first_sent_at, ttl_s=ttl_s, now=now),
            renumber=renumber,
            holder=holder,
        )
        decision = resolution.decision
        if not decision.sends:
            _settle_without_write(ctx, work, decision, record=record)
            continue
        key = resolution.key or _new_key(ctx, work, decision, renew=True)
        jobs.append(_job(ctx, work, decision, key=key, first_sent_at=resolution.first_sent_at))
    return jobs


def _settle_without_write(
    ctx: WriteContext, work: RowWork, decision: Decision, *, record: dict[str, Any] | None = None
) -> None:
    """A row decided without a request; journaled when it had been sent before."""
    assert decision.status is not None
    errors = list(decision.errors)
    if work.row not in ctx.journal_states and work.key_sent_at is None:
        work.result = row_result(ctx, work, decision.status, id=decision.id, errors=errors)
    elif decision.status.succeeded:
        _mark_done(ctx, work, decision.status, http=None, record=record, id=decision.id)
    else:
        _mark_failed(ctx, work, decision.status, http=None, errors=errors, id=decision.id)


def _mark_done(
    ctx: WriteContext,
    work: RowWork,
    status: Status,
    *,
    http: int | None,
    record: dict[str, Any] | None,
    id: str = "",
) -> None:
    new_id = id or record_id(ctx.entity, record)
    work.result = row_result(ctx, work, status, http=http, id=new_id)
    if ctx.ledger is not None and new_id and status in (Status.CREATED, Status.UPDATED):
        if not work.identity:
            identify(work)
        ctx.ledger.record(ctx.entity.name, work.identity, digest=work.digest, record_id=new_id)
    if ctx.journal is not None:
        ctx.journal.mark_done(
            ctx.source_id,
            work.row,
            status=status.value,
            http_status=http,
            api_id=new_id,
            entity=ctx.entity.name,
            source_key=work.key,
        )
    if ctx.existing is not None and record is not None:
        ctx.existing.remember(match_key(ctx.entity, work.record), record, parent=work.parent)


def _mark_failed(
    ctx: WriteContext,
    work: RowWork,
    status: Status,
    *,
    http: int | None,
    errors: list[RowError],
    id: str = "",
) -> None:
    work.result = row_result(ctx, work, status, http=http, id=id, errors=errors)
    if ctx.journal is not None:
        ctx.journal.mark_failed(
            ctx.source_id, work.row, status=status.value, http_status=http, errors=errors
        )
