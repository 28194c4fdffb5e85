"""One batch of rows from mapped text to final results: the import's inner loop.

For each chunk of an input: map, validate, resolve names and parents, look up what already
exists, decide, send (``pipeline.write.send``, which journals every write), and turn every
outcome into exactly one ``RowResult`` per row, in input order.

Rows stopped locally (invalid, or a parent that was not imported) get their result from
the mapped chunk's columns. Only the rows to be sent become ``RowWork``s with a record
each; a dry run sends nothing, so its valid rows go straight to ``valid`` results (at a
million rows, a dict per row is most of a dry run's cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from pipeline.errors import RowError
from pipeline.mapping import build_payload, map_chunk
from pipeline.read import frame_records
from pipeline.validate import ChunkValidation

from .links import LINK_COLUMNS, link_conflicts
from .outcome import RowResult, Status
from .parents import PARENT_KEY_PATH, PARENT_NUMBER_PATH, ParentLookup, ParentRow
from .renumber import CURRENT_NUMBER, follow_planned_renumbers, follow_renumbers
from .send import send_rows
from .step import RowWork, StepContext

__all__ = ["KEY_COLUMN", "RowWork", "StepContext", "originals", "process_batch"]

KEY_COLUMN = "_key"
#: Where a lookup cannot be resolved (a dry run with no API), this stands in for the name
#: so that the cell's other checks (required, type) still run.
UNRESOLVED_PLACEHOLDER = "1"
#: Columns of a mapped chunk that are bookkeeping, not part of a row's record; a
#: customer's links are set after its children's steps (``pipeline.write.link_phase``).
_NOT_RECORDED = (KEY_COLUMN, PARENT_KEY_PATH, *LINK_COLUMNS)


@dataclass
class _Chunk:
    """A mapped chunk as the steps of a batch read it: its columns as lists, its
    validation, and the rows settled so far without a request (row -> result)."""

    mapped: pd.DataFrame
    checked: ChunkValidation
    rows: list[int]
    keys: list[str]  # each row's source key ('' without one)
    numbers: list[str]  # each row's own key cell (customerNumber, ...)
    settled: dict[int, RowResult] = field(default_factory=dict)

    @cached_property
    def labels(self) -> list[str]:
        """results.csv's key: the source key, else the entity's own key (``row_result``)."""
        return [key or number for key, number in zip(self.keys, self.numbers, strict=True)]

    def settle(
        self, ctx: StepContext, row: int, key: str, status: Status, errors: list[RowError]
    ) -> None:
        """Give ``row`` its result without a request."""
        if ctx.write.on_settled is not None:
            ctx.write.on_settled(status)
        self.settled[row] = RowResult(
            ctx.write.source,
            ctx.write.sheet,
            row,
            ctx.write.entity.name,
            key,
            status,
            errors=errors,
            warnings=list(self.checked.warnings.get(row, ())),
        )


async def process_batch(
    ctx: StepContext, raw: pd.DataFrame, *, works: list[RowWork] | None = None
) -> list[RowResult]:
    """Results for every row of ``raw`` (a chunk of source columns), in input order.

    ``works`` (when given) collects the rows as they progress, so that a caller whose
    batch is cancelled half-way can still report the rows that did finish. A dry run
    never waits on anything, so it cannot be stopped half-way and collects none.
    """
    mapped, cell_errors = map_chunk(raw, ctx.mapping)
    name_errors = _resolve_names(ctx, mapped)
    for row, errors in cell_errors.items():  # a refused number masks its cell's checks
        name_errors.setdefault(row, []).extend(errors)
    for row, errors in link_conflicts(mapped).items():
        name_errors.setdefault(row, []).extend(errors)
    chunk = _Chunk(
        mapped=mapped,
        checked=ctx.validator.validate(mapped),
        rows=mapped.index.tolist(),
        keys=mapped[KEY_COLUMN].tolist(),
        numbers=_column(mapped, ctx.write.entity.key),
    )
    _settle_invalid(ctx, chunk, name_errors)
    parents = _resolve_parents(ctx, chunk)
    if ctx.write.client is None:
        results = _dry_results(ctx, chunk)
    else:
        results = await _send(ctx, chunk, parents, works=[] if works is None else works)
    if ctx.record_parents:
        _record_parents(ctx, chunk, results)
    if ctx.write.client is not None and CURRENT_NUMBER in mapped.columns:
        current = mapped[CURRENT_NUMBER].tolist()
        follow_renumbers(
            current,
            results,
            parents=ctx.parents,
            journal=ctx.write.journal,
            ledger=ctx.write.ledger,
        )
        if ctx.write.preview is not None:
            follow_planned_renumbers(current, chunk.numbers, results, parents=ctx.parents)
    if ctx.links is not None and ctx.write.client is not None:
        if ctx.write.entity.parent is None:
            ctx.links.want(mapped, results, source_id=ctx.write.source_id)
        else:
            held = {row: found.today for row, found in parents.items()}
            ctx.links.record_children(
                ctx.write.entity.name, chunk.keys, held, results, journal=ctx.write.journal
            )
    return results


def _column(mapped: pd.DataFrame, path: str) -> list[str]:
    """The cells of ``path``, or '' for every row when the mapping does not produce it."""
    return mapped[path].tolist() if path in mapped.columns else [""] * len(mapped)


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


def _settle_invalid(
    ctx: StepContext, chunk: _Chunk, name_errors: dict[int, list[RowError]]
) -> None:
    """Every row with an unknown name, a refused cell or a validation error is
    ``invalid``; a name that could not be resolved masks the validator's verdict on its
    placeholder, a cell a transform refused the verdict on its unconverted text."""
    found = {row: list(errors) for row, errors in name_errors.items()}
    for row, errors in chunk.checked.errors.items():
        named = found.setdefault(row, [])
        masked = {e.property for e in named}
        named += [e for e in errors if e.property not in masked]
    if any(found.values()):
        for row, label in zip(chunk.rows, chunk.labels, strict=True):
            if found.get(row):
                chunk.settle(ctx, row, label, Status.INVALID, found[row])


def _resolve_parents(ctx: StepContext, chunk: _Chunk) -> dict[int, ParentLookup]:
    """Each open child row's parent customer; rows whose parent cannot be had are
    settled (``skipped`` or ``invalid``)."""
    if ctx.write.entity.parent is None:
        return {}
    keys = _column(chunk.mapped, PARENT_KEY_PATH)
    numbers = _column(chunk.mapped, PARENT_NUMBER_PATH)
    found_numbers: dict[int, ParentLookup] = {}
    for row, label, key, number in zip(chunk.rows, chunk.labels, keys, numbers, strict=True):
        if row in chunk.settled:
            continue
        found = ctx.parents.resolve(key=key, number=number)
        if found.skip_reason:
            path = PARENT_KEY_PATH if key else PARENT_NUMBER_PATH
            reason = RowError(row, path, "PARENT_NOT_IMPORTED", found.skip_reason, key or None)
            chunk.settle(ctx, row, label, Status.SKIPPED, [reason])
        elif found.error:
            reason = RowError(row, PARENT_KEY_PATH, "PARENT_NOT_FOUND", found.error, key)
            chunk.settle(ctx, row, label, Status.INVALID, [reason])
        else:
            found_numbers[row] = found
    return found_numbers


def _dry_results(ctx: StepContext, chunk: _Chunk) -> list[RowResult]:
    """A dry run's results: validation already proved that every other row converts."""
    source, sheet, name, valid = (
        ctx.write.source,
        ctx.write.sheet,
        ctx.write.entity.name,
        Status.VALID,
    )
    settled, warnings = chunk.settled, chunk.checked.warnings
    return [
        settled.get(row)
        or RowResult(source, sheet, row, name, label, valid, warnings=warnings.get(row, []))
        for row, label in zip(chunk.rows, chunk.labels, strict=True)
    ]


