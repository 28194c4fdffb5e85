"""A whole import run: check every input first, then send step by step, then report.

``prepare`` opens every input and checks every mapping before the first request, so a
configuration mistake costs nothing. ``run_import`` then walks the steps in dependency
order, one chunk at a time (memory stays flat however long the file), and leaves a
report in which every input row has exactly one line.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from pipeline.batch import KEY_COLUMN, RowWork, StepContext, originals, process_batch
from pipeline.client import ApiClient, ApiSettings
from pipeline.constraints import Entity, entity
from pipeline.errors import ConfigError, FatalError, RowError
from pipeline.journal import Journal, SourceRef, abandon_unfinished, target_id
from pipeline.mapping import Mapping as ColumnMapping
from pipeline.mapping import identity_mapping, load_mapping
from pipeline.matching import ExistingRecords
from pipeline.outcome import RowResult, Status, Summary
from pipeline.parents import ParentIndex
from pipeline.readers import Table, fingerprint, open_table
from pipeline.redact import Redactor, unneutralise
from pipeline.references import NameResolver
from pipeline.report import ReportPaths, ReportWriter
from pipeline.report_xlsx import ERRORS_COLUMN
from pipeline.settings import RunSettings, Step
from pipeline.validate import Validator

EXIT_OK = 0
EXIT_ROWS_FAILED = 1
EXIT_NOT_STARTED = 2
EXIT_INTERRUPTED = 3

STOP_INTERRUPTED = "interrupted (Ctrl-C or SIGTERM)"


@dataclass(frozen=True)
class PreparedStep:
    """A step whose input opened and whose mapping checked out against its columns."""

    step: Step
    entity: Entity
    table: Table
    mapping: ColumnMapping
    source: SourceRef
    reimport: bool = False

    @property
    def label(self) -> str:
        return self.source.path


@dataclass
class RunOutcome:
    """What a run did: counters, where the report is, and how it ended."""

    summary: Summary
    report: ReportPaths
    interrupted: bool = False
    stopped_by: str = ""
    journal: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.stopped_by:
            # A refused token on the first write means nothing could start; once
            # something was written, the run is incomplete and the next one resumes.
            wrote = self.summary.created + self.summary.updated
            return EXIT_INTERRUPTED if wrote else EXIT_NOT_STARTED
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if self.summary.all_succeeded else EXIT_ROWS_FAILED


def prepare(steps: Sequence[Step]) -> list[PreparedStep]:
    """Open every input and check every mapping; raises before anything is sent."""
    if not steps:
        raise ConfigError("nothing to import: give an input file or --job")
    return [_prepare_step(step) for step in steps]


def _prepare_step(step: Step) -> PreparedStep:
    target = entity(step.entity)
    mapping = None if step.mapping is None else load_mapping(step.mapping, entity=step.entity)
    table = open_table(
        step.input,
        sheet=step.sheet or (mapping.sheet if mapping else None),
        skip_rows=mapping.skip_rows if mapping else 0,
    )
    reimport = is_errors_file(table)
    columns = [unneutralise(c) if reimport else c for c in table.columns if c != ERRORS_COLUMN]
    if mapping is None:
        mapping = identity_mapping(target, columns)
    mapping.check_columns(columns, source=step.input)
    source = SourceRef(
        path=_display(step.input),
        sheet=table.sheet,
        entity=target.name,
        fingerprint=fingerprint(step.input),
    )
    return PreparedStep(
        step=step, entity=target, table=table, mapping=mapping, source=source, reimport=reimport
    )


def is_errors_file(table: Table) -> bool:
    """True for an errors.csv/xlsx of an earlier report: its last column is ``errors``."""
    return bool(table.columns) and table.columns[-1] == ERRORS_COLUMN


def _chunks(step: PreparedStep, rows: int) -> Iterator[pd.DataFrame]:
    """The input's chunks; an errors.csv's neutralised cells restored to what they were."""
    for chunk in step.table.chunks(rows):
        if step.reimport:
            chunk = chunk.drop(columns=[ERRORS_COLUMN])
            if step.table.delimiter is not None:  # only CSV cells carry the quote prefix
                chunk.columns = [unneutralise(c) for c in chunk.columns]
                chunk = chunk.map(unneutralise)
        yield chunk


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


async def run_import(
    settings: RunSettings, prepared: Sequence[PreparedStep], *, api: ApiSettings | None
) -> RunOutcome:
    """Import every prepared step into the API (or only validate, without ``api``)."""
    started = time.monotonic()
    secrets = api.secrets() if api is not None else ()
    summary = Summary()
    journal = _open_journal(settings, prepared, api)
    outcome = RunOutcome(
        summary=summary,
        report=None,  # type: ignore[arg-type]
        journal=settings.journal if journal else None,
    )
    if journal is not None and journal.resumed:
        outcome.notes.append(f"resuming the unfinished run in {settings.journal}")
    with ReportWriter(settings.report_dir, redactor=Redactor(secrets)) as report:
        try:
            if api is None:
                await _run_steps(
                    settings, prepared, report, summary, outcome, client=None, journal=None
                )
            else:
                async with ApiClient(api) as client:
                    try:
                        await _run_steps(
                            settings,
                            prepared,
                            report,
                            summary,
                            outcome,
                            client=client,
                            journal=journal,
                        )
                    finally:
                        summary.requests = client.stats.requests
                        summary.retries = client.stats.retries
                        summary.throttled = client.stats.throttled
            if journal is not None and not outcome.interrupted and not outcome.stopped_by:
                journal.finish()
        except FatalError as exc:
            outcome.stopped_by = str(exc)
        finally:
            summary.elapsed_s = round(time.monotonic() - started, 3)
            outcome.report = report.close(
                summary,
                extra={
                    "interrupted": outcome.interrupted,
                    "stopped_by": outcome.stopped_by,
                    "mode": settings.mode,
                    "dry_run": settings.dry_run,
                    "inputs": [p.label for p in prepared],
                },
            )
            if journal is not None:
                journal.close()
    return outcome


def _open_journal(
    settings: RunSettings, prepared: Sequence[PreparedStep], api: ApiSettings | None
) -> Journal | None:
    if api is None or settings.dry_run:
        return None
    target = target_id(api.base_url, api.agreement_grant_token)
    sources = [p.source for p in prepared]
    if settings.restart and settings.journal is not None and settings.journal.exists():
        abandon_unfinished(settings.journal, target=target, sources=sources)
    return Journal.open(settings.journal, target=target, sources=sources)


async def _run_steps(
    settings: RunSettings,
    prepared: Sequence[PreparedStep],
    report: ReportWriter,
    summary: Summary,
    outcome: RunOutcome,
    *,
    client: ApiClient | None,
    journal: Journal | None,
) -> None:
    parents = ParentIndex(journal)
    has_children = any(p.entity.parent for p in prepared)
    with tqdm(unit=" rows", disable=not settings.progress, dynamic_ncols=True) as bar:
        for step in prepared:
            ctx = await _context(settings, step, client=client, journal=journal, parents=parents)
            ctx.record_parents = has_children and step.entity.name == "customers"
            column_of = {rule.property: rule.source for rule in step.mapping.rules}
            if step.mapping.key:
                column_of[KEY_COLUMN] = step.mapping.key
            columns = [c for c in step.table.columns if not (step.reimport and c == ERRORS_COLUMN)]
            report.begin_input(
                source=step.label,
                sheet=step.source.sheet,
                entity=step.entity.name,
                columns=columns,
                column_of=column_of,
                delimiter=step.table.delimiter or ",",
                encoding=_report_encoding(step.table.encoding),
            )
            for raw in _chunks(step, settings.chunk_rows):
                results, stopped = await _guarded_batch(ctx, raw)
                cells = originals(raw)
                for result in results:
                    report.add(result, cells[result.row])
                    summary.count(result.status)
                bar.update(len(results))
                bar.set_postfix(failed=summary.rows - _succeeded(summary), refresh=False)
                if stopped == STOP_INTERRUPTED:
                    outcome.interrupted = True
                    return
                if stopped:
                    outcome.stopped_by = stopped
                    return


async def _context(
    settings: RunSettings,
    step: PreparedStep,
    *,
    client: ApiClient | None,
    journal: Journal | None,
    parents: ParentIndex,
) -> StepContext:
    names = None
    lookups = step.mapping.lookups()
    if lookups and client is not None:
        names = await NameResolver.load(client, step.entity, lookups)
    existing = None
    if client is not None and not settings.dry_run:
        existing = ExistingRecords(client, step.entity)
    return StepContext(
        source=step.label,
        sheet=step.source.sheet,
        source_id=step.source.source_id,
        entity=step.entity,
        mapping=step.mapping,
        validator=Validator(step.entity, update=settings.mode == "update"),
        mode=settings.mode,
        retry_failed=settings.retry_failed,
        concurrency=settings.concurrency,
        parents=parents,
        client=None if settings.dry_run else client,
        journal=journal,
        names=names,
        existing=existing,
        journal_states=journal.states(step.source.source_id) if journal else {},
    )


async def _guarded_batch(ctx: StepContext, raw: pd.DataFrame) -> tuple[list[RowResult], str]:
    """Run one batch; when the run must stop in it, still account for every row.

    Returns the results and why the run stopped ('' when it did not): Ctrl-C/SIGTERM
    (the task is cancelled) or a fatal error such as a revoked token.
    """
    works: list[RowWork] = []
    try:
        return await process_batch(ctx, raw, works=works), ""
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        reason = STOP_INTERRUPTED
    except FatalError as exc:
        reason = str(exc)
    done = {w.row: w.result for w in works if w.result is not None}
    message = f"not finished: {reason}; run the same command again to resume"
    return [
        done.get(int(row))
        or RowResult(
            source=ctx.source,
            sheet=ctx.sheet,
            row=int(row),
            entity=ctx.entity.name,
            key="",
            status=Status.FAILED,
            errors=[RowError(int(row), "", "STOPPED", message)],
        )
        for row in raw.index
    ], reason


def _report_encoding(encoding: str | None) -> str:
    """An errors.csv in the input's own encoding, so the same mapping reads it back."""
    if encoding is None or encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-16"):
        return "utf-8"
    return encoding


def _succeeded(summary: Summary) -> int:
    return summary.created + summary.updated + summary.unchanged + summary.valid
