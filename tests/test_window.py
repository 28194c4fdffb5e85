"""The in-flight window end to end: the real CLI against the real sandbox on loopback.

Nothing here is timed: each test reads how far the window went from ``summary.json``
(the writer's own high-water mark) and from the sandbox's ``max_in_flight``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SandboxHandle
from tests.runs import read_results, statuses, write_customers


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
    assert window["max_concurrency"] == 64
    # 1,667 calls/s at 100 ms would use 167 in flight: the window grows past the old fixed
    # 8 towards its maximum, and the server sees as many at once.
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
