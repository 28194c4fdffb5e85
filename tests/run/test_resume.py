"""Resuming (issue #5): the same command picks up an unfinished run where it stopped.

Done rows are reported as recorded and not sent again; rows in flight are settled first
(looked up, then sent only if absent: with the same key while it is young, a new one
after); failed rows are sent again only with ``--retry-failed``; a changed input is
refused in one line. Ctrl-C and SIGTERM stop a run cleanly with exit code 3.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.run import Step, prepare
from pipeline.state import Journal, target_id
from tests.conftest import GRANT_TOKEN, SandboxHandle
from tests.runs import (
    PROCESS_TIMEOUT_S,
    customer_body,
    env_with_tokens,
    import_command,
    journal_counts,
    post,
    read_results,
    start_drained,
    statuses,
    wait_for_journal,
    write_customers,
)

#: Past ``ApiSettings.key_ttl_s`` (55 minutes): the API may have forgotten the key.
HOURS_AGO = 2 * 3600


def open_journal(path: Path, source: Path, url: str) -> Journal:
    """The journal run the CLI would open for importing ``source`` into ``url``."""
    prepared = prepare([Step(entity="customers", input=source)])
    return Journal.open(
        path, target=target_id(url, GRANT_TOKEN), sources=[p.source for p in prepared]
    )


def set_sent_at(journal: Path, row: int, when: float) -> None:
    """Make a row's key look as old as ``when`` (as if sent by a run long ago)."""
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE rows SET sent_at=? WHERE row=?", (when, row))


