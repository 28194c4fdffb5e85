"""report.html: the run at a glance, one self-contained file beside summary.json.

Written last, by ``ReportWriter.close``, from what is already in the report folder
(summary.json's dict, results.csv) and what the run counted on the way
(``pipeline.report.tally``, the ``pipeline.api.timeline`` rows). Numbers and tables are
HTML, so they read without scripts; charts are Vega-Lite specs (``pipeline.report.charts``)
drawn by the inlined Vega bundle (``pipeline.report.bundle``); a little inline script sorts
and filters the table. Nothing loads from the network: the page's content policy forbids
it.

Size: the page stays under 2 MB for 100,000 rows (``tests/report/test_page.py``): the
bundle is about 0.9 MB, the timeline is averaged down to ``MAX_POINTS`` points, and the
table shows the first ``MAX_TABLE_ROWS`` rows that did not succeed (all are in
results.csv and the errors files, which the page links to).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.api import TIMELINE_COLUMNS
from pipeline.redact import unneutralise
from pipeline.write import CODE_EXISTS, RESULT_COLUMNS, SUMMARY_FIELDS

from . import charts
from .html_parts import (
    cards,
    escape,
    link,
    paragraph,
    plan_rows,
    render_page,
    section,
    table,
    where_rows,
)

#: Rows of the table of rows that did not succeed; the rest are in the errors files.
MAX_TABLE_ROWS = 2_000
#: Characters of a row's errors cell shown in the table.
MAX_ERRORS_TEXT = 300
#: Points of the timeline; a longer run is averaged over a few seconds a point.
MAX_POINTS = 1_200
#: Statuses that are a success (a ``skipped`` row is one when its record exists).
_SUCCESS = frozenset(("created", "updated", "unchanged", "valid"))
_STATUS_ORDER = ("created", "updated", "unchanged", "valid", "skipped", "invalid", "rejected",
                 "failed")  # fmt: skip


def write_report_page(
    directory: Path,
    *,
    summary: Mapping[str, Any],
    errors: Sequence[Mapping[str, Any]] = (),
    timeline: Sequence[Sequence[Any]] | None = None,
    changes: Mapping[str, Any] | None = None,
    cache: Path | None = None,
) -> Path:
    """Write ``directory``/report.html and return its path.

    ``summary`` is what summary.json holds; ``errors`` the ``ErrorTally`` records,
    ``timeline`` the ``Timeline`` rows (None: no API was used), ``changes`` a preview's
    ``ChangeTally`` records; ``cache`` a folder for the charts' bundle.
    """
    directory = Path(directory)
    failed, failed_total = failed_rows(directory / "results.csv")
    datasets: dict[str, list[dict[str, Any]]] = {}
    specs: dict[str, Any] = {}
    body = [_header(summary)]
    body.append(_outcome(summary, datasets, specs))
    if changes is not None:
        body.append(_changes(changes, summary, datasets, specs))
    if errors:
        body.append(_errors(errors, datasets, specs))
    if timeline:
        body.append(_timeline(timeline, summary, datasets, specs))
    body.append(_failed(failed, failed_total, summary))
    body.append(_plan_and_where(summary, directory, datasets, specs))
    path = directory / "report.html"
    page = render_page(
        title=f"econ-import report: {_kind(summary)}",
        body="\n".join(body),
        data={"charts": specs, "datasets": datasets},
        cache=cache,
    )
    temporary = path.with_suffix(".html.tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path


def failed_rows(results: Path, *, limit: int = MAX_TABLE_ROWS) -> tuple[list[list[str]], int]:
    """The first ``limit`` lines of results.csv that did not succeed (source, sheet, row,
    entity, key, status, http_status, errors), and how many there are in all."""
    shown: list[list[str]] = []
    total = 0
    if not results.is_file():
        return shown, total
    at = {name: n for n, name in enumerate(RESULT_COLUMNS)}
    status_at, errors_at, links_at = at["status"], at["errors"], at["links"]
    with results.open(encoding="utf-8", newline="") as handle:
        lines = csv.reader(handle)
        next(lines, None)
        for cells in lines:
            # Cheap per line (a million-row run reads them all): only the shown are cleaned.
            if cells[status_at] in _SUCCESS and cells[links_at] != "failed":
                continue
            if _succeeded(cells[status_at], unneutralise(cells[errors_at]), cells[links_at]):
                continue
            total += 1
            if len(shown) < limit:
                shown.append(_shown(cells, at))
    return shown, total


def _shown(cells: list[str], at: Mapping[str, int]) -> list[str]:
    clean = {name: unneutralise(cells[n]) for name, n in at.items()}
    errors = clean["errors"]
    if clean["links"] == "failed" and not errors:
        errors = "links: not set"
    if len(errors) > MAX_ERRORS_TEXT:
        errors = errors[: MAX_ERRORS_TEXT - 1] + "…"
    names = ("source", "sheet", "row", "entity", "key", "status", "http_status")
    return [*(clean[name] for name in names), errors]


def _succeeded(status: str, errors: str, links: str) -> bool:
    if links == "failed":
        return False
    if status in _SUCCESS:
        return True
    parts = [p for p in errors.split("; ") if p]
    return (
        status == "skipped" and bool(parts) and all(p.endswith(f"({CODE_EXISTS})") for p in parts)
    )


def _kind(summary: Mapping[str, Any]) -> str:
    if not summary.get("dry_run"):
        return "import"
    return "preview" if summary.get("changes") is not None else "check (nothing sent)"


def _verdict(summary: Mapping[str, Any]) -> tuple[str, str]:
    if summary.get("stopped_by"):
        return "stopped", f"Stopped: {summary['stopped_by']}"
    if summary.get("interrupted"):
        return "stopped", "Interrupted: rows not reached are failed (STOPPED); run it again"
    rows = int(summary.get("rows", 0))
    done = sum(int(summary.get(n, 0)) for n in ("created", "updated", "unchanged", "valid"))
    done += int(summary.get("skipped_existing", 0))
    if done == rows and not summary.get("links_failed"):
        return "ok", "Every row succeeded"
    return "some", f"{rows - done:,} of {rows:,} rows did not succeed"


def _header(summary: Mapping[str, Any]) -> str:
    tone, verdict = _verdict(summary)
    inputs = ", ".join(dict.fromkeys(str(i) for i in summary.get("inputs") or []))
    when = f"{summary.get('started_at', '')} → {summary.get('finished_at', '')}"
    mode = f"mode {summary.get('mode', '')}" if summary.get("mode") else ""
    return (
        f"<header><h1>econ-import: {escape(_kind(summary))} of {int(summary.get('rows', 0)):,}"
        f' rows <span class="verdict {tone}" id="verdict">{escape(verdict)}</span></h1>'
        f"<p>{escape(inputs)} · {escape(mode)} · {escape(when)}</p></header><main>"
    )


def _outcome(summary: Mapping[str, Any], datasets: dict[str, Any], specs: dict[str, Any]) -> str:
    shown = [n for n in SUMMARY_FIELDS if n != "elapsed_s"]
    if summary.get("dry_run"):
        shown.insert(shown.index("invalid"), "valid")
    bad = {"invalid", "rejected", "failed", "throttled"}
    counts = [(n, summary.get(n, 0), n in bad and bool(summary.get(n))) for n in shown]
    counts.append(("elapsed_s", summary.get("elapsed_s", 0), False))
    by_entity: Mapping[str, Mapping[str, int]] = summary.get("by_entity") or {}
    datasets["outcome"] = [
        {"entity": entity, "status": status, "rows": counted.get(status, 0), "order": n}
        for entity, counted in by_entity.items()
        for n, status in enumerate(_STATUS_ORDER)
        if counted.get(status, 0)
    ]
    parts = [cards(counts, prefix="total")]
    if datasets["outcome"]:
        specs["outcome"] = charts.outcome_chart(len(by_entity))
        parts.append('<div class="chart" id="chart-outcome"></div>')
    statuses = ["rows", *(s for s in _STATUS_ORDER if s != "valid" or summary.get("dry_run"))]
    rows = [
        [entity, *(counted.get(s, 0) for s in statuses)] for entity, counted in by_entity.items()
    ]
    parts.append(table(["entity", *statuses], rows, numeric=set(statuses), id="by-entity"))
    return section("Outcome per entity", "outcome", "\n".join(parts))


def _errors(
    errors: Sequence[Mapping[str, Any]], datasets: dict[str, Any], specs: dict[str, Any]
) -> str:
    datasets["errors"] = [{**e, "label": f"{e['column']} · {e['code']}"} for e in errors]
    specs["errors"] = charts.errors_chart(len(errors))
    top = [
        [f"{e['rows']:,} rows: {e['column']}, {e['code']}", e["entity"], e["property"]]
        for e in errors[: charts.TOP]
    ]
    parts = [
        '<div class="chart" id="chart-errors"></div>',
        "<details><summary>The same as a table</summary>",
        table(["rows: column, code", "entity", "property"], top, id="error-pairs"),
        "</details>",
    ]
    return section("Errors by code and by column", "errors", "\n".join(parts))


def _timeline(
    rows: Sequence[Sequence[Any]],
    summary: Mapping[str, Any],
    datasets: dict[str, Any],
    specs: dict[str, Any],
) -> str:
    step = max(1, math.ceil(len(rows) / MAX_POINTS))
    datasets["timeline"] = average_timeline(rows, step)
    specs["timeline"] = charts.timeline_chart(step)
    calls = sum(int(r[1]) for r in rows)
    rates = [float(r[6]) for r in rows if r[6] not in (None, "")]
    waited = sum(1 for r in rows if int(r[2]))
    facts = [f"{calls:,} calls in {len(rows):,} s ({calls / max(len(rows), 1):.1f} a second)"]
    if rates:
        budget = max(rates)
        used = calls / max(len(rows), 1) / budget if budget else 0
        facts.append(f"the budget's rate is {budget:.1f} a second: {used:.0%} of it used")
    facts.append(f"{int(summary.get('throttled', 0)):,} answers 429, in {waited:,} of the seconds")
    concurrency = summary.get("concurrency") or {}
    if concurrency.get("max_in_flight") is not None:
        facts.append(
            f"at most {concurrency['max_in_flight']} in flight "
            f"(window {concurrency.get('min_limit')}–{concurrency.get('max_limit')}, "
            f"{concurrency.get('mode')})"
        )
    body = paragraph("; ".join(facts) + ".", id="timeline-facts")
    body += '<div class="chart" id="chart-timeline"></div>'
    body += paragraph("Per second in timeline.csv.", cls="note")
    return section("Over time", "timeline", body)


def average_timeline(rows: Sequence[Sequence[Any]], step: int) -> list[dict[str, Any]]:
    """The timeline as records, one per ``step`` seconds: counts are means per second,
    ``in_flight`` the most, ``window`` and ``budget_rate`` the last of each group."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(rows), step):
        group = rows[start : start + step]
        rates = [r[6] for r in group if r[6] not in (None, "")]
        record: dict[str, Any] = {"second": int(group[0][0])}
        for n in (1, 2, 5):
            record[TIMELINE_COLUMNS[n]] = round(sum(int(r[n]) for r in group) / len(group), 2)
        record["in_flight"] = max(int(r[3]) for r in group)
        record["window"] = int(group[-1][4])
        record["budget_rate"] = float(rates[-1]) if rates else None
        out.append(record)
    return out


