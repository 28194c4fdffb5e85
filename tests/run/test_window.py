"""The in-flight window end to end: the real CLI against the real sandbox on loopback.

Nothing here is timed: each test reads how far the window went from ``summary.json``
(the writer's own high-water mark) and from the sandbox's ``max_in_flight``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.api import DEFAULT_BLIND_LIMIT, DEFAULT_MAX_CONCURRENCY
from pipeline.run import ENV_PROGRESS_INTERVAL
from tests.conftest import SandboxHandle
from tests.runs import (
    PROCESS_TIMEOUT_S,
    env_with_tokens,
    journal_counts,
    read_results,
    statuses,
    wait_for_journal,
    write_customers,
)


def _import(cli: Callable[..., Any], tmp_path: Path, url: str, rows: int, *flags: str) -> Any:
    source = write_customers(tmp_path / "in.csv", range(1, rows + 1))
    report = tmp_path / "report"
    result = cli("import", source, "--base-url", url, "--report", report, "--no-progress", *flags)
    assert result.code == 0, result.err
    assert statuses(read_results(report)) == {"created": rows}
    return json.loads((report / "summary.json").read_text())


def test_the_window_grows_under_a_large_budget_with_high_latency(
    start_sandbox: Callable[..., SandboxHandle], tokens: object, cli, tmp_path: Path
) -> None:
    box = start_sandbox(bucket=100_000, window=60.0, latency_ms=100.0, seed=3)
    summary = _import(cli, tmp_path, box.url, 400)
    window = summary["concurrency"]
    assert window["mode"] == "adaptive"
    assert window["max_concurrency"] == DEFAULT_MAX_CONCURRENCY
    # 1,667 calls/s at 100 ms would use 167 in flight: the window grows past the old fixed
    # 8 towards its maximum, and the server sees as many at once; with the rate known it
    # is not held at the blind limit of 64 (issue #21), Little's law allows 251.
    assert window["max_limit"] > DEFAULT_BLIND_LIMIT
    assert window["max_in_flight"] > 24
    assert box.stats()["max_in_flight"] > 24
    assert summary["throttled"] == 0


def test_max_concurrency_bounds_the_adaptive_window(
    start_sandbox: Callable[..., SandboxHandle], tokens: object, cli, tmp_path: Path
) -> None:
    box = start_sandbox(bucket=100_000, window=60.0, latency_ms=50.0, seed=3)
    summary = _import(cli, tmp_path, box.url, 200, "--max-concurrency", "12")
    window = summary["concurrency"]
    assert window["max_concurrency"] == 12
    assert window["max_limit"] <= 12 and window["max_in_flight"] <= 12
    assert box.stats()["max_in_flight"] <= 12


def test_the_window_shrinks_on_429s_when_the_header_is_hidden(
    start_sandbox: Callable[..., SandboxHandle], tokens: object, cli, tmp_path: Path
) -> None:
    box = start_sandbox(bucket=20, window=2.0, hide_rate_headers=True, latency_ms=20.0, seed=3)
    summary = _import(cli, tmp_path, box.url, 120)
    window = summary["concurrency"]
    assert summary["throttled"] > 0
    # It grew while nothing was known, then the 429s (and the rate learnt from them,
    # 10 calls/s at 20 ms: one or two in flight) brought it down.
    assert window["max_limit"] > 8
    assert window["min_limit"] <= 4
    assert window["limit"] < window["max_limit"]


@pytest.mark.parametrize("fixed", [1, 3], ids=["one", "three"])
def test_concurrency_n_fixes_the_window(
    start_sandbox: Callable[..., SandboxHandle], tokens: object, cli, tmp_path: Path, fixed: int
) -> None:
    box = start_sandbox(bucket=100_000, window=60.0, latency_ms=30.0, seed=3)
    summary = _import(cli, tmp_path, box.url, 60, "--concurrency", str(fixed))
    window = summary["concurrency"]
    assert window["mode"] == "fixed"
    assert window["min_limit"] == window["max_limit"] == window["limit"] == fixed
    assert window["max_in_flight"] == fixed
    assert box.stats()["max_in_flight"] <= fixed  # one connection per permit, plan included


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "must be 1 or more"), ("lots", "must be a number or 'adaptive'")],
    ids=["zero", "word"],
)
def test_a_bad_concurrency_is_a_one_line_usage_error(
    cli, tmp_path: Path, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_customers(tmp_path / "in.csv", [1])
    with pytest.raises(SystemExit) as stop:
        cli("validate", source, "--concurrency", value)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_concurrency_adaptive_is_the_default_spelled_out(
    start_sandbox: Callable[..., SandboxHandle], tokens: object, cli, tmp_path: Path
) -> None:
    box = start_sandbox(bucket=100_000, window=60.0)
    summary = _import(cli, tmp_path, box.url, 20, "--concurrency", "adaptive")
    assert summary["concurrency"]["mode"] == "adaptive"


def test_killed_under_the_adaptive_window_the_rerun_writes_each_row_once_then_nothing(
    start_sandbox: Callable[..., SandboxHandle], tmp_path: Path
) -> None:
    """The default window (and progress lines on stderr) through SIGKILL, resume, re-run."""
    # 50 calls/s: slow enough that the kill comes mid-run, whatever the machine.
    box = start_sandbox(bucket=300, window=6.0, latency_ms=40.0, seed=11)
    rows = 800
    source = write_customers(tmp_path / "customers.csv", range(1, rows + 1))
    journal = tmp_path / "journal.sqlite"
    env = {**env_with_tokens(), ENV_PROGRESS_INTERVAL: "0.2"}

    def command(report: str) -> list[str]:
        return [sys.executable, "-m", "pipeline", "import", str(source), "--base-url", box.url,
                "--report", str(tmp_path / report), "--journal", str(journal)]  # fmt: skip

    process = subprocess.Popen(
        command("run1"), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert wait_for_journal(journal, process, done=200)
    process.kill()
    process.communicate(timeout=PROCESS_TIMEOUT_S)  # drains both pipes
    assert 200 <= journal_counts(journal)["done"] < rows  # killed mid-run
    # The resumed run finishes the rest; the one after it finds every record there, and
    # a skip because the record exists is a success (issue #9): both exit 0.
    for report, code, status in (("run2", 0, "created"), ("run3", 0, "skipped")):
        rerun = subprocess.run(command(report), env=env, cwd=tmp_path, capture_output=True,
                               text=True, timeout=PROCESS_TIMEOUT_S, check=False)  # fmt: skip
        assert rerun.returncode == code, rerun.stdout + rerun.stderr
        assert statuses(read_results(tmp_path / report)) == {status: rows}
        assert "Traceback" not in rerun.stderr
        assert ("resuming the unfinished run" in rerun.stdout) is (report == "run2")
    stats = box.stats()
    assert stats["writes"] == rows  # each row written once, the third run wrote nothing
    assert sum(a["customers"] for a in stats["agreements"].values()) == rows
