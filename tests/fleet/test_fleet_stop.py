"""A fleet stopped mid-run (issue #20): Ctrl-C writes every report and fleet.json (exit 3);
SIGKILL writes nothing more; either way the same command finishes every agreement and
every row is written exactly once.

The fleet runs as a real process (``python -m pipeline fleet``), the sandbox as another,
so that the signal reaches only the fleet.
"""

from __future__ import annotations

import hashlib
import json
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.runs import (
    PROCESS_TIMEOUT_S,
    SandboxProcess,
    env_with_tokens,
    sandbox_process,
    start_drained,
    write_customers,
)

AGREEMENTS = 3
ROWS = 400


def token(n: int) -> str:
    return f"stop-grant-{n}-Tz"


def write_manifest(folder: Path) -> Path:
    lines = ['[defaults]\nmode = "upsert"\nconcurrency = 4\n']  # slow enough to be stopped
    for n in range(1, AGREEMENTS + 1):
        source = write_customers(folder / f"c{n}.csv", range(n * 1000, n * 1000 + ROWS))
        lines.append(f'[[agreements]]\nname = "Stop {n}"\ngrant_token_env = "GRANT_STOP_{n}"\n'
                     f'input = "{source.name}"\n')  # fmt: skip
    manifest = folder / "fleet.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest


def held(sandbox: SandboxProcess) -> dict[int, int]:
    counts = sandbox.stats()["agreements"]
    return {
        n: int(counts.get(hashlib.sha256(token(n).encode()).hexdigest()[:16], {}).get(
            "customers", 0))
        for n in range(1, AGREEMENTS + 1)
    }  # fmt: skip


def fleet_command(manifest: Path, url: str, report: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "fleet", str(manifest), "--base-url", url,
            "--report", str(report), "--no-progress"]  # fmt: skip


def env() -> dict[str, str]:
    found = env_with_tokens()
    found.update({f"GRANT_STOP_{n}": token(n) for n in range(1, AGREEMENTS + 1)})
    return found


def stop_mid_run(sandbox: SandboxProcess, manifest: Path, report: Path, signum: int) -> int:
    """Start the fleet, send ``signum`` once some rows but not all are in; its exit code."""
    fleet = start_drained(fleet_command(manifest, sandbox.url, report), env=env())
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while sum(held(sandbox).values()) < 100:
        assert fleet.process.poll() is None, fleet.wait(timeout=30)
        assert time.monotonic() < deadline, "the fleet wrote nothing"
        time.sleep(0.05)
    fleet.process.send_signal(signum)
    code = fleet.wait()[0]
    assert sum(held(sandbox).values()) < AGREEMENTS * ROWS, "it finished before the signal"
    return code


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_a_stopped_fleet_resumes_and_writes_every_row_once(
    tmp_path: Path, signum: signal.Signals
) -> None:
    manifest = write_manifest(tmp_path)
    with sandbox_process("--latency-ms", "15") as sandbox:
        code = stop_mid_run(sandbox, manifest, tmp_path / "r1", signum)
        if signum == signal.SIGINT:
            assert code == 3
            stopped = json.loads((tmp_path / "r1" / "fleet.json").read_text())
            assert stopped["exit_code"] == 3
            for entry in stopped["agreements"]:
                assert entry["exit_code"] in (0, 3), entry
                if entry["report"]:  # every row it reached or not has its line
                    lines = (Path(entry["report"]) / "results.csv").read_text().splitlines()
                    assert len(lines) == ROWS + 1
        else:
            assert code == -signal.SIGKILL
            assert not (tmp_path / "r1" / "fleet.json").exists()

        code, out, err = start_drained(
            fleet_command(manifest, sandbox.url, tmp_path / "r2"), env=env()
        ).wait()

        assert code == 0, out + err
        assert held(sandbox) == {n: ROWS for n in range(1, AGREEMENTS + 1)}
        assert sandbox.stats()["writes"] == AGREEMENTS * ROWS  # exactly once
        again = json.loads((tmp_path / "r2" / "fleet.json").read_text())
        assert all(e["exit_code"] == 0 and e["rows"] == ROWS for e in again["agreements"])
