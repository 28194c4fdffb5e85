"""Progress: rows counted as they settle, a bar in a terminal, lines elsewhere."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.run import ENV_PROGRESS_INTERVAL
from pipeline.run.progress import Progress, format_duration, progress_mode
from pipeline.write import Status
from tests.conftest import SandboxHandle
from tests.runs import write_customers

LINE = re.compile(r"^\d+/\d+ rows, \d+\.\d/s, (\d+h)?(\d+m)?\d+s left, \d+ failed")


class FakeClock:
    """A clock the test moves by hand (no sleeping, no timed assertions)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45.4, "45s"), (125, "2m05s"), (3600 + 7 * 60, "1h07m")],
    ids=["zero", "seconds", "minutes", "hours"],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("enabled", "out", "mode"),
    [(True, Terminal(), "bar"), (True, io.StringIO(), "lines"), (False, Terminal(), "off")],
    ids=["terminal", "no-terminal", "no-progress"],
)
def test_mode(enabled: bool, out: io.StringIO, mode: str) -> None:
    assert progress_mode(enabled=enabled, out=out) == mode


def test_lines_come_every_interval_with_rate_time_left_and_failures() -> None:
    out, clock = io.StringIO(), FakeClock()
    progress = Progress("lines", total=5000, interval_s=10.0, out=out, clock=clock)
    progress.count_throttled(lambda: 4)
    for n in range(1, 1201):
        clock.now += 0.03  # 33.3 rows/s
        progress.settle(Status.FAILED if n % 400 == 0 else Status.CREATED)
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # at 10, 20 and 30 s, and the last one
    assert all(LINE.match(line) for line in lines), lines
    assert lines[-1] == "1200/5000 rows, 33.3/s, 1m54s left, 3 failed, 4 throttled (429)"


def test_a_short_run_prints_no_line() -> None:
    out = io.StringIO()
    with Progress("lines", total=3, out=out, clock=FakeClock()) as progress:
        for _ in range(3):
            progress.settle(Status.CREATED)
    assert out.getvalue() == ""


def test_the_bar_knows_the_total_and_moves_per_row() -> None:
    """Only ``settle`` moves the bar here (no ``sync``): closing it draws its last count,
    which is 1199 only if each of the 1199 settled rows moved it by one."""
    out = Terminal()
    with Progress("bar", total=5000, out=out) as progress:
        for n in range(1, 1200):
            progress.settle(Status.FAILED if n == 7 else Status.CREATED)
    final = out.getvalue().split("\r")[-1]
    assert "1199/5000" in final
    assert "failed=1" in final


def test_sync_moves_the_bar_to_the_reports_counts() -> None:
    out = Terminal()
    with Progress("bar", total=5000, out=out) as progress:
        progress.settle(Status.CREATED)
        progress.sync(done=1200, failed=3)
    assert "1200/5000" in out.getvalue().split("\r")[-1]


# --- the real CLI ---------------------------------------------------------------------------

CLI_LINE = re.compile(r"^(\d+)/120 rows, \d+\.\d/s, (\d+h)?(\d+m)?\d+s left, (\d+) failed")


def _run(cli, tmp_path: Path, url: str, *flags: str):  # type: ignore[no-untyped-def]
    source = write_customers(tmp_path / "in.csv", range(1, 121), invalid=[5, 50, 99])
    return cli("import", source, "--base-url", url, "--report", tmp_path / "r", *flags)


def test_without_a_terminal_lines_go_to_stderr_with_the_final_count(
    start_sandbox: Callable[..., SandboxHandle],
    tokens: object,
    cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_PROGRESS_INTERVAL, "0.05")
    box = start_sandbox(bucket=100_000, window=60.0, latency_ms=30.0, seed=5)
    result = _run(cli, tmp_path, box.url, "--concurrency", "2")
    assert result.code == 1  # three rows are invalid
    lines = [line for line in result.err.splitlines() if "rows, " in line]
    assert len(lines) >= 2, result.err
    assert all(CLI_LINE.match(line) for line in lines), lines
    counts = [int(CLI_LINE.match(line)[1]) for line in lines]  # type: ignore[index]
    assert counts == sorted(counts)
    assert lines[-1].startswith("120/120 rows, ")
    assert lines[-1].endswith(" 3 failed")


def test_no_progress_silences_the_lines(
    start_sandbox: Callable[..., SandboxHandle],
    tokens: object,
    cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_PROGRESS_INTERVAL, "0.01")
    box = start_sandbox(bucket=100_000, window=60.0, latency_ms=30.0, seed=5)
    result = _run(cli, tmp_path, box.url, "--concurrency", "2", "--no-progress")
    assert result.code == 1
    assert "rows, " not in result.err


def test_in_a_terminal_the_bar_counts_to_the_plans_total(
    start_sandbox: Callable[..., SandboxHandle],
    tokens: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    box = start_sandbox(bucket=100_000, window=60.0)
    source = write_customers(tmp_path / "in.csv", range(1, 121), invalid=[5])
    code = main(["import", str(source), "--base-url", box.url, "--report", str(tmp_path / "r")])
    assert code == 1
    assert "120/120" in terminal.getvalue()
    assert "failed=1" in terminal.getvalue()


def test_a_bad_progress_interval_is_a_one_line_error(
    tokens: object, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_PROGRESS_INTERVAL, "soon")
    source = write_customers(tmp_path / "in.csv", [1])
    result = cli("validate", source, "--report", tmp_path / "r")
    assert result.code == 2
    assert result.err.strip() == (
        f"econ-import: {ENV_PROGRESS_INTERVAL} must be a positive number of seconds: 'soon'"
    )
