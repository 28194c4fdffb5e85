"""report.html of a long run stays small, and fleet.html shows a fleet (issue #21).

A synthetic report of 100,000 rows is written through the real ``ReportWriter`` (with a
timeline of an hour and a half, one row a second), then opened in headless chromium;
fleet.html is written from a hand-made fleet.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.api import Timeline
from pipeline.errors import RowError
from pipeline.redact import Redactor
from pipeline.report import ReportWriter, write_fleet_html
from pipeline.report.page import MAX_POINTS, MAX_TABLE_ROWS, average_timeline
from pipeline.write.outcome import RowResult, Status, Summary
from tests.report.browser import assert_drawn, render

ROWS = 100_000
#: A cell that would run if the page did not escape it (the page's policy would then
#: report the blocked image load into #script-errors).
HOSTILE = '</script><img src="x" onerror="document.title=1"><script>'


def a_row(n: int) -> RowResult:
    """Every tenth row fails: most on the postal code, some rejected by the API."""
    if n % 10 == 3:
        error = RowError(n, "zip", "E04320", f"String '{n % 97}' is too short", str(n % 97))
        return RowResult("kunder.csv", "", n, "customers", str(n), Status.INVALID, errors=[error])
    if n % 100 == 7:
        error = RowError(n, "name", "E04330", f"too long: {HOSTILE}", HOSTILE, "api")
        return RowResult(
            "kunder.csv", "", n, "customers", str(n), Status.REJECTED, 400, errors=[error]
        )
    return RowResult("kunder.csv", "", n, "customers", str(n), Status.CREATED, 201, str(n))


def test_a_report_of_100000_rows_stays_under_2_mb_and_renders(tmp_path: Path) -> None:
    report = tmp_path / "report"
    summary = Summary()
    now = [0.0]
    timeline = Timeline(clock=lambda: now[0])
    with ReportWriter(report, redactor=Redactor(()), cache=tmp_path / "cache") as writer:
        writer.begin_input(
            source="kunder.csv", sheet="", entity="customers",
            columns=["Kundenr", "Navn", "Postnr"],
            column_of={"customerNumber": "Kundenr", "name": "Navn", "zip": "Postnr"},
        )  # fmt: skip
        for n in range(2, ROWS + 2):
            now[0] = n / 20  # 20 rows a second: 5,000 seconds
            timeline.call(budget_rate=33.3)
            if n % 500 == 0:
                timeline.throttled()
            timeline.window(in_flight=n % 17, limit=16)
            result = a_row(n)
            timeline.settled()
            summary.count_results([result], entity="customers")
            writer.add(result, {"Kundenr": str(n), "Navn": f"Kunde {n}", "Postnr": "12"})
        rows = timeline.rows()
        paths = writer.close(summary, extra={"dry_run": False}, timeline=rows)
    assert len(rows) == (ROWS + 1) // 20 + 1

    assert paths.html is not None
    assert paths.html.stat().st_size < 2_000_000
    rendered = render(paths.html, tmp_path / "profile")
    assert_drawn(rendered, ["outcome", "errors", "timeline"])
    assert rendered.value("total-rows") == str(ROWS)
    failed = summary.invalid + summary.rejected
    assert (
        f"{failed:,} rows did not succeed; the first {MAX_TABLE_ROWS:,} are shown" in rendered.dom
    )
    assert len(rendered.table_rows("failed")) == MAX_TABLE_ROWS
    pairs = rendered.table_rows("error-pairs")
    assert pairs[0][0] == f"{summary.invalid:,} rows: Postnr, E04320"
    assert HOSTILE not in rendered.dom  # escaped as text, never markup


def test_the_timeline_is_averaged_to_at_most_max_points() -> None:
    rows = [(s, 30 + s % 2, s % 3 == 0, 5, 16, 31, 33.3) for s in range(3 * MAX_POINTS + 1)]
    points = average_timeline(rows, 4)
    assert len(points) <= MAX_POINTS
    assert points[0] == {
        "second": 0, "calls": 30.5, "responses_429": 0.5, "rows_settled": 31.0,
        "in_flight": 5, "window": 16, "budget_rate": 33.3,
    }  # fmt: skip


def test_the_timeline_counts_per_second_and_carries_the_window_across_quiet_seconds() -> None:
    now = [0.0]
    timeline = Timeline(clock=lambda: now[0])
    timeline.window(in_flight=0, limit=4)
    timeline.call(budget_rate=None)
    timeline.window(in_flight=3, limit=4)
    now[0] = 0.9
    timeline.throttled()
    timeline.window(in_flight=1, limit=2)
    now[0] = 3.2  # two quiet seconds: the window's state carries over
    timeline.call(budget_rate=33.333)
    timeline.settled(2)
    assert timeline.rows() == [
        (0, 1, 1, 3, 2, 0, None),
        (1, 0, 0, 1, 2, 0, None),
        (2, 0, 0, 1, 2, 0, None),
        (3, 1, 0, 1, 2, 2, 33.333),
    ]


def test_fleet_html_shows_every_agreement_with_a_link_to_its_report(tmp_path: Path) -> None:
    (tmp_path / "reports" / "nord").mkdir(parents=True)
    fleet = {
        "exit_code": 1,
        "agreements": [
            {"name": "nord", "exit_code": 0, "report": str(tmp_path / "reports" / "nord"),
             "error": "", "rows": 1200, "created": 1180, "updated": 20, "unchanged": 0,
             "skipped": 0, "failed": 0, "elapsed_s": 41.5},
            {"name": "syd", "exit_code": 1, "report": str(tmp_path / "reports" / "syd"),
             "error": "", "rows": 800, "created": 700, "updated": 0, "unchanged": 60,
             "skipped": 0, "failed": 40, "elapsed_s": 30.2},
            {"name": "vest", "exit_code": 2, "report": "", "error": "token refused <b>401</b>",
             "rows": 0, "created": 0, "updated": 0, "unchanged": 0, "skipped": 0,
             "failed": 0, "elapsed_s": 0.4},
        ],
        "totals": {"rows": 2000, "created": 1880, "updated": 20, "unchanged": 60,
                   "skipped": 0, "failed": 40, "elapsed_s": 72.1},
    }  # fmt: skip
    source = tmp_path / "fleet.json"
    source.write_text(json.dumps(fleet), encoding="utf-8")
    page = write_fleet_html(source, cache=tmp_path / "cache")
    assert page == tmp_path / "fleet.html"

    rendered = render(page, tmp_path / "profile")
    assert_drawn(rendered, ["fleet"])
    for name, value in fleet["totals"].items():
        assert rendered.value(f"total-{name}") == str(value)
    rows = rendered.table_rows("fleet")
    assert [r[0] for r in rows] == ["nord", "syd", "vest"]
    assert rows[1][7] == "40" and rows[2][-1] == "token refused <b>401</b>"
    assert 'href="reports/nord/report.html"' in rendered.dom
