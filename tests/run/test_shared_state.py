"""A shared state store (issue #19): ``--state postgresql://...`` keeps the journal and the
ledger in one database, so every machine (here: every ``ECONOMIC_IMPORT_HOME``) pointed at
it shares one history. The real CLI, the real sandbox, a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import SandboxHandle
from tests.pg import PgServer
from tests.runs import pg_journal_counts, read_results, statuses, write_unnumbered_customers


def run(cli: Any, sandbox: SandboxHandle, source: Path, report: Path, *args: str | Path) -> Any:
    return cli("import", source, "--base-url", sandbox.url, "--report", report,
               "--no-progress", *args)  # fmt: skip


def test_a_second_run_from_another_home_folder_writes_nothing(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path, pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    source = write_unnumbered_customers(tmp_path / "crm.csv", 12)  # only a ledger knows them
    first = run(cli, sandbox, source, tmp_path / "r1", "--state", pg_url)
    assert first.code == 0, first.err
    assert statuses(read_results(tmp_path / "r1")) == {"created": 12}
    assert "postgresql://postgres:***@" in first.out and pg_url not in first.out + first.err
    writes = sandbox.stats()["writes"]
    # Another machine: a fresh home folder, the store named by the environment.
    monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ECONOMIC_IMPORT_STATE", pg_url)
    second = run(cli, sandbox, source, tmp_path / "r2")
    assert second.code == 0, second.err
    assert statuses(read_results(tmp_path / "r2")) == {"skipped": 12}
    assert sandbox.stats()["writes"] == writes
    assert not (tmp_path / "elsewhere").exists()  # nothing in the home folder

    removed = cli("forget", "--base-url", sandbox.url)
    assert removed.code == 0 and "12 customers" in removed.out and pg_url not in removed.out


def test_a_store_that_refuses_the_login_stops_before_the_first_request(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path, pg_server: PgServer
) -> None:
    source = write_unnumbered_customers(tmp_path / "crm.csv", 3)
    url = pg_server.url(password="not-the-password-0815")
    result = run(cli, sandbox, source, tmp_path / "r", "--state", url)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("econ-import: cannot reach the state store"), (
        lines
    )
    assert "password authentication failed" in lines[0]
    assert "not-the-password-0815" not in result.out + result.err
    assert sandbox.stats()["requests"] == 0  # not even the plan's probes


def test_an_unknown_kind_of_store_is_refused_in_one_line(
    tokens: object, cli: Any, tmp_path: Path
) -> None:
    source = write_unnumbered_customers(tmp_path / "crm.csv", 1)
    result = cli("import", source, "--state", "mysql://u:pw1234567@h/x", "--report",
                 tmp_path / "r", "--base-url", "http://127.0.0.1:9")  # fmt: skip
    assert result.code == 2
    assert result.err.count("\n") == 1 and "postgresql:// URL or a folder" in result.err
    assert "pw1234567" not in result.err


def test_a_state_path_that_is_not_a_folder_stops_before_the_first_request(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    source = write_unnumbered_customers(tmp_path / "crm.csv", 3)
    blocker = tmp_path / "state"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    result = run(cli, sandbox, source, tmp_path / "r", "--state", blocker)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "is not a folder" in lines[0], lines
    assert "Traceback" not in result.err
    assert sandbox.stats()["requests"] == 0


def test_a_preview_reads_the_shared_store_and_writes_nothing_there(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path, pg_url: str,
    pg_server: PgServer,
) -> None:  # fmt: skip
    source = write_unnumbered_customers(tmp_path / "crm.csv", 5)
    fresh = pg_server.create_database("preview_" + tmp_path.name[-8:].replace("-", "_"))
    preview = cli("validate", source, "--base-url", sandbox.url, "--state", fresh,
                  "--report", tmp_path / "p0", "--no-progress")  # fmt: skip
    assert preview.code == 0, preview.err
    with psycopg.connect(fresh) as conn:  # a preview creates no schema, no table
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname='econ_import'"
        ).fetchone() == (0,)
    assert run(cli, sandbox, source, tmp_path / "r1", "--state", pg_url).code == 0
    before = pg_journal_counts(pg_url)
    again = cli("validate", source, "--base-url", sandbox.url, "--state", pg_url,
                "--report", tmp_path / "p1", "--no-progress")  # fmt: skip
    assert again.code == 0, again.err
    assert statuses(read_results(tmp_path / "p1")) == {"skipped": 5}  # the ledger knows them
    assert pg_journal_counts(pg_url) == before


def test_the_shared_store_holds_no_token_and_no_row_data(
    sandbox: SandboxHandle, tokens: tuple[str, str], cli: Any, tmp_path: Path, pg_url: str
) -> None:
    source = write_unnumbered_customers(tmp_path / "crm.csv", 4)
    assert run(cli, sandbox, source, tmp_path / "r", "--state", pg_url).code == 0
    with psycopg.connect(pg_url) as conn:
        tables = [n for (n,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='econ_import'"
        )]  # fmt: skip
        text = "\n".join(
            str(row) for t in tables for row in conn.execute(f"SELECT * FROM econ_import.{t}")
        )
    assert "ledger" in tables and "Kunde 1 ApS" not in text and "k1@example.dk" not in text
    assert all(token not in text for token in tokens)
