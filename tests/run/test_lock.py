"""One run per agreement at a time (issue #19): the lock, ``--wait``, and a holder killed.

Real processes (the lock is the OS's or the server's, held by a process), the sandbox as a
process of its own with some latency so that a run lasts long enough to be overlapped,
and the state in the shared home folder (SQLite) or in PostgreSQL, each run then with a
home folder of its own (another machine).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.state import Holder, lock_for, target_id
from tests.conftest import GRANT_TOKEN
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

    def command(
        self, source: Path, sandbox: SandboxProcess, report: str, *extra: str, concurrency: int = 1
    ) -> list[str]:
        command = import_command(source, url=sandbox.url, report=self.tmp / report,
                                 journal=None, concurrency=concurrency)  # fmt: skip
        return [*command, *self.state, *extra]

    def env(self, machine: str) -> dict[str, str]:
        env = env_with_tokens()
        if self.homes:
            env["ECONOMIC_IMPORT_HOME"] = str(self.tmp / f"home-{machine}")
        return env

    def start(self, command: list[str], machine: str, **env: str) -> DrainedProcess:
        return start_drained(command, env={**self.env(machine), **env}, cwd=self.tmp)

    def run(self, command: list[str], machine: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=self.env(machine), cwd=self.tmp, capture_output=True,
                              text=True, timeout=PROCESS_TIMEOUT_S, check=False)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def agreement(request: pytest.FixtureRequest, tmp_path: Path, state_home: Path) -> Agreement:
    if request.param == "sqlite":
        return Agreement(state_home / "journal.sqlite", [], tmp_path, homes=False)
    url = request.getfixturevalue("pg_url")
    return Agreement(url, ["--state", url], tmp_path, homes=True)


def first_to_end(runs: list[DrainedProcess]) -> DrainedProcess:
    """Whichever of ``runs`` ends first (each is waited for at most PROCESS_TIMEOUT_S)."""
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while time.monotonic() < deadline:
        for child in runs:
            if child.process.poll() is not None:
                return child
        time.sleep(0.02)
    raise AssertionError(f"none of the imports ended within {PROCESS_TIMEOUT_S} s")


def test_of_two_imports_started_at_once_one_runs_and_a_killed_holder_leaves_no_lock(
    agreement: Agreement, tmp_path: Path
) -> None:
    numbers = range(30_001, 30_401)  # 400 rows, one at a time at 30 ms: 12 s of work
    source = write_customers(tmp_path / "customers.csv", numbers)
    with sandbox_process("--latency-ms", "30") as sandbox:
        both = [agreement.start(agreement.command(source, sandbox, f"r-{m}"), m) for m in "ab"]
        refused = first_to_end(both)
        holder = both[1 - both.index(refused)]
        code, _, err = refused.wait()
        assert code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, lines
        assert f"pid {holder.process.pid} on " in lines[0] and "customers.csv" in lines[0]
        assert "another import into the agreement at" in lines[0] and "nothing was sent" in lines[0]
        refused_report = tmp_path / f"r-{'ab'[both.index(refused)]}"
        assert not (refused_report / "results.csv").exists()  # no run, no results
        assert holder.process.poll() is None  # the holder still runs
        assert wait_for_journal(agreement.journal, holder.process, done=5)
        second = agreement.run(agreement.command(source, sandbox, "r2"), "c")
        assert second.returncode == 2 and f"pid {holder.process.pid} on " in second.stderr
        assert not (tmp_path / "r2" / "results.csv").exists()  # it did not start a run

        holder.process.kill()  # kill -9: the lock dies with its process
        holder.wait()
        resumed = agreement.run(agreement.command(source, sandbox, "r3", concurrency=16), "d")
        stats = sandbox.stats()
        on_server = Counter(c["customerNumber"] for c in sandbox.customers())
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming the unfinished run" in resumed.stdout
    assert statuses(read_results(tmp_path / "r3")) == {"created": len(numbers)}
    assert set(on_server) == set(numbers) and max(on_server.values()) == 1
    assert stats["writes"] == len(numbers)


@contextmanager
def lock_held_by_the_test(agreement: Agreement, sandbox: SandboxProcess) -> Iterator[int]:
    """The agreement's lock, held by this test's process (its pid) for the block: a
    holder that stays as long as the test needs, whatever the machine's speed."""
    lock = lock_for(agreement.journal, target=target_id(sandbox.url, GRANT_TOKEN))
    assert lock is not None and lock.try_acquire(Holder.this_process(["the test"]))
    try:
        yield os.getpid()
    finally:
        lock.release()


def test_with_wait_the_second_import_runs_after_the_first_and_writes_nothing(
    agreement: Agreement, tmp_path: Path
) -> None:
    numbers = range(31_001, 31_081)
    source = write_customers(tmp_path / "customers.csv", numbers)
    with sandbox_process("--latency-ms", "5") as sandbox:
        with lock_held_by_the_test(agreement, sandbox) as pid:
            runs = []
            for machine, report in (("a", "r1"), ("b", "r2")):
                # With progress lines (no terminal), a line now and then shows the wait.
                command = agreement.command(source, sandbox, report, "--wait", "300")
                command.remove("--no-progress")
                runs.append(
                    agreement.start(command, machine, ECONOMIC_IMPORT_PROGRESS_INTERVAL="0.1")
                )
            for waiting in runs:
                line = waiting.stderr.line_with("waiting for")
                assert line is not None and f"pid {pid} on " in line and "the test" in line
                assert waiting.stderr.line_with("waiting for the lock: ") is not None
        ended = [waiting.wait() for waiting in runs]
        stats = sandbox.stats()
    assert [code for code, _, _ in ended] == [0, 0], ended
    assert all("the lock is ours after" in err for _, _, err in ended)
    found = sorted(tuple(statuses(read_results(tmp_path / r)).items()) for r in ("r1", "r2"))
    assert found == [(("created", len(numbers)),), (("skipped", len(numbers)),)]
    assert stats["writes"] == len(numbers)  # the one that ran second wrote nothing


def test_a_wait_that_runs_out_is_exit_2_and_sends_nothing(
    agreement: Agreement, tmp_path: Path
) -> None:
    source = write_customers(tmp_path / "customers.csv", range(32_001, 32_011))
    with sandbox_process() as sandbox, lock_held_by_the_test(agreement, sandbox) as pid:
        late = agreement.run(agreement.command(source, sandbox, "r", "--wait", "0.5"), "b")
        stats = sandbox.stats()
        preview = agreement.command(source, sandbox, "p")
        preview[preview.index("import")] = "validate"  # a dry run takes no lock
        previewed = agreement.run(preview, "b")
    assert previewed.returncode == 0, previewed.stdout + previewed.stderr
    assert late.returncode == 2, late.stdout + late.stderr
    lines = late.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"econ-import: waiting for pid {pid} on ")
    assert lines[1].startswith("econ-import: waited 0.5 s for the lock on the agreement at ")
    assert f"still held by pid {pid} " in lines[1] and "nothing was sent" in lines[1]
    assert stats["requests"] == 0 and not (tmp_path / "r" / "results.csv").exists()
