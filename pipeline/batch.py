"""One batch of rows from mapped text to final results: the import's inner loop.

For each chunk of an input: map, validate, resolve names and parents, look up what already
exists, decide, send, and turn every outcome into exactly one ``RowResult`` per row, in
input order. The journal is written before and after every write (``before_send`` /
``_settle``), so a crash at any point leaves each row recorded as sent or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.client import ApiClient
from pipeline.constraints import Entity
from pipeline.decide import Decision, decide
from pipeline.endpoints import record_id
from pipeline.errors import RowError
from pipeline.journal import Journal
from pipeline.mapping import Mapping as ColumnMapping
from pipeline.mapping import apply_mapping
from pipeline.matching import ExistingRecords, match_key
from pipeline.outcome import RowResult, Status
from pipeline.parents import PARENT_KEY_PATH, PARENT_NUMBER_PATH, ParentIndex, ParentRow
from pipeline.payload import build_payload
from pipeline.references import NameResolver
from pipeline.validate import Validator
from pipeline.writer import WriteJob, WriteOutcome, run_writes

KEY_COLUMN = "_key"
#: Where a lookup cannot be resolved (a dry run with no API), this stands in for the name
#: so that the cell's other checks (required, type) still run.
UNRESOLVED_PLACEHOLDER = "1"


@dataclass
class StepContext:
    """What every batch of one input shares."""

    source: str
    sheet: str
    source_id: str
    entity: Entity
    mapping: ColumnMapping
    validator: Validator
    mode: str
    retry_failed: bool
    concurrency: int
    parents: ParentIndex
    client: ApiClient | None = None
    journal: Journal | None = None
    names: NameResolver | None = None
    existing: ExistingRecords | None = None
    record_parents: bool = False
    journal_states: dict[int, Any] = field(default_factory=dict)


@dataclass
class RowWork:
    """One row on its way through the batch."""

    row: int
    key: str
    record: dict[str, str]
    parent: str = ""
    payload: dict[str, Any] | None = None
    result: RowResult | None = None
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


async def process_batch(
    ctx: StepContext, raw: pd.DataFrame, *, works: list[RowWork] | None = None
) -> list[RowResult]:
    """Results for every row of ``raw`` (a chunk of source columns), in input order.

    ``works`` (when given) collects the rows as they progress, so that a caller whose
    batch is cancelled half-way can still report the rows that did finish.
    """
    mapped = apply_mapping(raw, ctx.mapping)
    name_errors = _resolve_names(ctx, mapped)
    checked = ctx.validator.validate(mapped)
    works = [] if works is None else works
    records: list[dict[str, str]] = mapped.to_dict("records")  # type: ignore[assignment]
    for row, record in zip(mapped.index.tolist(), records, strict=True):
        work = RowWork(row=int(row), key=str(record.pop(KEY_COLUMN, "")), record=record)
        work.warnings = list(checked.warnings.get(row, []))
        errors = name_errors.get(row, [])
        masked = {e.property for e in errors}
        errors += [e for e in checked.errors.get(row, []) if e.property not in masked]
        if errors:
            work.result = _result(ctx, work, Status.INVALID, errors=errors)
        works.append(work)
    _resolve_parents(ctx, works)
    for work in works:
        if work.result is None:
            work.payload = build_payload(work.record, ctx.entity)
            if ctx.client is None:
                work.result = _result(ctx, work, Status.VALID)
    if ctx.client is not None:
        await _send(ctx, [w for w in works if w.result is None])
    results = [w.result for w in works if w.result is not None]
    assert len(results) == len(works), "every row must end with a result"
    if ctx.record_parents:
        for work in works:
            _record_parent(ctx, work)
    return results


def _resolve_names(ctx: StepContext, mapped: pd.DataFrame) -> dict[int, list[RowError]]:
    """Replace names by numbers in the lookup columns; unknown names become row errors."""
    errors: dict[int, list[RowError]] = {}
    for path in ctx.mapping.lookups():
        column = mapped[path]
        filled = column[column != ""]
        for row, text in zip(filled.index.tolist(), filled.tolist(), strict=True):
            if ctx.names is None:
                mapped.at[row, path] = UNRESOLVED_PLACEHOLDER
                continue
            found = ctx.names.resolve(path, str(text), row=int(row))
            if isinstance(found, RowError):
                errors.setdefault(int(row), []).append(found)
                mapped.at[row, path] = UNRESOLVED_PLACEHOLDER
            else:
                mapped.at[row, path] = found
    return errors


def _resolve_parents(ctx: StepContext, works: list[RowWork]) -> None:
    if ctx.entity.parent is None:
        return
    for work in works:
        key = work.record.pop(PARENT_KEY_PATH, "")
        if work.result is not None:
            continue
        found = ctx.parents.resolve(key=key, number=work.record.get(PARENT_NUMBER_PATH, ""))
        if found.skip_reason:
            reason = RowError(
                work.row,
                PARENT_KEY_PATH if key else PARENT_NUMBER_PATH,
                "PARENT_NOT_IMPORTED",
                found.skip_reason,
                key or None,
            )
            work.result = _result(ctx, work, Status.SKIPPED, errors=[reason])
        elif found.error:
            reason = RowError(work.row, PARENT_KEY_PATH, "PARENT_NOT_FOUND", found.error, key)
            work.result = _result(ctx, work, Status.INVALID, errors=[reason])
        else:
            work.parent = found.number
            work.record[PARENT_NUMBER_PATH] = found.number


async def _send(ctx: StepContext, works: list[RowWork]) -> None:
    """Decide each row against what exists, send the writes, settle every outcome."""
    assert ctx.client is not None
    existing = ctx.existing
    if existing is not None:
        await existing.fetch(
            (match_key(ctx.entity, w.record) for w in works), parents=(w.parent for w in works)
        )
    jobs: list[WriteJob] = []
    for work in works:
        if _settled_by_journal(ctx, work):
            continue
        assert work.payload is not None
        found = (
            existing.find(match_key(ctx.entity, work.record), parent=work.parent)
            if existing
            else None
        )
        decision = decide(
            ctx.entity,
            work.payload,
            mode=ctx.mode,
            existing=found,
            parent=work.parent,
            row=work.row,
        )
        if decision.sends:
            jobs.append(_job(ctx, work, decision))
        else:
            assert decision.status is not None
            work.result = _result(
                ctx, work, decision.status, id=decision.id, errors=list(decision.errors)
            )
    if jobs:
        await run_writes(
            ctx.client,
            jobs,
            concurrency=ctx.concurrency,
            before_send=lambda job: _before_send(ctx, job),
            on_outcome=lambda outcome: _settle(ctx, outcome),
        )


def _settled_by_journal(ctx: StepContext, work: RowWork) -> bool:
    """A row the journal already finished in this run is reported, not sent again."""
    state = ctx.journal_states.get(work.row)
    if state is None or state.state == "inflight":
        return False
    if state.state == "failed" and ctx.retry_failed:
        return False
    status = Status(state.status) if state.status else Status.FAILED
    work.result = _result(
        ctx, work, status, http=state.http_status, id=state.api_id or "", errors=state.errors
    )
    return True


def _job(ctx: StepContext, work: RowWork, decision: Decision) -> WriteJob:
    state = ctx.journal_states.get(work.row)
    first_sent_at = None
    if state is not None and state.state == "inflight" and state.method == decision.method:
        # Resume with the key the lost request carried; its age decides whether the API
        # may have forgotten it (then the writer says AMBIGUOUS and the row is looked up).
        key = state.idem_key
        first_sent_at = state.sent_at
    elif ctx.journal is not None:
        key = ctx.journal.idempotency_key(ctx.source_id, work.row, decision.method)
    else:
        key = f"econ-import-{ctx.source_id}-{work.row}"
    return WriteJob(
        row=work.row,
        method=decision.method,
        path=decision.path,
        body=decision.body,
        idempotency_key=key,
        tag=work,
        first_sent_at=first_sent_at,
    )


def _before_send(ctx: StepContext, job: WriteJob) -> None:
    if ctx.journal is not None:
        ctx.journal.mark_inflight(
            ctx.source_id, job.row, key=job.idempotency_key, method=job.method, path=job.path
        )


def _settle(ctx: StepContext, outcome: WriteOutcome) -> None:
    work: RowWork = outcome.job.tag
    if outcome.kind == "ok":
        status = Status.CREATED if outcome.job.method == "POST" else Status.UPDATED
        new_id = record_id(ctx.entity, outcome.body)
        work.result = _result(ctx, work, status, http=outcome.http_status, id=new_id)
        if ctx.journal is not None:
            ctx.journal.mark_done(
                ctx.source_id,
                work.row,
                status=status.value,
                http_status=outcome.http_status,
                api_id=new_id,
                entity=ctx.entity.name,
                source_key=work.key,
            )
        if ctx.existing is not None and isinstance(outcome.body, dict):
            ctx.existing.remember(
                match_key(ctx.entity, work.record), outcome.body, parent=work.parent
            )
    else:
        status = Status.REJECTED if outcome.kind == "rejected" else Status.FAILED
        work.result = _result(
            ctx, work, status, http=outcome.http_status, errors=list(outcome.errors)
        )
        if ctx.journal is not None:
            ctx.journal.mark_failed(
                ctx.source_id,
                work.row,
                status=status.value,
                http_status=outcome.http_status,
                errors=outcome.errors,
            )


def _record_parent(ctx: StepContext, work: RowWork) -> None:
    if work.result is None:
        return
    number = work.result.id or work.record.get(ctx.entity.key, "")
    # A customer skipped because it already exists (create mode) is there for its
    # children all the same: the skip carries the existing record's number.
    exists = work.result.status is Status.SKIPPED and bool(work.result.id)
    ctx.parents.record(
        key=work.key,
        number=number,
        row=ParentRow(
            row=work.row,
            source=ctx.source,
            number=number,
            succeeded=work.result.status.succeeded or exists,
            status=work.result.status.value,
        ),
    )


def _result(
    ctx: StepContext,
    work: RowWork,
    status: Status,
    *,
    http: int | None = None,
    id: str = "",
    errors: list[RowError] | None = None,
) -> RowResult:
    return RowResult(
        source=ctx.source,
        sheet=ctx.sheet,
        row=work.row,
        entity=ctx.entity.name,
        key=work.key or work.record.get(ctx.entity.key, ""),
        status=status,
        http_status=http,
        id=id,
        errors=errors or [],
        warnings=work.warnings,
    )


def originals(raw: pd.DataFrame) -> dict[int, Mapping[str, str]]:
    """Each row's source cells by row number, for the errors file."""
    records: list[dict[str, str]] = raw.to_dict("records")  # type: ignore[assignment]
    return dict(zip(raw.index.tolist(), records, strict=True))