async def _send(
    ctx: StepContext, chunk: _Chunk, parents: dict[int, ParentLookup], *, works: list[RowWork]
) -> list[RowResult]:
    """Send the rows not settled locally; every row's result in input order."""
    # The settled rows first, so that a stop half-way reports them as they ended.
    works += [RowWork(row, r.key, {}, result=r) for row, r in chunk.settled.items()]
    rows, mapped = chunk.rows, chunk.mapped
    open_rows = [n for n, row in enumerate(rows) if row not in chunk.settled]
    records = mapped.drop(columns=[c for c in _NOT_RECORDED if c in mapped.columns])
    if len(open_rows) < len(rows):
        records = records.iloc[open_rows]
    sending: list[RowWork] = []
    for n, record in zip(open_rows, frame_records(records), strict=True):
        row = rows[n]
        warnings = list(chunk.checked.warnings.get(row, ()))
        work = RowWork(row, chunk.keys[n], record, warnings=warnings)
        if row in parents:
            # Read and decided where the parent is today; a preview of its renumbering
            # lists the write under its new number (``RowWork.planned_parent``).
            work.parent = parents[row].today
            work.planned_parent = parents[row].number if parents[row].held_at else ""
            record[PARENT_NUMBER_PATH] = work.parent
        work.payload = build_payload(record, ctx.write.entity)
        sending.append(work)
    works += sending
    await send_rows(ctx.write, sending)
    done = {w.row: w.result for w in sending}
    results: list[RowResult] = []
    for row in rows:
        result = chunk.settled.get(row) or done.get(row)
        assert result is not None, "every row must end with a result"
        results.append(result)
    return results


def _record_parents(ctx: StepContext, chunk: _Chunk, results: list[RowResult]) -> None:
    """Remember each customer row for the child rows that name it (by key or number)."""
    for key, number, result in zip(chunk.keys, chunk.numbers, results, strict=True):
        number = result.id or number
        # A customer skipped because it already exists (create mode) is there for its
        # children all the same: the skip carries the existing record's number.
        exists = result.status is Status.SKIPPED and bool(result.id)
        ctx.parents.record(
            key=key,
            number=number,
            row=ParentRow(
                row=result.row,
                source=ctx.write.source,
                number=number,
                succeeded=result.status.succeeded or exists,
                status=result.status.value,
            ),
        )


def originals(raw: pd.DataFrame) -> dict[int, Mapping[str, str]]:
    """Each row's source cells by row number, for the errors file."""
    return dict(zip(raw.index.tolist(), frame_records(raw), strict=True))
