"""What a person sees: the plan before sending and the summary table after."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from pipeline.api import ApiClient, ApiSettings, RateState, available_tokens, estimate_seconds
from pipeline.mapping import apply_mapping
from pipeline.read import frame_records
from pipeline.write import LINK_FIELDS, Summary, can_be_recognised, can_match, row_values

from .importer import PreparedStep, RunOutcome
from .inputs import has_links

#: e-conomic's fair-use policy: 50,000 API calls per 24 hours per agreement (API-FACTS.md).
FAIR_USE_CALLS_PER_DAY = 50_000
#: Children are matched per parent customer: about one GET per this many child rows.
CHILDREN_PER_LOOKUP = 2
#: Customers and groups are looked up with ``$in`` filters of up to 200 numbers.
ROWS_PER_IN_FILTER = 200
#: GETs the plan sends to learn the budget (the first one) and the latency (their mean):
#: one answer from a long-tailed server says little about its mean (ten say it within
#: about a third for exponential latency).
PLAN_PROBES = 10


def estimate_calls(prepared: Sequence[PreparedStep], rows: Sequence[int]) -> int:
    """Calls a run makes at most: one write per row plus the look-ups that precede them,
    and for a customer input with links one more write per row and its look-ups."""
    calls = 0
    for step, count in zip(prepared, rows, strict=True):
        per_lookup = CHILDREN_PER_LOOKUP if step.entity.parent else ROWS_PER_IN_FILTER
        calls += count + math.ceil(count / per_lookup) + len(step.mapping.lookups())
        if has_links(step):  # a PUT per linked customer, read fresh first (issue #14)
            calls += count + math.ceil(count / ROWS_PER_IN_FILTER)
    return calls


def count_rows(step: PreparedStep) -> int:
    """Data rows of an input (a read of the whole file, cheap beside sending it)."""
    return sum(len(chunk) for chunk in step.table.chunks(50_000))


def count_unrecognisable(step: PreparedStep) -> tuple[int, int]:
    """Rows only the ledger can recognise (no own number, no usable match values), and
    rows whose match values are all empty: a fresh state folder would create them again."""
    mapping, entity = step.mapping, step.entity
    if not mapping.match and not entity.parent and entity.key not in mapping.properties():
        return count_rows(step), 0  # no number column, no rule: every row, without mapping
    ledger_only = unmatchable = 0
    for chunk in step.table.chunks(50_000):
        for record in frame_records(apply_mapping(chunk, mapping)):
            if mapping.match and not can_match(row_values(mapping.match, record)):
                unmatchable += 1
            if not can_be_recognised(entity, mapping.match, record):
                ledger_only += 1
    return ledger_only, unmatchable


@dataclass(frozen=True)
class Plan:
    """What the plan said: rows (the progress bar's total), calls, and seconds (None when
    neither the budget nor the latency is known), for report.html's plan against the run;
    per input the rows only the ledger can recognise (``no_history.check_history``), and
    its notes (the "Note:" and "Warning:" lines, for summary.json's warnings)."""

    rows: int
    calls: int
    seconds: float | None
    ledger_only: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """summary.json's ``plan``."""
        seconds = None if self.seconds is None else round(self.seconds, 1)
        return {"rows": self.rows, "calls": self.calls, "seconds": seconds}


async def print_plan(
    prepared: Sequence[PreparedStep], api: ApiSettings, *, out: TextIO | None = None
) -> Plan:
    """Print how many calls the run makes and how long that takes at the agreement's budget
    and the server's latency; returns the ``Plan``."""
    rows = [count_rows(step) for step in prepared]
    async with ApiClient(api) as client:
        # Cheap reads: the first answer's X-RateLimiting header tells the agreement's
        # budget (tokens left now, refill rate); all of them tell the latency.
        latencies = [await _timed_probe(client)]
        latencies += await asyncio.gather(*(_timed_probe(client) for _ in range(PLAN_PROBES - 1)))
        budget = client.pacer.budget
    calls = estimate_calls(prepared, rows) + PLAN_PROBES
    latency_s = sum(latencies) / len(latencies)
    rate = budget.rate_per_s if budget is not None and budget.limit > 0 else None
    window = api.window.most_in_flight(rate, latency_s)  # Little's law, as the run's
    lines = plan_lines(
        rows=sum(rows),
        inputs=len(prepared),
        calls=calls,
        budget=budget,
        latency_s=latency_s,
        window=window,
    )
    unrecognisable = [count_unrecognisable(step) for step in prepared]
    ledger_only = tuple(n for n, _ in unrecognisable)
    # Rows a ``match = []`` mapping declares new get their own note, not the warning.
    new = sum(n for n, p in zip(ledger_only, prepared, strict=True) if p.mapping.new_when_unmatched)
    lines += identity_lines(
        ledger_only=sum(ledger_only) - new,
        unmatchable=sum(n for _, n in unrecognisable),
        new=new,
    )
    print("\n".join(lines), file=out or sys.stdout)
    notes = tuple(line for line in lines if line.startswith(("Note:", "Warning:")))
    seconds = estimate_seconds(calls, budget=budget, latency_s=latency_s, window=window)
    return Plan(
        rows=sum(rows),
        calls=calls,
        seconds=seconds,
        ledger_only=ledger_only,
        notes=notes,
    )


def identity_lines(*, ledger_only: int, unmatchable: int, new: int = 0) -> list[str]:
    """The plan's warnings about rows that a run elsewhere would not recognise (issue #9);
    ``new`` rows are those a ``match = []`` mapping declares new (issue #19)."""
    lines: list[str] = []
    if new:
        lines.append(
            f"Note: {new} row(s) have no number of their own and the mapping says "
            "match = []: they are created as new records unless this state store's ledger "
            "knows them."
        )
    if ledger_only:
        lines.append(
            f"Note: {ledger_only} row(s) have no number of their own and no match rule "
            "values, so only this machine's ledger recognises them: a run from another "
            "machine or with a fresh state folder would create them again (add a number "
            'column or a match rule, e.g. match = ["corporateIdentificationNumber"]).'
        )
    if unmatchable:
        lines.append(
            f"Note: {unmatchable} row(s) have empty match values: they cannot be matched "
            "to an existing record and are created unless the ledger knows them."
        )
    return lines


async def _timed_probe(client: ApiClient) -> float:
    started = time.monotonic()
    await client.send("GET", "/customer-groups", params={"pagesize": "1"})
    return time.monotonic() - started


def plan_lines(
    *,
    rows: int,
    inputs: int,
    calls: int,
    budget: RateState | None,
    latency_s: float | None = None,
    window: int = 1,
) -> list[str]:
    """The plan: rows, calls, time at the budget and latency, and a fair-use warning.

    The time counts the tokens available now and ``window`` requests in flight taking
    ``latency_s`` each (``pipeline.api.plan_time``).
    """
    lines = [f"Plan: {rows} rows in {inputs} input(s), about {calls} API calls."]
    seconds = estimate_seconds(calls, budget=budget, latency_s=latency_s, window=window)
    at = f"{latency_s * 1000:.0f} ms a call, up to {window} in flight" if latency_s else ""
    if budget is not None and budget.limit > 0:
        per_second = budget.limit / budget.window_s
        assert seconds is not None
        lines.append(
            f"Budget: {budget.limit} tokens per {budget.window_s:g} s "
            f"({per_second:.1f} calls/s): {_about(seconds)}, "
            f"counting the {available_tokens(budget):.0f} tokens available now"
            + (f" and {at}." if at else ".")
        )
    else:
        lines.append("Budget: the API did not report its rate limit; pacing adapts as it goes.")
        if seconds is not None:
            lines.append(f"At {at}: {_about(seconds, least=True)}.")
    if calls > FAIR_USE_CALLS_PER_DAY:
        days = math.ceil(calls / FAIR_USE_CALLS_PER_DAY)
        lines.append(
            f"Warning: {calls} calls is past e-conomic's fair-use limit of "
            f"{FAIR_USE_CALLS_PER_DAY} calls per 24 hours per agreement; spread the run "
            f"over {days} days (stop it with Ctrl-C; the same command resumes)."
        )
    return lines


def _about(seconds: float, *, least: bool = False) -> str:
    """``about 5 seconds (5 s)``, or ``under a second`` where the count would say 0."""
    if seconds < 1:
        return "under a second"
    return f"{'at least' if least else 'about'} {_duration(seconds)} ({seconds:.0f} s)"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return "1 second" if round(seconds) == 1 else f"{seconds:.0f} seconds"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def print_changes(outcome: RunOutcome, *, out: TextIO) -> None:
    """The preview's counts and where its lines are."""
    changes = outcome.changes
    assert changes is not None
    summary = outcome.summary
    links = ""
    if changes.links or summary.links_unchanged or summary.links_failed:
        links = (
            f"; links: {changes.links} customers to link, {summary.links_unchanged} "
            f"unchanged, {summary.links_failed} refused"
        )
    print(
        f"\nChanges (nothing was sent): {changes.create} to create, {changes.update} to "
        f"update, {summary.unchanged} unchanged, {summary.skipped} skipped{links}",
        file=out,
    )
    print(f"  changes  {changes.csv}  (and {changes.xlsx.name})", file=out)


def summary_lines(summary: Summary) -> list[str]:
    """The summary table: one line per counter; with more than one entity, a column per
    entity beside the total (request counters are the run's, so only in the total)."""
    counts = summary.as_dict()
    per_entity = summary.entity_counts() if len(summary.by_entity) > 1 else {}
    hidden = ("valid", "skipped_existing", *LINK_FIELDS)
    rows = [(n, v) for n, v in counts.items() if n not in hidden or v]
    width = max(len(name) for name, _ in rows)
    if not per_entity:
        return [f"  {name:<{width}}  {value}" for name, value in rows]
    headers = ["total", *per_entity]
    table = [
        [name, str(value), *(str(c.get(name, "")) for c in per_entity.values())]
        for name, value in rows
    ]
    widths = [max(len(h), *(len(r[i + 1]) for r in table)) for i, h in enumerate(headers)]
    lines = [_summary_line("", headers, width, widths)]
    lines += [_summary_line(row[0], row[1:], width, widths) for row in table]
    return lines


def _summary_line(name: str, cells: Sequence[str], width: int, widths: Sequence[int]) -> str:
    right = "".join(f"  {c:>{w}}" for c, w in zip(cells, widths, strict=True))
    return f"  {name:<{width}}{right}".rstrip()


def print_outcome(outcome: RunOutcome, *, out: TextIO | None = None) -> None:
    """The closing summary table, the report's paths and how the run ended."""
    out = out or sys.stdout
    for note in outcome.notes:
        print(note, file=out)
    print("\nSummary", file=out)
    for line in summary_lines(outcome.summary):
        print(line, file=out)
    report = outcome.report
    print("\nReport", file=out)
    print(f"  folder   {report.directory}", file=out)
    print(f"  results  {report.results}", file=out)
    workbooks = {path.stem: path for path in report.errors_xlsx}
    for csv_path in report.errors_csv:  # an incomplete report may have lost a workbook
        xlsx_path = workbooks.get(csv_path.stem)
        also = f"  (and {xlsx_path.name})" if xlsx_path is not None else ""
        print(f"  errors   {csv_path}{also}", file=out)
    print(f"  summary  {report.summary}", file=out)
    if report.incomplete:
        sent = ", the journal has every row sent," if outcome.journal is not None else ""
        print(
            f"  incomplete: a report write failed; results.csv holds {report.rows_written} "
            f"row(s) (whole lines){sent} and the same command again writes the whole report",
            file=out,
        )
    if outcome.changes is not None:
        print_changes(outcome, out=out)
    if outcome.journal is not None:
        print(f"  journal  {outcome.journal}", file=out)
    if outcome.ledger is not None:
        print(f"  ledger   {outcome.ledger}", file=out)
    if report.html is not None:
        print(f"\nSee the run at a glance: {report.html}", file=out)
    if outcome.stopped_by:
        print(f"\nStopped: {outcome.stopped_by}", file=sys.stderr)
    elif outcome.interrupted:
        print(
            "\nInterrupted: every row is in the report, those not finished as failed "
            "(STOPPED). Run the same command again to resume (exit code 3).",
            file=sys.stderr,
        )
