"""One batch of rows from mapped text to final results: the import's inner loop.

For each chunk of an input: map, validate, resolve names and parents, look up what already
exists, decide, send (``pipeline.send``, which journals every write), and turn every
outcome into exactly one ``RowResult`` per row, in input order.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipeline.errors import RowError
from pipeline.mapping import apply_mapping
from pipeline.outcome import RowResult, Status
from pipeline.parents import PARENT_KEY_PATH, PARENT_NUMBER_PATH, ParentRow
from pipeline.payload import build_payload
from pipeline.send import send_rows
from pipeline.step import RowWork, StepContext, row_result
from pipeline.table import frame_records

__all__ = ["KEY_COLUMN", "RowWork", "StepContext", "originals", "process_batch"]

KEY_COLUMN = "_key"
#: Where a lookup cannot be resolved (a dry run with no API), this stands in for the name
#: so that the cell's other checks (required, type) still run.
UNRESOLVED_PLACEHOLDER = "1"


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
    for row, record in zip(mapped.index.tolist(), frame_records(mapped), strict=True):
        work = RowWork(row=int(row), key=str(record.pop(KEY_COLUMN, "")), record=record)
        work.warnings = list(checked.warnings.get(row, []))
        errors = name_errors.get(row, [])
        masked = {e.property for e in errors}
        errors += [e for e in checked.errors.get(row, []) if e.property not in masked]
        if errors:
            work.result = row_result(ctx, work, Status.INVALID, errors=errors)
        works.append(work)
    _resolve_parents(ctx, works)
    for work in works:
        if work.result is None:
            if ctx.client is None:  # a dry run: validation already proved the row converts
                work.result = row_result(ctx, work, Status.VALID)
            else:
                work.payload = build_payload(work.record, ctx.entity)
    if ctx.client is not None:
        await send_rows(ctx, [w for w in works if w.result is None])
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
            work.result = row_result(ctx, work, Status.SKIPPED, errors=[reason])
        elif found.error:
            reason = RowError(work.row, PARENT_KEY_PATH, "PARENT_NOT_FOUND", found.error, key)
            work.result = row_result(ctx, work, Status.INVALID, errors=[reason])
        else:
            work.parent = found.number
            work.record[PARENT_NUMBER_PATH] = found.number


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


def originals(raw: pd.DataFrame) -> dict[int, Mapping[str, str]]:
    """Each row's source cells by row number, for the errors file."""
    return dict(zip(raw.index.tolist(), frame_records(raw), strict=True))
