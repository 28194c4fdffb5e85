"""Exactly once under faults and crashes (issue #5): the real CLI against a faulty sandbox.

The sandbox runs as its own process with ``--fault-rate`` (503 before the write) and
``--drop-rate`` (the write commits, then the connection closes unanswered: the ambiguous
failure). Whatever happens, every valid row must exist on the server exactly once and
results.csv must account for every row.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

from pipeline.api import settings_from_env
from pipeline.api.retry import RetryPolicy
from pipeline.run import RunSettings, Step, prepare, run_import
from pipeline.run.importer import RunOutcome
from tests.conftest import APP_TOKEN, GRANT_TOKEN, CliResult, SandboxHandle
from tests.runs import (
    PROCESS_TIMEOUT_S,
    env_with_tokens,
    import_command,
    journal_counts,
    read_results,
    sandbox_process,
    statuses,
    wait_for_journal,
    write_customers,
    write_unnumbered_customers,
)

FIRST = 100_001


def test_5000_customers_under_faults_are_each_created_exactly_once(
    tmp_path: Path, tokens: tuple[str, str], cli
) -> None:
    numbers = range(FIRST, FIRST + 5000)
    invalid = set(numbers[::250])  # 20 rows without a name: never sent
    source = write_customers(tmp_path / "customers.csv", numbers, invalid=invalid)
    flags = ("--fault-rate", "0.1", "--drop-rate", "0.05", "--latency-ms", "3", "--seed", "1")
    with sandbox_process(*flags) as sandbox:
        result: CliResult = cli(
            "import", source, "--base-url", sandbox.url, "--report", tmp_path / "report",
            "--concurrency", "48", "--no-progress",
        )  # fmt: skip
        stats = sandbox.stats()
        on_server = Counter(c["customerNumber"] for c in sandbox.customers())
    assert result.code == 1, result.err  # the invalid rows
    assert stats["faults"] > 100 and stats["drops"] > 50  # the faults did happen
    valid = set(numbers) - invalid
    assert set(on_server) == valid
    assert max(on_server.values()) == 1
    assert stats["writes"] == len(valid)
    results = read_results(tmp_path / "report")
    assert [int(r["row"]) for r in results] == list(range(2, 5002))
    assert statuses(results) == {"created": len(valid), "invalid": len(invalid)}
    created = {int(r["key"]): r["id"] for r in results if r["status"] == "created"}
    assert all(created[n] == str(n) for n in valid)


def test_killed_at_random_moments_the_rerun_finishes_with_each_row_once(tmp_path: Path) -> None:
    """SIGKILL mid-run, four times at random progress points, then run until it finishes."""
    numbers = range(FIRST, FIRST + 1500)
    source = write_customers(tmp_path / "customers.csv", numbers)
    journal = tmp_path / "journal.sqlite"
    rng = random.Random(5)
    kills = sorted(rng.sample(range(60, 1400), 4))  # rows done when each kill comes
    with sandbox_process("--latency-ms", "5", "--drop-rate", "0.02", "--seed", "2") as sandbox:
        command = import_command(
            source, url=sandbox.url, report=tmp_path / "report", journal=journal
        )
        killed = 0
        for done in kills:
            process = subprocess.Popen(command, env=env_with_tokens(), cwd=tmp_path)
            if wait_for_journal(journal, process, done=done):
                process.kill()
                killed += 1
            process.wait(timeout=PROCESS_TIMEOUT_S)
        final = subprocess.run(
            command, env=env_with_tokens(), cwd=tmp_path, capture_output=True, text=True,
            timeout=PROCESS_TIMEOUT_S, check=False,
        )  # fmt: skip
        stats = sandbox.stats()
        on_server = Counter(c["customerNumber"] for c in sandbox.customers())
    assert killed >= 3
    assert final.returncode == 0, final.stdout + final.stderr
    assert "resuming the unfinished run" in final.stdout
    assert set(on_server) == set(numbers) and max(on_server.values()) == 1
    assert stats["writes"] == len(numbers)  # no write was repeated, none was lost
    results = read_results(tmp_path / "report")
    assert statuses(results) == {"created": len(numbers)}
    assert {int(r["id"]) for r in results} == set(numbers)
    summary = json.loads((tmp_path / "report" / "summary.json").read_text(encoding="utf-8"))
    assert summary["created"] == len(numbers) and not summary["interrupted"]


def test_runs_killed_before_and_after_finishing_leave_each_row_once(
    tmp_path: Path, state_home: Path
) -> None:
    """Customers without numbers (only the ledger recognises them), the same command run
    again and again: SIGKILLed at random moments, once let finish, then killed again while
    it only re-reads what is there, and a last run. Every row exactly once (issue #9)."""
    count = 400
    source = write_unnumbered_customers(tmp_path / "customers.csv", count)
    journal = state_home / "journal.sqlite"
    rng = random.Random(9)
    before = sorted(rng.sample(range(20, count - 20), 3))  # rows done when each kill comes
    after = [rng.uniform(0.0, 1.5) for _ in range(3)]  # seconds into a run that finds all
    with sandbox_process("--latency-ms", "5", "--drop-rate", "0.02", "--seed", "3") as sandbox:
        command = import_command(source, url=sandbox.url, report=tmp_path / "r", journal=None)
        killed = 0
        for done in before:
            process = subprocess.Popen(command, env=env_with_tokens(), cwd=tmp_path)
            if wait_for_journal(journal, process, done=done):
                process.kill()
                killed += 1
            process.wait(timeout=PROCESS_TIMEOUT_S)
        finished = subprocess.run(
            command, env=env_with_tokens(), cwd=tmp_path, capture_output=True, text=True,
            timeout=PROCESS_TIMEOUT_S, check=False,
        )  # fmt: skip
        writes = sandbox.stats()["writes"]
        for delay in after:
            process = subprocess.Popen(command, env=env_with_tokens(), cwd=tmp_path)
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.kill()
            process.wait(timeout=PROCESS_TIMEOUT_S)
        final = subprocess.run(
            command, env=env_with_tokens(), cwd=tmp_path, capture_output=True, text=True,
            timeout=PROCESS_TIMEOUT_S, check=False,
        )  # fmt: skip
        stats = sandbox.stats()
        on_server = Counter(c["name"] for c in sandbox.customers())
    assert killed >= 2
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert final.returncode == 0, final.stdout + final.stderr
    assert len(on_server) == count and max(on_server.values()) == 1
    assert stats["writes"] == writes == count  # nothing written after the finished run
    results = read_results(tmp_path / "r")
    assert statuses(results) == {"skipped": count}
    assert all("(ledger)" in r["errors"] for r in results)
    assert len({r["id"] for r in results}) == count


def test_an_unanswered_write_whose_key_expired_is_looked_up_not_sent_twice(
    start_sandbox, tmp_path: Path
) -> None:
    """Dropped answers, and keys that both sides forget at once: look up, never repeat.

    The sandbox forgets a key after a millisecond and the importer trusts one for as
    long, so a repeat with the same key could create (here: be refused as) a second
    customer. Each dropped write must instead be found by a fresh look-up and be done.
    """
    numbers = range(80_001, 80_301)
    source = write_customers(tmp_path / "customers.csv", numbers)
    outcome, stats, results = _import_with_keys_forgotten(
        start_sandbox, tmp_path, source, drop_rate=0.3, seed=4
    )
    assert stats["drops"] >= 50  # about 90 of 300 writes lost their answer
    assert outcome.exit_code == 0
    assert stats["writes"] == len(numbers)
    assert statuses(results) == {"created": len(numbers)}
    assert [r["id"] for r in results] == [str(n) for n in numbers]
    assert journal_counts(tmp_path / "j.sqlite") == {"done": len(numbers)}


def _import_with_keys_forgotten(
    start_sandbox,
    tmp_path: Path,
    source: Path,
    *,
    drop_rate: float,
    seed: int | None = None,
    server_ttl_s: float = 0.001,
    importer_ttl_s: float = 0.001,
) -> tuple[RunOutcome, dict[str, object], list[dict[str, str]]]:
    """Import ``source`` into a sandbox that drops the answer to a share (``drop_rate``) of
    the committed writes and forgets every key after ``server_ttl_s`` (by default a
    millisecond, as long as the importer trusts one): the run's outcome, the sandbox's
    stats and results.csv."""
    extra = {} if seed is None else {"seed": seed}
    sandbox: SandboxHandle = start_sandbox(
        bucket=100_000, drop_rate=drop_rate, idempotency_ttl=server_ttl_s, **extra
    )
    env = {"ECONOMIC_APP_SECRET_TOKEN": APP_TOKEN, "ECONOMIC_AGREEMENT_GRANT_TOKEN": GRANT_TOKEN}
    api = replace(
        settings_from_env(base_url=sandbox.url, env=env),
        key_ttl_s=importer_ttl_s,
        retry=RetryPolicy(base_delay_s=0.01),
    )
    steps = (Step(entity="customers", input=source),)
    settings = RunSettings(
        steps=steps, report_dir=tmp_path / "report", journal=tmp_path / "j.sqlite", progress=False
    )
    outcome = asyncio.run(run_import(settings, prepare(steps), api=api))
    return outcome, sandbox.stats(), read_results(tmp_path / "report")


def test_every_unanswered_write_is_found_by_its_look_up_whichever_row_it_is(
    start_sandbox, tmp_path: Path
) -> None:
    """The test above, for every row at once and independent of timing: with every answer
    lost, each row is settled by the look-up alone. One POST per row (a second would be
    refused as a duplicate number, or be dropped and counted), all ``created``."""
    numbers = range(80_001, 80_251)  # more than one $in batch (200) of look-ups
    source = write_customers(tmp_path / "customers.csv", numbers)
    _, stats, results = _import_with_keys_forgotten(start_sandbox, tmp_path, source, drop_rate=1.0)
    assert stats["writes"] == stats["drops"] == len(numbers)
    assert statuses(results) == {"created": len(numbers)}
    assert [r["id"] for r in results] == [str(n) for n in numbers]


def test_an_unanswered_write_without_a_number_fails_rather_than_risk_a_duplicate(
    start_sandbox, tmp_path: Path
) -> None:
    """No customer number, no match rule, and a key both sides have forgotten: nothing can
    prove the write absent, so it is never sent again (a second POST would be a silent
    duplicate) and the row says to check it."""
    source = write_unnumbered_customers(tmp_path / "customers.csv", 20)
    _, stats, results = _import_with_keys_forgotten(start_sandbox, tmp_path, source, drop_rate=1.0)
    assert stats["writes"] == stats["drops"] == 20
    assert stats["agreements"] and all(
        counts["customers"] == 20 for counts in stats["agreements"].values()
    )
    assert statuses(results) == {"failed": 20}
    assert all("NO_ANSWER" in r["errors"] for r in results)


def test_a_write_the_api_forgot_before_its_repeat_is_found_not_rejected(
    start_sandbox, tmp_path: Path
) -> None:
    """Every answer is lost and the sandbox forgets each key at once, while the importer
    still trusts its keys (an API that lost its idempotency cache): the repeat with the same
    key is refused, because the first attempt took the number. That refusal is not the
    kept first answer, so the row is looked up, found, and ``created``: once, no error."""
    numbers = range(81_001, 81_041)
    source = write_customers(tmp_path / "customers.csv", numbers)
    outcome, stats, results = _import_with_keys_forgotten(
        start_sandbox, tmp_path, source, drop_rate=1.0, server_ttl_s=1e-6, importer_ttl_s=3300
    )
    assert stats["writes"] == stats["drops"] == len(numbers)
    assert stats["requests"] > 2 * len(numbers)  # each POST was repeated, and refused
    assert stats["agreements"] and all(
        counts["customers"] == len(numbers) for counts in stats["agreements"].values()
    )
    assert statuses(results) == {"created": len(numbers)}
    assert [r["id"] for r in results] == [str(n) for n in numbers]
    assert not any(r["errors"] for r in results)
    assert outcome.exit_code == 0


def test_an_api_out_of_reach_stops_the_run_with_every_row_reported(tmp_path: Path) -> None:
    """Nothing listens: the first look-up fails every retry, and the run stops cleanly."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = write_customers(tmp_path / "customers.csv", range(1, 11))
    env = {"ECONOMIC_APP_SECRET_TOKEN": APP_TOKEN, "ECONOMIC_AGREEMENT_GRANT_TOKEN": GRANT_TOKEN}
    api = replace(
        settings_from_env(base_url=f"http://127.0.0.1:{port}", env=env),
        retry=RetryPolicy(max_attempts=2, base_delay_s=0.01),
    )
    steps = (Step(entity="customers", input=source),)
    settings = RunSettings(
        steps=steps, report_dir=tmp_path / "report", journal=tmp_path / "j.sqlite", progress=False
    )
    outcome = asyncio.run(run_import(settings, prepare(steps), api=api))
    assert outcome.exit_code == 2  # nothing was written
    assert "GET /customers" in outcome.stopped_by
    results = read_results(tmp_path / "report")
    assert statuses(results) == {"failed": 10}
    assert all("STOPPED: " in r["errors"] for r in results)