def journal_keys(journal: Path) -> dict[int, str]:
    with sqlite3.connect(journal) as db:
        return dict(db.execute("SELECT row, idem_key FROM rows").fetchall())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_run_with_every_row_reported_and_the_rerun_resumes(
    start_sandbox, tmp_path: Path, signum: signal.Signals
) -> None:
    sandbox: SandboxHandle = start_sandbox(bucket=100_000, latency_ms=5)
    numbers = range(70_001, 75_101)  # 5,100 rows: two chunks, the second never reached
    source = write_customers(tmp_path / "customers.csv", numbers)
    journal = tmp_path / "journal.sqlite"
    first = import_command(source, url=sandbox.url, report=tmp_path / "run1", journal=journal)
    child = start_drained(first, env=env_with_tokens(), cwd=tmp_path)
    assert wait_for_journal(journal, child.process, done=100)
    child.process.send_signal(signum)
    code, _, err = child.wait()
    assert code == 3, err
    assert "Traceback" not in err
    results = read_results(tmp_path / "run1")
    assert [int(r["row"]) for r in results] == list(range(2, len(numbers) + 2))
    counts = statuses(results)
    assert set(counts) == {"created", "failed"} and counts["created"] >= 100
    assert all("STOPPED: " in r["errors"] for r in results if r["status"] == "failed")
    assert all("not sent" in r["errors"] for r in results[5000:])  # the unread chunk
    summary = json.loads((tmp_path / "run1" / "summary.json").read_text(encoding="utf-8"))
    assert summary["interrupted"] is True and summary["rows"] == len(numbers)
    by_entity = summary["by_entity"]["customers"]  # the stopped run's rows, per entity too
    assert (by_entity["rows"], by_entity["created"]) == (len(numbers), counts["created"])
    assert by_entity["failed"] == counts["failed"]
    recorded = journal_counts(journal)
    assert recorded.get("done") == counts["created"] and "failed" not in recorded
    created_first = {r["row"]: r["id"] for r in results if r["status"] == "created"}

    second = import_command(source, url=sandbox.url, report=tmp_path / "run2", journal=journal)
    rerun = subprocess.run(
        second, env=env_with_tokens(), cwd=tmp_path, capture_output=True, text=True,
        timeout=PROCESS_TIMEOUT_S, check=False,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "resuming the unfinished run" in rerun.stdout
    again = read_results(tmp_path / "run2")
    assert statuses(again) == {"created": len(numbers)}
    summary = json.loads((tmp_path / "run2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["by_entity"]["customers"]["created"] == len(numbers)
    assert all(again[int(row) - 2]["id"] == id for row, id in created_first.items())
    stats = sandbox.stats()
    assert stats["writes"] == len(numbers)
    assert stats["agreements"] and sum(a["customers"] for a in stats["agreements"].values()) == len(
        numbers
    )


def test_rows_in_flight_are_looked_up_and_sent_only_if_absent(
    sandbox: SandboxHandle, tokens: tuple[str, str], cli, tmp_path: Path
) -> None:
    """Rows 2-5 were in flight when a run died; row 6 was done. The resume settles them."""
    source = write_customers(tmp_path / "customers.csv", [501, 502, 503, 504, 505])
    path = tmp_path / "journal.sqlite"
    journal = open_journal(path, source, sandbox.url)
    sid = prepare([Step("customers", source)])[0].source.source_id
    keys = {row: journal.idempotency_key(sid, row, "POST") for row in (2, 3, 4, 5)}
    for row, key in keys.items():
        journal.mark_inflight(sid, row, key=key, method="POST", path="/customers")
    journal.mark_done(
        sid, 6, status="created", http_status=201, api_id="505", entity="customers", source_key=""
    )
    journal.close()
    set_sent_at(path, 4, time.time() - HOURS_AGO)
    set_sent_at(path, 5, time.time() - HOURS_AGO)
    # The writes of rows 2 and 4 reached the API before the run died; 3 and 5 did not.
    assert post(sandbox.url, "/customers", customer_body(501), key=keys[2]) == 201
    assert post(sandbox.url, "/customers", customer_body(503), key=keys[4]) == 201
    # Row 5's old key still names another answer: sending it again would be a replay.
    assert post(sandbox.url, "/customers", customer_body(999), key=keys[5]) == 201
    writes = sandbox.stats()["writes"]

    result = cli("import", source, "--base-url", sandbox.url, "--journal", path,
                 "--report", tmp_path / "report", "--no-progress")  # fmt: skip

    assert result.code == 0, result.out + result.err
    assert "resuming the unfinished run" in result.out
    results = read_results(tmp_path / "report")
    assert [(r["status"], r["id"]) for r in results] == [
        ("created", "501"), ("created", "502"), ("created", "503"), ("created", "504"),
        ("created", "505"),
    ]  # fmt: skip
    assert sandbox.stats()["writes"] == writes + 2  # rows 3 and 5 only; 6 was done
    now = journal_keys(path)
    assert now[3] == keys[3]  # a young key is sent again as it was
    assert now[5] != keys[5]  # an old one is never trusted again


@pytest.mark.parametrize("retry", [False, True], ids=["plain", "retry-failed"])
def test_failed_rows_are_sent_again_only_with_retry_failed(
    sandbox: SandboxHandle, tokens: tuple[str, str], cli, tmp_path: Path, retry: bool
) -> None:
    """Row 2 was rejected (group 9 missing) before the run stopped; group 9 exists now."""
    source = write_customers(tmp_path / "customers.csv", [601, 602], groups={601: 9})
    path = tmp_path / "journal.sqlite"
    journal = open_journal(path, source, sandbox.url)
    sid = prepare([Step("customers", source)])[0].source.source_id
    key = journal.idempotency_key(sid, 2, "POST")  # the key the run used
    journal.mark_inflight(sid, 2, key=key, method="POST", path="/customers")
    assert post(sandbox.url, "/customers", customer_body(601, group=9), key=key) == 400
    journal.mark_failed(sid, 2, status="rejected", http_status=400, errors=[])
    journal.close()
    body = {"customerGroupNumber": 9, "name": "Nye kunder"}
    assert post(sandbox.url, "/customer-groups", body, key="make-group-9") == 201
    writes = sandbox.stats()["writes"]

    flags = ["--retry-failed"] if retry else []
    result = cli("import", source, "--base-url", sandbox.url, "--journal", path,
                 "--report", tmp_path / "report", "--no-progress", *flags)  # fmt: skip

    results = read_results(tmp_path / "report")
    if retry:  # with a new key: the old one would replay the 400
        assert result.code == 0, result.out + result.err
        assert [r["status"] for r in results] == ["created", "created"]
        assert sandbox.stats()["writes"] == writes + 2
    else:
        assert result.code == 1
        assert [(r["status"], r["http_status"]) for r in results] == [
            ("rejected", "400"), ("created", "201"),
        ]  # fmt: skip
        assert sandbox.stats()["writes"] == writes + 1


def test_a_changed_input_is_refused_in_one_line_and_restart_starts_afresh(
    sandbox: SandboxHandle, tokens: tuple[str, str], cli, tmp_path: Path
) -> None:
    source = write_customers(tmp_path / "customers.csv", [701, 702])
    path = tmp_path / "journal.sqlite"
    open_journal(path, source, sandbox.url).close()  # a run that never finished
    write_customers(source, [701, 702, 703])

    args = ("import", source, "--base-url", sandbox.url, "--journal", path, "--no-progress")
    refused = cli(*args, "--report", tmp_path / "refused")
    assert refused.code == 2
    lines = refused.err.strip().splitlines()
    assert len(lines) == 1 and "has changed since the unfinished run" in lines[0]
    assert "--restart" in lines[0]
    assert sandbox.stats()["writes"] == 0

    restarted = cli(*args, "--report", tmp_path / "restarted", "--restart")
    assert restarted.code == 0, restarted.err
    assert statuses(read_results(tmp_path / "restarted")) == {"created": 3}