def _changes(
    changes: Mapping[str, Any],
    summary: Mapping[str, Any],
    datasets: dict[str, Any],
    specs: dict[str, Any],
) -> str:
    rows = list(changes.get("rows", []))
    for entity, counted in (summary.get("by_entity") or {}).items():
        for status, action in (("unchanged", "unchanged"), ("skipped", "skip")):
            if counted.get(status):
                rows.append({"entity": entity, "action": action, "rows": counted[status]})
    props = [
        {**p, "label": f"{p['entity']} · {p['property']}"} for p in changes.get("properties", [])
    ]
    datasets["change_rows"], datasets["change_properties"] = rows, props
    entities = {r["entity"] for r in rows}
    specs["changes"] = charts.changes_chart(len(entities), len(props))
    counts = summary.get("changes") or {}
    totals = [(k, v, False) for k, v in counts.items()]
    table_rows = [[p["entity"], p["action"], p["property"], p["lines"]] for p in props]
    body = cards(totals, prefix="changes")
    body += '<div class="chart" id="chart-changes"></div>'
    body += table(["entity", "action", "property", "rows"], table_rows, numeric={"rows"},
                  id="change-properties")  # fmt: skip
    body += paragraph(f"Every line in {link('changes.xlsx')} and {link('changes.csv')}.")
    return section("What the import would change (nothing was sent)", "changes", body)


