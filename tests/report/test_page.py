"""report.html (issue #21): rendered in a real headless chromium, its numbers checked
against summary.json and the report's files.

The runs are real: the CLI against the sandbox on loopback with the samples' bad rows, a
preview (``validate`` with a target), and an import stopped by SIGINT in a child process.
"""

from __future__ import annotations

import csv
import json
import re
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.write.outcome import SUMMARY_FIELDS
from tests.conftest import REPO, SandboxHandle
from tests.report.browser import Rendered, assert_drawn, render
from tests.runs import (
    env_with_tokens,
    import_command,
    read_results,
    start_drained,
    wait_for_journal,
    write_customers,
)

SAMPLES = REPO / "samples"
MAPPINGS = REPO / "mappings"
#: The page must stay small enough to mail: 2 MB however many rows.
MAX_PAGE_BYTES = 2_000_000
SUCCESS = {"created", "updated", "unchanged", "valid"}


def read_summary(report: Path) -> dict[str, Any]:
    return dict(json.loads((report / "summary.json").read_text(encoding="utf-8")))


def read_lines(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def assert_numbers_match(rendered: Rendered, summary: dict[str, Any]) -> None:
    """Every counter of summary.json, in total and per entity, is on the page."""
    for name in SUMMARY_FIELDS:
        assert rendered.value(f"total-{name}") == str(summary[name]), name
    rows = rendered.table_rows("by-entity")
    assert [r[0] for r in rows] == list(summary["by_entity"])
    for row in rows:
        counts = summary["by_entity"][row[0]]
        assert int(row[1].replace(",", "")) == counts["rows"]
        assert int(row[2].replace(",", "")) == counts["created"]


def assert_failed_rows_listed(
    rendered: Rendered, report: Path, *, shown: int | None = None
) -> None:
    """The table holds the rows of results.csv that did not succeed, in order."""
    failed = [r for r in read_results(report) if r["status"] not in SUCCESS]
    rows = rendered.table_rows("failed")
    assert len(rows) == (len(failed) if shown is None else shown)
    for line, cells in zip(failed, rows, strict=False):
        assert (cells[1], cells[3], cells[4]) == (line["row"], line["key"], line["status"])
    assert f"{len(failed):,} rows did not succeed" in rendered.dom


def test_an_import_with_errors_renders_with_its_counts_codes_and_timeline(
    cli, sandbox: SandboxHandle, tokens, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    result = cli(
        "import", SAMPLES / "customers.csv", "--mapping", MAPPINGS / "customers.toml",
        "--base-url", sandbox.url, "--report", report, "--no-progress",
    )  # fmt: skip
    assert result.code == 1, result.err
    page = report / "report.html"
    assert result.out.rstrip().splitlines()[-1] == f"See the run at a glance: {page}"
    assert page.stat().st_size < MAX_PAGE_BYTES
    assert not re.search(r'(src|href)="(https?:)?//', page.read_text(encoding="utf-8"))
    summary = read_summary(report)

    rendered = render(page, tmp_path / "profile")
    assert_drawn(rendered, ["outcome", "errors", "timeline", "plan"])
    assert_numbers_match(rendered, summary)
    assert f"9 of {summary['rows']} rows did not succeed" in rendered.dom
    # The errors by column and code: rows per (property, code), as errors.jsonl has them.
    errors = [json.loads(line) for line in (report / "errors.jsonl").open(encoding="utf-8")]
    expected = Counter({(e["row"], e["property"], e["code"]) for e in errors})
    wanted = Counter({(p, c): 0 for _, p, c in expected})
    for _, prop, code in expected:
        wanted[prop, code] += 1
    shown = {}
    for label, _entity, prop in rendered.table_rows("error-pairs"):
        rows, code = re.fullmatch(r"([\d,]+) rows: .+, (\S+)", label).groups()  # type: ignore[union-attr]
        shown[prop, code] = int(rows.replace(",", ""))
    assert shown == dict(wanted)
    assert_failed_rows_listed(rendered, report)
    assert 'href="errors.xlsx"' in rendered.dom
    # The run per second: every call and every row is in timeline.csv.
    timeline = read_lines(report / "timeline.csv")
    assert list(timeline[0]) == [
        "second", "calls", "responses_429", "in_flight", "window", "rows_settled", "budget_rate",
    ]  # fmt: skip
    assert sum(int(t["calls"]) for t in timeline) == summary["requests"]
    assert sum(int(t["rows_settled"]) for t in timeline) == summary["rows"]
    assert max(int(t["in_flight"]) for t in timeline) == summary["concurrency"]["max_in_flight"]
    assert summary["plan"]["rows"] == summary["rows"] and summary["plan"]["seconds"] is not None


def test_a_preview_renders_the_changes_per_entity_and_property(cli, tokens, tmp_path: Path) -> None:
    report = tmp_path / "preview"
    result = cli(
        "validate", SAMPLES / "customers.csv", "--mapping", MAPPINGS / "customers.toml",
        "--sandbox", "--report", report, "--no-progress",
    )  # fmt: skip
    assert result.code == 1, result.err
    assert result.out.rstrip().splitlines()[-1].endswith("report.html")
    summary = read_summary(report)
    rendered = render(report / "report.html", tmp_path / "profile")
    assert_drawn(rendered, ["outcome", "changes", "errors", "timeline"])
    assert_numbers_match(rendered, summary)
    assert f"econ-import: preview of {summary['rows']} rows" in rendered.dom
    for name, count in summary["changes"].items():
        assert rendered.value(f"changes-{name}") == str(count), name
    lines = Counter(
        (c["entity"], c["action"], c["property"]) for c in read_lines(report / "changes.csv")
    )
    shown = {
        (entity, action, prop): int(rows.replace(",", ""))
        for entity, action, prop, rows in rendered.table_rows("change-properties")
    }
    assert shown == dict(lines) and lines
    assert_failed_rows_listed(rendered, report)


def test_a_stopped_run_renders_with_the_stopped_rows(start_sandbox, tmp_path: Path) -> None:
    sandbox: SandboxHandle = start_sandbox(bucket=100_000, latency_ms=5)
    numbers = range(80_001, 85_101)  # two chunks: the second is never reached
    source = write_customers(tmp_path / "customers.csv", numbers, invalid=[80_010, 80_020])
    journal = tmp_path / "journal.sqlite"
    report = tmp_path / "stopped"
    command = import_command(source, url=sandbox.url, report=report, journal=journal)
    child = start_drained(command, env=env_with_tokens(), cwd=tmp_path)
    assert wait_for_journal(journal, child.process, done=100)
    child.process.send_signal(signal.SIGINT)
    code, out, err = child.wait()
    assert code == 3, err
    assert out.rstrip().splitlines()[-1] == f"See the run at a glance: {report / 'report.html'}"
    summary = read_summary(report)
    assert summary["interrupted"] is True

    rendered = render(report / "report.html", tmp_path / "profile")
    assert_drawn(rendered, ["outcome", "errors", "timeline", "plan"])
    assert_numbers_match(rendered, summary)
    assert "Interrupted" in rendered.dom
    assert_failed_rows_listed(rendered, report, shown=2_000)  # the first 2,000 of them
    assert "the first 2,000 are shown" in rendered.dom
    assert "STOPPED" in rendered.dom


def test_a_check_without_a_target_renders_without_a_timeline(cli, tmp_path: Path) -> None:
    report = tmp_path / "check"
    result = cli(
        "validate", SAMPLES / "customers.csv", "--mapping", MAPPINGS / "customers.toml",
        "--report", report, "--no-progress",
    )  # fmt: skip
    assert result.code == 1, result.err
    assert not (report / "timeline.csv").exists()
    rendered = render(report / "report.html", tmp_path / "profile")
    assert_drawn(rendered, ["outcome", "errors"])
    assert_numbers_match(rendered, read_summary(report))
    assert "check (nothing sent)" in rendered.dom and 'id="timeline"' not in rendered.dom
    assert_failed_rows_listed(rendered, report)
