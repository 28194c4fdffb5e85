"""One run per agreement at a time (issue #19): the lock, ``--wait``, and a holder killed.

Real processes (the lock is the OS's or the server's, held by a process), the sandbox as a
process of its own with some latency so that a run lasts long enough to be overlapped,
and the state in the shared home folder (SQLite) or in PostgreSQL, each run then with a
home folder of its own (another machine).
"""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.runs import (
    PROCESS_TIMEOUT_S,
    DrainedProcess,
    SandboxProcess,
    env_with_tokens,
    import_command,
    read_results,
    sandbox_process,
    start_drained,
    statuses,
    wait_for_journal,
    write_customers,
)


@dataclass
class Agreement:
    """How the test's imports share their state: the journal to watch, and per run
    ("machine") its command and environment."""

    journal: Path | str
    state: list[str]
    tmp: Path
    homes: bool  # each run in a home folder of its own (PostgreSQL), else one shared

    def command(self, source: Path, sandbox: SandboxProcess, report: str, *extra: str) -> list[str]:
        command = import_command(source, url=sandbox.url, report=self.tmp / report,
                                 journal=None, concurrency=1)  # fmt: skip
        return [*command, *self.state, *extra]

    def env(self, machine: str) -> dict[str, str]:
        env = env_with_tokens()
        if self.homes:
            env["ECONOMIC_IMPORT_HOME"] = str(self.tmp / f"home-{machine}")
        return env

    def start(self, command: list[str], machine: str) -> DrainedProcess:
        return start_drained(command, env=self.env(machine), cwd=self.tmp)

    def run(self, command: list[str], machine: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=self.env(machine), cwd=self.tmp, capture_output=True,
                              text=True, timeout=PROCESS_TIMEOUT_S, check=False)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def agreement(request: pytest.FixtureRequest, tmp_path: Path, state_home: Path) -> Agreement:
    if request.param == "sqlite":
        return Agreement(state_home / "journal.sqlite", [], tmp_path, homes=False)
    url = request.getfixturevalue("pg_url")
    return Agreement(url, ["--state", url], tmp_path, homes=True)


def test_a_second_import_is_refused_at_once_and_a_killed_holder_leaves_no_lock(
    agreement: Agreement, tmp_path: Path
) -> None:
    numbers = range(30_001, 30_401)  # 400 rows, one at a time at 20 ms: seconds of work
    source = write_customers(tmp_path / "customers.csv", numbers)
    with sandbox_process("--latency-ms", "20") as sandbox:
        holder = agreement.start(agreement.command(source, sandbox, "r1"), "a")
        assert wait_for_journal(agreement.journal, holder.process, done=5)
        second = agreement.run(agreement.command(source, sandbox, "r2"), "b")
        assert second.returncode == 2, second.stdout + second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert f"pid {holder.process.pid} on " in lines[0] and "customers.csv" in lines[0]
        assert "another import into the agreement at" in lines[0] and "nothing was sent" in lines[0]
        assert not (tmp_path / "r2").exists()  # it did not even start a report
        assert holder.process.poll() is None  # the holder still runs

        holder.process.kill()  # kill -9: the lock dies with its process
        holder.wait()
        resumed = agreement.run(agreement.command(source, sandbox, "r3"), "c")
        stats = sandbox.stats()
        on_server = Counter(c["customerNumber"] for c in sandbox.customers())
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming the unfinished run" in resumed.stdout
    assert statuses(read_results(tmp_path / "r3")) == {"created": len(numbers)}
    assert set(on_server) == set(numbers) and max(on_server.values()) == 1
    assert stats["writes"] == len(numbers)


def test_with_wait_the_second_import_runs_after_the_first_and_writes_nothing(
    agreement: Agreement, tmp_path: Path
) -> None:
    numbers = range(31_001, 31_081)
    source = write_customers(tmp_path / "customers.csv", numbers)
    with sandbox_process("--latency-ms", "20") as sandbox:
        first = agreement.start(agreement.command(source, sandbox, "r1"), "a")
        assert wait_for_journal(agreement.journal, first.process, done=5)
        waiting = agreement.start(agreement.command(source, sandbox, "r2", "--wait", "300"), "b")
        line = waiting.stderr.line_with("waiting for")
        assert line is not None and f"pid {first.process.pid} on " in line, waiting.wait()
        code, _, err = first.wait()
        assert code == 0, err
        writes = sandbox.stats()["writes"]
        code, out, err = waiting.wait()
        assert sandbox.stats()["writes"] == writes == len(numbers)
    assert code == 0, out + err
    assert "the lock is ours after" in err
    assert statuses(read_results(tmp_path / "r2")) == {"skipped": len(numbers)}


def test_a_wait_that_runs_out_is_exit_2_and_sends_nothing(
    agreement: Agreement, tmp_path: Path
) -> None:
    numbers = range(32_001, 32_301)
    source = write_customers(tmp_path / "customers.csv", numbers)
    with sandbox_process("--latency-ms", "20") as sandbox:
        holder = agreement.start(agreement.command(source, sandbox, "r1"), "a")
        try:
            assert wait_for_journal(agreement.journal, holder.process, done=5)
            late = agreement.run(agreement.command(source, sandbox, "r2", "--wait", "0.5"), "b")
            assert holder.process.poll() is None
        finally:
            holder.process.kill()
            holder.wait()
    assert late.returncode == 2, late.stdout + late.stderr
    assert "waiting for" in late.stderr and "waited 0.5 s for the lock" in late.stderr
    assert f"still held by pid {holder.process.pid} " in late.stderr
    assert "Traceback" not in late.stderr and not (tmp_path / "r2").exists()