def _failed(failed: list[list[str]], total: int, summary: Mapping[str, Any]) -> str:
    files = {
        (i["source"], i["sheet"]): i.get("errors_files", [])
        for i in summary.get("input_reports") or []
    }
    books = [link(name) for names in files.values() for name in names if name.endswith(".xlsx")]
    rows = []
    for source, sheet, row, entity, key, status, http, errors in failed:
        book = next((n for n in files.get((source, sheet), []) if n.endswith(".xlsx")), "")
        where = f"{source} [{sheet}]" if sheet else source
        rows.append((status, [where, row, entity, key, status, http, errors, book]))
    statuses = sorted({status for status, _ in rows})
    body = paragraph(
        f"{total:,} rows did not succeed"
        + (f"; the first {len(failed):,} are shown" if total > len(failed) else "")
        + (". Fix them in: " + ", ".join(books) if books else "."),
        id="failed-count",
    )
    if rows:
        options = "".join(f"<option>{escape(s)}</option>" for s in statuses)
        body += (
            '<div class="filters"><input id="failed-filter" type="search" '
            'placeholder="filter: words in any cell"><select id="failed-status">'
            f'<option value="">every status</option>{options}</select>'
            '<span class="note"><span id="failed-shown"></span> shown</span></div>'
        )
        body += table(
            ["input", "row", "entity", "key", "status", "http", "errors", "fix in"],
            [cells for _, cells in rows],
            numeric={"row", "http"},
            id="failed",
            status_column=4,
            link_column=7,
        )
    return section("Rows that did not succeed", "failed-rows", body)


def _plan_and_where(
    summary: Mapping[str, Any], directory: Path, datasets: dict[str, Any], specs: dict[str, Any]
) -> str:
    plan = summary.get("plan") or {}
    body = ""
    if plan.get("seconds") is not None:
        datasets["plan"] = [
            {"what": "planned", "seconds": float(plan["seconds"])},
            {"what": "actual", "seconds": float(summary.get("elapsed_s", 0))},
        ]
        specs["plan"] = charts.plan_chart()
        body += '<div class="chart" id="chart-plan"></div>'
    body += table(["", ""], plan_rows(summary, plan), id="plan")
    body += "<h2>Where things are</h2>" + table(
        ["", ""], where_rows(summary, directory), id="where"
    )
    return section("The plan and the actual time", "plan", body) + "</main>"
