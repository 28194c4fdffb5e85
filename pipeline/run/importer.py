"""A whole import run: check every input first, then send step by step, then report.

``prepare`` (``pipeline.run.inputs``) opens every input and checks every mapping before the
first request, so a configuration mistake costs nothing. ``run_import`` then walks the
steps in dependency order, one chunk at a time (memory stays flat however long the
file), and leaves a report in which every input row has exactly one line, however the
run ends (``pipeline.run.stopping``).

Faults of the machine (issue #19): the report folder is created and written to before the
state is opened and before the first request (``prepare_folder``). Mid-run, a failed
report write (``ReportError``) or state write (``StateError``) stops the run at once like
a revoked token: what was sent is in the journal, the rest is ``STOPPED``, and the report
keeps what still fits (``ReportPaths.incomplete`` says why it is not whole: exit 3).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import pandas as pd

from pipeline.api import ApiClient, ApiSettings, TimelineRow
from pipeline.errors import FatalError, RetriableError
from pipeline.redact import Redactor
from pipeline.report import ChangeLog, ReportPaths, ReportWriter, prepare_folder
from pipeline.validate import Validator
from pipeline.write import (
    STOP_INTERRUPTED,
    ChangesReport,
    ExistingRecords,
    LinkBook,
    LinkSettings,
    NameResolver,
    ParentIndex,
    StepContext,
    Summary,
    WriteContext,
    change_counts,
    run_links,
    uncancel,
)

from .history import History, open_history
from .inputs import (
    PreparedStep,
    add_results,
    begin_input,
    is_errors_file,
    prepare,
    read_chunks,
)
from .link_report import LinkOutcomes
from .progress import Progress, progress_mode
from .settings import RunSettings
from .stopping import Cursor, account_for_the_rest, guarded_batch

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_NOT_STARTED",
    "EXIT_OK",
    "EXIT_ROWS_FAILED",
    "PreparedStep",
    "RunOutcome",
    "is_errors_file",
    "prepare",
    "run_import",
]

EXIT_OK = 0
EXIT_ROWS_FAILED = 1
EXIT_NOT_STARTED = 2
EXIT_INTERRUPTED = 3


@dataclass
class RunOutcome:
    """What a run did: counters, where the report is, and how it ended."""

    summary: Summary
    report: ReportPaths
    interrupted: bool = False
    stopped_by: str = ""
    journal: str | None = None  # where: the path, or the URL with its password masked
    ledger: str | None = None
    state_lost: bool = False  # a write to the state store failed: stopped, resumable
    notes: list[str] = field(default_factory=list)
    window: dict[str, object] = field(default_factory=dict)  # the in-flight window's stats
    timeline: list[TimelineRow] | None = None  # the run per second, when a client ran
    changes: ChangesReport | None = None  # a dry run's preview, when it had a target

    @property
    def exit_code(self) -> int:
        if self.report.incomplete:
            return EXIT_INTERRUPTED  # the same command again gives the whole report
        if self.stopped_by:
            # A refused token on the first write means nothing could start; once
            # something was written, the run is incomplete and the next one resumes.
            wrote = self.summary.created + self.summary.updated
            return EXIT_INTERRUPTED if wrote or self.state_lost else EXIT_NOT_STARTED
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if self.summary.all_succeeded else EXIT_ROWS_FAILED


async def run_import(
    settings: RunSettings,
    prepared: Sequence[PreparedStep],
    *,
    api: ApiSettings | None,
    secrets: Iterable[str] = (),
) -> RunOutcome:
    """Import every prepared step into the API (or only validate, without ``api``).

    However the run ends (finished, Ctrl-C/SIGTERM, a revoked token), the report is
    written and has one line for every input row: rows never reached are ``failed`` with
    code ``STOPPED``, and the journal keeps what was sent so that the next run resumes.
    ``secrets`` are masked in the report besides ``api``'s tokens (a dry run has no
    ``api``, yet the tokens may be known and must not be written either).
    """
    started = time.monotonic()
    secrets = (*secrets, *(api.secrets() if api is not None else ()))
    summary = Summary()
    prepare_folder(settings.report_dir)  # a report that cannot be written stops it here
    state = open_history(settings, prepared, api)
    journal, ledger = state.journal, state.ledger
    outcome = RunOutcome(
        summary=summary,
        report=None,  # type: ignore[arg-type]
        journal=journal.label if journal and settings.journal is not None else None,
        ledger=ledger.label if ledger and settings.ledger is not None else None,
    )
    if journal is not None and journal.resumed:
        outcome.notes.append(f"resuming the unfinished run in {journal.label}")
    cursor = Cursor()
    redactor = Redactor(secrets)
    if settings.dry_run and api is None:
        outcome.notes.append(
            "no target: no preview (give --base-url with the tokens, or --sandbox, to see "
            "every change the import would make)"
        )
    links = _Links(LinkBook(), LinkOutcomes())
    with ReportWriter(settings.report_dir, redactor=redactor) as report:
        preview = _open_preview(settings, api, redactor)
        try:
            await _run_with_client(
                settings, prepared, report, outcome, cursor, api, state,
                preview=preview, links=links,
            )  # fmt: skip
            if journal is not None and not outcome.interrupted and not outcome.stopped_by:
                journal.finish()
        except asyncio.CancelledError:
            uncancel()
            outcome.interrupted = True
        except (FatalError, RetriableError) as exc:
            outcome.stopped_by = str(exc)
        finally:
            reason = ""
            report.stop_raising()  # a write failing from here on leaves the report incomplete
            if outcome.interrupted or outcome.stopped_by:
                reason = outcome.stopped_by or STOP_INTERRUPTED
                account_for_the_rest(prepared, report, summary, cursor, reason=reason)
            links.outcomes.finish(links.book, report, summary, prepared, stopped=reason)
            summary.elapsed_s = round(time.monotonic() - started, 3)
            extra: dict[str, object] = {
                "interrupted": outcome.interrupted,
                "stopped_by": outcome.stopped_by,
                "mode": settings.mode,
                "dry_run": settings.dry_run,
                "inputs": [p.label for p in prepared],
                "concurrency": outcome.window or None,
                # Every note the console printed, for monitoring of an unattended run.
                "warnings": [*settings.notes, *outcome.notes],
                "plan": settings.plan,
                "state": {"journal": outcome.journal, "ledger": outcome.ledger},
            }
            if preview is not None:
                outcome.changes = preview.close()
                extra["changes"] = change_counts(
                    outcome.changes, unchanged=summary.unchanged, skipped=summary.skipped
                )
            tally = preview.tally.records() if preview is not None else None
            # The workbooks and report.html take a second or more of CPU: in a thread, so
            # that the other agreements of a fleet, on this event loop, keep their pace.
            outcome.report = await asyncio.to_thread(
                report.close, summary, extra=extra, timeline=outcome.timeline, changes=tally
            )
            if preview is not None and preview.failure and not outcome.report.incomplete:
                outcome.report = replace(outcome.report, incomplete=str(preview.failure))
            if outcome.report.incomplete and not outcome.stopped_by:
                outcome.stopped_by = outcome.report.incomplete  # failed at the very end
            outcome.state_lost = state.failed
            try:
                state.close()
            except FatalError as exc:  # StateError: the store's last write did not make it
                outcome.stopped_by = outcome.stopped_by or str(exc)
    return outcome


def _open_preview(
    settings: RunSettings, api: ApiSettings | None, redactor: Redactor
) -> ChangeLog | None:
    """A dry run with a target previews every change (changes.csv/.xlsx); others do not."""
    if not settings.dry_run or api is None:
        return None
    return ChangeLog(settings.report_dir, redactor=redactor)


async def _run_with_client(
    settings: RunSettings,
    prepared: Sequence[PreparedStep],
    report: ReportWriter,
    outcome: RunOutcome,
    cursor: Cursor,
    api: ApiSettings | None,
    state: History,
    *,
    preview: ChangeLog | None = None,
    links: _Links,
) -> None:
    if api is None:
        await _run_steps(
            settings, prepared, report, outcome, cursor, client=None, state=state, links=links
        )
        return
    async with ApiClient(api) as client:
        try:
            await _run_steps(
                settings,
                prepared,
                report,
                outcome,
                cursor,
                client=client,
                state=state,
                preview=preview,
                links=links,
            )
        finally:
            outcome.summary.requests = client.stats.requests
            outcome.summary.retries = client.stats.retries
            outcome.summary.throttled = client.stats.throttled
            outcome.window = client.window.stats()
            outcome.timeline = client.timeline.rows()


async def _run_steps(
    settings: RunSettings,
    prepared: Sequence[PreparedStep],
    report: ReportWriter,
    outcome: RunOutcome,
    cursor: Cursor,
    *,
    client: ApiClient | None,
    state: History,
    preview: ChangeLog | None = None,
    links: _Links,
) -> None:
    summary = outcome.summary
    parents = ParentIndex(state.keys)  # a preview's are the journal's, read-only
    has_children = any(p.entity.parent for p in prepared)
    progress = _progress(settings, client)
    with progress:
        for index, step in enumerate(prepared):
            cursor.step, cursor.chunks = index, None
            begin_input(report, step)
            ctx = await _context(
                settings, step, client=client, state=state, parents=parents, preview=preview
            )
            ctx.record_parents = has_children and step.entity.name == "customers"
            ctx.write.on_settled = progress.settle
            ctx.links = links.book
            cursor.chunks = read_chunks(step, settings.rows_per_chunk)
            for raw in cursor.chunks:
                with _collector_paused(settings.dry_run and preview is None):
                    _, stopped = await _report_batch(ctx, raw, report, summary)
                progress.sync(done=summary.rows, failed=summary.rows - _succeeded(summary))
                if stopped == STOP_INTERRUPTED:
                    outcome.interrupted = True
                    return
                if stopped:
                    outcome.stopped_by = stopped
                    return
    if links.book.requests and client is not None:
        cursor.step, cursor.chunks = len(prepared), None  # every input row is reported
        link_settings = LinkSettings(settings.concurrency, settings.retry_failed)
        # A preview resolves and checks every link as the import does, and records the
        # link PUTs in changes.csv instead of sending them.
        stopped = await run_links(
            links.book, client=client, journal=state.journal, keys=state.keys,
            settings=link_settings, amend=links.outcomes.add, preview=preview,
        )  # fmt: skip
        if stopped == STOP_INTERRUPTED:
            outcome.interrupted = True
        elif stopped:
            outcome.stopped_by = stopped


@dataclass(frozen=True)
class _Links:
    """The run's links (issue #14): what customer rows want, and what became of it."""

    book: LinkBook
    outcomes: LinkOutcomes


