"""When a run stops early (Ctrl-C, SIGTERM, a revoked token, a report or state write that
failed): every row still accounted for.

``guarded_batch`` runs one batch and, when the run is stopped inside it, still returns a
line for each of its rows: the finished ones as they ended, the others ``failed`` with
code ``STOPPED`` (a row that was sent stays *in flight* in the journal, and the next run
settles it first). ``account_for_the_rest`` then lists every row the run never reached,
so that results.csv keeps its promise of one line per input row. Nothing here is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.constraints import Entity
from pipeline.errors import FatalError, RetriableError, RowError
from pipeline.mapping import Mapping as ColumnMapping
from pipeline.report import ReportWriter
from pipeline.write import (
    STOP_INTERRUPTED,
    STOPPED_CODE,
    RowResult,
    RowWork,
    Status,
    StepContext,
    Summary,
    process_batch,
    uncancel,
)

from .inputs import PreparedStep, add_results, begin_input, read_chunks
from .settings import DEFAULT_CHUNK_ROWS


@dataclass
class Cursor:
    """How far the run got: the step in hand, and the chunks of it not yet read."""

    step: int = -1
    chunks: Iterator[pd.DataFrame] | None = None


async def guarded_batch(ctx: StepContext, raw: pd.DataFrame) -> tuple[list[RowResult], str]:
    """Run one batch; when the run must stop in it, still account for every row.

    Returns the results and why the run stopped ('' when it did not): Ctrl-C/SIGTERM
    (the task is cancelled), a fatal error such as a revoked token, a journal or ledger
    write that failed (``StateError``) or a preview's changes.csv that could not be written
    (``ReportError``), or a look-up that
    failed every retry (the API is out of reach; a failed write is a row's failure). A row without a
    result then is ``failed`` with code ``STOPPED``; if it was sent, the journal has it
    in flight, and the next run settles it before anything else.
    """
    works: list[RowWork] = []
    try:
        return await process_batch(ctx, raw, works=works), ""
    except asyncio.CancelledError:
        uncancel()
        reason = STOP_INTERRUPTED
    except (FatalError, RetriableError) as exc:  # a revoked token; the API out of reach
        reason = str(exc)
    done = {w.row: w.result for w in works if w.result is not None}
    message = f"not finished: the run stopped ({reason}); run the same command again to resume"
    stopped = stopped_rows(
        raw,
        source=ctx.write.source,
        sheet=ctx.write.sheet,
        target=ctx.write.entity,
        mapping=ctx.mapping,
        message=message,
    )
    return [done.get(result.row) or result for result in stopped], reason


def account_for_the_rest(
    prepared: Sequence[PreparedStep],
    report: ReportWriter,
    summary: Summary,
    cursor: Cursor,
    *,
    reason: str,
) -> None:
    """Give every row the stopped run did not reach its line: failed, code ``STOPPED``.

    The rest of the input in hand, then every later input; an input that cannot be read
    to its end is listed as far as it could be read. Nothing here is sent.
    """
    message = f"not sent: the run stopped ({reason}); run the same command again to resume"
    for index in range(max(cursor.step, 0), len(prepared)):
        step = prepared[index]
        if index != cursor.step:
            begin_input(report, step)
        chunks = cursor.chunks if index == cursor.step else None
        try:
            for raw in chunks or read_chunks(step, DEFAULT_CHUNK_ROWS):
                rows = stopped_rows(
                    raw,
                    source=step.label,
                    sheet=step.source.sheet,
                    target=step.entity,
                    mapping=step.mapping,
                    message=message,
                )
                add_results(report, summary, raw, rows)
        except FatalError:
            continue  # unreadable from here on: the report lists what could be read


def stopped_rows(
    raw: pd.DataFrame,
    *,
    source: str,
    sheet: str,
    target: Entity,
    mapping: ColumnMapping,
    message: str,
) -> list[RowResult]:
    """A ``failed`` line (code ``STOPPED``) for every row of ``raw``."""
    keys = _source_keys(mapping, target, raw)
    return [
        RowResult(
            source=source,
            sheet=sheet,
            row=int(row),
            entity=target.name,
            key=keys.get(int(row), ""),
            status=Status.FAILED,
            errors=[RowError(int(row), "", STOPPED_CODE, message)],
        )
        for row in raw.index
    ]


def _source_keys(mapping: ColumnMapping, target: Entity, raw: pd.DataFrame) -> dict[int, str]:
    """Each raw row's key for the report: the mapping's key column, else the entity's key."""
    column = mapping.key or next(
        (rule.source for rule in mapping.rules if rule.property == target.key), None
    )
    if column is None or column not in raw.columns:
        return {}
    return {
        int(row): str(value).strip()
        for row, value in zip(raw.index.tolist(), raw[column].tolist(), strict=True)
    }
