"""The state store failing under a run (issue #19): a PostgreSQL server lost mid-run, a
run killed on one machine and resumed on another, a state folder whose disk fills up or
turns read-only. Each stops in one line (exit 2 before the first request, exit 3 mid-run),
accounts for every row, and the same command finishes once the store is back, with every
row exactly once on the server."""

from __future__ import annotations

import random
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.pg import PgServer
from tests.runs import (
    PROCESS_TIMEOUT_S,
    env_with_tokens,
    import_command,
    read_results,
    sandbox_process,
    start_drained,
    statuses,
    wait_for_journal,
    write_customers,
    write_unnumbered_customers,
)


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=PROCESS_TIMEOUT_S, check=False)  # fmt: skip


def home(tmp_path: Path, name: str) -> dict[str, str]:
    """The environment of another machine: a home folder of its own."""
    return {**env_with_tokens(), "ECONOMIC_IMPORT_HOME": str(tmp_path / name)}


def stopped_line(err: str) -> str:
    """The one line a stopped run leaves on stderr (there must be exactly one)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in err
    return lines[0]


def test_a_run_killed_on_one_machine_resumes_on_another_and_a_third_writes_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    """PostgreSQL state; home folders A, B and C are three machines. Rows without numbers
    or a match rule: only the shared history can tell them apart from new ones."""
    count = 300
    source = write_unnumbered_customers(tmp_path / "crm.csv", count)
    kill_at = random.Random(19).randrange(20, count - 20)  # rows done when the kill comes
    with sandbox_process("--latency-ms", "20") as sandbox:
        command = [*import_command(source, url=sandbox.url, report=tmp_path / "r",
                                   journal=None, concurrency=4), "--state", pg_url]  # fmt: skip
        first = subprocess.Popen(command, env=home(tmp_path, "A"), cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        assert wait_for_journal(pg_url, first, done=kill_at)
        first.kill()
        first.wait(timeout=PROCESS_TIMEOUT_S)
        second = run(command, home(tmp_path, "B"), tmp_path)
        writes = sandbox.stats()["writes"]
        third = run(command, home(tmp_path, "C"), tmp_path)
        stats = sandbox.stats()
        on_server = Counter(c["name"] for c in sandbox.customers())
    assert second.returncode == 0, second.stdout + second.stderr
    assert "resuming the unfinished run in postgresql://postgres:***@" in second.stdout
    assert third.returncode == 0, third.stdout + third.stderr
    assert statuses(read_results(tmp_path / "r")) == {"skipped": count}
    assert len(on_server) == count and max(on_server.values()) == 1
    assert stats["writes"] == writes == count
    for name in "ABC":  # nothing of the history is on any machine
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize("loss", ["terminated", "server-stopped"])
def test_a_state_store_lost_mid_run_stops_it_in_one_line_and_the_rerun_finishes(
    pg_server: PgServer, pg_url: str, tmp_path: Path, loss: str
) -> None:
    numbers = range(40_001, 40_401)  # at 20 ms, 4 at a time: the loss comes seconds early
    source = write_customers(tmp_path / "customers.csv", numbers)
    with sandbox_process("--latency-ms", "20") as sandbox:

        def command(report: str) -> list[str]:
            return [*import_command(source, url=sandbox.url, report=tmp_path / report,
                                    journal=None, concurrency=4), "--state", pg_url]  # fmt: skip

        child = start_drained(command("r1"), env=env_with_tokens(), cwd=tmp_path)
        assert wait_for_journal(pg_url, child.process, done=30)
        try:
            if loss == "terminated":  # an administrator, or a fail-over, cuts the sessions
                with psycopg.connect(pg_server.url(), autocommit=True) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = %s AND pid <> pg_backend_pid()",
                        (urlsplit(pg_url).path.lstrip("/"),),
                    )
            else:
                pg_server.stop("fast")
            code, out, err = child.wait()
        finally:
            if loss != "terminated":
                pg_server.start()
        rerun = run(command("r2"), env_with_tokens(), tmp_path)
        stats = sandbox.stats()
        on_server = Counter(c["customerNumber"] for c in sandbox.customers())
    assert code == 3, out + err
    line = stopped_line(err)
    assert (
        line.startswith("Stopped: cannot ")
        and " the state store postgresql://postgres:***@" in line
    )
    assert pg_server.password not in out + err
    results = read_results(tmp_path / "r1")
    assert [int(r["row"]) for r in results] == list(range(2, len(numbers) + 2))
    counts = statuses(results)
    assert set(counts) <= {"created", "failed"} and counts.get("created", 0) >= 30
    assert all("STOPPED: " in r["errors"] for r in results if r["status"] == "failed")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "resuming the unfinished run" in rerun.stdout
    assert statuses(read_results(tmp_path / "r2")) == {"created": len(numbers)}
    assert set(on_server) == set(numbers) and max(on_server.values()) == 1
    assert stats["writes"] == len(numbers)


@contextmanager
def small_filesystem(path: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (root can; elsewhere the test is skipped)."""
    path.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"no small filesystem can be mounted here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=60, check=False)


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until its filesystem has no space left; the file."""
    filler = folder / "filler"
    with filler.open("wb") as handle, suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


def test_a_state_folder_that_fills_up_mid_run_stops_it_resumable(tmp_path: Path) -> None:
    """(A filesystem with files open for writing cannot be made read-only under them: that
    fault is checked before the first request, below.)"""
    numbers = range(50_001, 50_401)
    source = write_customers(tmp_path / "customers.csv", numbers)
    with (
        small_filesystem(tmp_path / "state") as state,
        sandbox_process("--latency-ms", "20") as sandbox,
    ):
        env = {**env_with_tokens(), "ECONOMIC_IMPORT_HOME": str(state)}
        command = import_command(source, url=sandbox.url, report=tmp_path / "r1", journal=None,
                                 concurrency=4)  # fmt: skip
        child = start_drained(command, env=env, cwd=tmp_path)
        assert wait_for_journal(state / "journal.sqlite", child.process, done=30)
        filler = fill(state)
        code, out, err = child.wait()
        filler.unlink()  # room again
        rerun = run(import_command(source, url=sandbox.url, report=tmp_path / "r2",
                                   journal=None, concurrency=4), env, tmp_path)  # fmt: skip
        stats = sandbox.stats()
        on_server = Counter(c["customerNumber"] for c in sandbox.customers())
    assert code == 3, out + err
    line = stopped_line(err)
    # The journal or the ledger, whichever writes first once there is no room.
    assert re.match(rf"Stopped: cannot write (journal|ledger) {re.escape(str(state))}/", line), line
    assert "database or disk is full" in line
    results = read_results(tmp_path / "r1")
    assert [int(r["row"]) for r in results] == list(range(2, len(numbers) + 2))
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert statuses(read_results(tmp_path / "r2")) == {"created": len(numbers)}
    assert set(on_server) == set(numbers) and max(on_server.values()) == 1
    assert stats["writes"] == len(numbers)


@pytest.mark.parametrize(
    ("fault", "cause"),
    [("full", "No space left on device"), ("read-only", "Read-only file system")],
)
def test_a_state_folder_that_is_full_or_read_only_stops_before_the_first_request(
    tmp_path: Path, fault: str, cause: str
) -> None:
    source = write_customers(tmp_path / "customers.csv", range(1, 11))
    with (
        small_filesystem(tmp_path / "state", size="1m") as state,
        sandbox_process() as sandbox,
    ):
        if fault == "full":
            fill(state)
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(state)], check=True, timeout=60)
        env = {**env_with_tokens(), "ECONOMIC_IMPORT_HOME": str(state)}
        done = run(import_command(source, url=sandbox.url, report=tmp_path / "r",
                                  journal=None), env, tmp_path)  # fmt: skip
        stats = sandbox.stats()
    assert done.returncode == 2, done.stdout + done.stderr
    line = stopped_line(done.stderr)
    assert line.startswith("econ-import: cannot use the lock ") and cause in line, line
    assert stats["requests"] == 0
