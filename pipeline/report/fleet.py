"""fleet.html beside fleet.json: every agreement of a fleet run at a glance.

fleet.json is ``{"exit_code", "agreements": [{"name", "exit_code", "report", "error",
"rows", "created", "updated", "unchanged", "skipped", "failed", "elapsed_s"}], "totals":
{...}}``. The page shows the rows per agreement by outcome and each one's time as charts
(``pipeline.report.charts.fleet_chart``), the totals as numbers, and a table with a link
to each agreement's report.html. Self-contained like report.html.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import charts
from .bundle import default_cache
from .files import write_json
from .folder import writing
from .html_parts import cards, escape, link, paragraph, render_page, section, table

#: fleet.json's counters of an agreement, in the order the page shows them.
FLEET_COUNTS = ("rows", "created", "updated", "unchanged", "skipped", "failed")


def write_fleet_report(folder: Path, fleet: Mapping[str, Any]) -> Path:
    """fleet.json (atomically, ``files.write_json``) in ``folder``, then fleet.html beside
    it; returns fleet.json's path. A write that fails is a ``ReportError``."""
    path = Path(folder) / "fleet.json"
    with writing(path, what="the fleet's report"):
        write_json(path, fleet)
        write_fleet_html(path)
    return path


def write_fleet_html(fleet_json_path: Path, *, cache: Path | None = None) -> Path:
    """Write fleet.html beside ``fleet_json_path`` and return its path."""
    source = Path(fleet_json_path)
    fleet: Mapping[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    agreements = list(fleet.get("agreements") or [])
    totals = fleet.get("totals") or {}
    datasets = {
        "fleet": [
            {"name": a.get("name", ""), "outcome": outcome, "rows": int(a.get(outcome) or 0)}
            for a in agreements
            for outcome in FLEET_COUNTS[1:]
            if a.get(outcome)
        ],
        "fleet_time": [
            {"name": a.get("name", ""), "elapsed_s": float(a.get("elapsed_s") or 0)}
            for a in agreements
        ],
    }
    specs = {"fleet": charts.fleet_chart(len(agreements))} if agreements else {}
    failing = sum(1 for a in agreements if a.get("exit_code"))
    verdict = "ok" if not fleet.get("exit_code") else "some"
    said = f"{failing} of {len(agreements)} agreements did not finish cleanly"
    header = (
        f"<header><h1>econ-import fleet: {len(agreements)} agreements "
        f'<span class="verdict {verdict}" id="verdict">exit code {escape(fleet.get("exit_code"))}'
        f"</span></h1><p>{escape(said if failing else 'every agreement finished cleanly')}</p>"
        "</header><main>"
    )
    numbers = [(name, totals.get(name, 0), name == "failed" and bool(totals.get(name)))
               for name in (*FLEET_COUNTS, "elapsed_s") if name in totals]  # fmt: skip
    body = cards(numbers, prefix="total")
    if specs:
        body += '<div class="chart" id="chart-fleet"></div>'
    rows = [_row(a, source.parent) for a in agreements]
    headers = ["agreement", "exit code", *FLEET_COUNTS, "elapsed_s", "report", "error"]
    body += table(headers, rows, numeric={"exit code", *FLEET_COUNTS, "elapsed_s"},
                  id="fleet", link_column=9)  # fmt: skip
    body += paragraph(f"From {link(source.name)}.", cls="note")
    page = render_page(
        title="econ-import fleet report",
        body=header + section("Agreements", "agreements", body) + "</main>",
        data={"charts": specs, "datasets": datasets},
        cache=cache if cache is not None else default_cache(),
    )
    path = source.with_name("fleet.html")
    temporary = path.with_suffix(".html.tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)
    return path


def _row(agreement: Mapping[str, Any], here: Path) -> list[object]:
    report = agreement.get("report") or ""
    target = ""
    if report:
        page = Path(report) / "report.html"
        try:
            target = os.path.relpath(page, here)
        except ValueError:  # another drive (Windows): an absolute link
            target = page.as_uri() if page.is_absolute() else str(page)
    counts = [agreement.get(name, "") for name in FLEET_COUNTS]
    return [agreement.get("name", ""), agreement.get("exit_code", ""), *counts,
            agreement.get("elapsed_s", ""), target, agreement.get("error") or ""]  # fmt: skip