def _progress(settings: RunSettings, client: ApiClient | None) -> Progress:
    """The bar (or the lines off a terminal), counting the client's 429s as it goes."""
    mode = progress_mode(enabled=settings.progress, out=sys.stderr)
    total, every = settings.total_rows, settings.progress_interval_s
    progress = Progress(mode, total=total, interval_s=every, watch=settings.watch)
    if client is not None:
        stats = client.stats
        progress.count_throttled(lambda: stats.throttled)
        progress.tell_settled(client.timeline.settled)  # report.html's rows per second
    return progress


async def _report_batch(
    ctx: StepContext, raw: pd.DataFrame, report: ReportWriter, summary: Summary
) -> tuple[int, str]:
    """Run one batch and report its rows: (rows, why the run stopped or '')."""
    results, stopped = await guarded_batch(ctx, raw)
    add_results(report, summary, raw, results)
    return len(results), stopped


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Python's cyclic garbage collector off for one dry-run batch, and on again after.

    A batch's results live until they are reported, and with the collector on, their
    numbers push it into full collections that walk every object of the process: about
    2 s per million rows. A dry-run batch never waits (it sends nothing), so nothing else
    runs meanwhile; its objects are freed by reference counting once it is reported
    (``_report_batch`` returns only a count), and the collector, on again, takes
    whatever cycles it left.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _context(
    settings: RunSettings,
    step: PreparedStep,
    *,
    client: ApiClient | None,
    state: History,
    parents: ParentIndex,
    preview: ChangeLog | None = None,
) -> StepContext:
    journal, ledger = state.journal, state.ledger
    names = None
    lookups = step.mapping.lookups()
    if lookups and client is not None:
        names = await NameResolver.load(client, step.entity, lookups)
    existing = None
    # A preview looks up what exists exactly as the import does; it only sends nothing.
    deciding = not settings.dry_run or preview is not None
    if client is not None and deciding:
        existing = ExistingRecords(client, step.entity, match=step.mapping.match)
    write = WriteContext(
        source=step.label,
        sheet=step.source.sheet,
        source_id=step.source.source_id,
        entity=step.entity,
        mode=settings.mode,
        retry_failed=settings.retry_failed,
        concurrency=settings.concurrency,
        match=step.mapping.match,
        client=client if deciding else None,
        journal=journal,
        ledger=ledger,
        existing=existing,
        journal_states=journal.states(step.source.source_id) if journal else {},
        preview=preview,
    )
    validator = Validator(
        step.entity,
        update=settings.mode == "update",
        partial=settings.mode in ("update", "upsert"),
        key_column=step.mapping.key,
    )
    return StepContext(write, step.mapping, validator, parents, names=names)


def _succeeded(summary: Summary) -> int:
    return summary.succeeded
