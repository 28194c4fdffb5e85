"""The preview (issue #11): a dry run with a target lists every change and sends no write;
the import that follows sends exactly those writes. Real CLI, real sandbox, real files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from pipeline.write import CHANGE_COLUMNS
from tests.conftest import GRANT_TOKEN, CliResult, SandboxHandle
from tests.runs import (
    PROCESS_TIMEOUT_S,
    env_with_tokens,
    import_command,
    read_results,
    write_customers,
)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def exported(cli: Callable[..., CliResult], sandbox: SandboxHandle, tmp: Path) -> list[list[str]]:
    """Customers 1..5 imported, then exported: the file a clean-up starts from."""
    seed = write_customers(tmp / "seed.csv", range(1, 6))
    assert cli("import", seed, "--base-url", sandbox.url, "--report", tmp / "seed").code == 0
    assert cli("export", "customers", "-o", tmp / "export.csv", "--base-url", sandbox.url).code == 0
    return read_rows(tmp / "export.csv")


def edit(rows: list[list[str]], number: str, **cells: str) -> None:
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == number)
    for path, value in cells.items():
        row[header.index(path.replace("__", "."))] = value


def new_row(header: list[str], **cells: str) -> list[str]:
    return [cells.get(path.replace(".", "__"), "") for path in header]


def test_a_preview_lists_every_change_and_the_import_sends_exactly_those(
    sandbox: SandboxHandle, tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    rows = exported(cli, sandbox, tmp_path)
    edit(rows, "2", email="ny@kunde2.dk")
    edit(rows, "3", city="Aarhus", name="Kunde 3 Holding ApS")
    references = {
        "customerGroup__customerGroupNumber": "1",
        "paymentTerms__paymentTermsNumber": "1",
        "vatZone__vatZoneNumber": "1",
    }
    rows.append(new_row(rows[0], customerNumber="6", name="Ny ApS", currency="DKK", **references))
    source = write_rows(tmp_path / "edited.csv", rows)
    writes = sandbox.stats()["writes"]

    preview = cli("validate", source, "--mode", "upsert", "--base-url", sandbox.url,
                  "--report", tmp_path / "preview")  # fmt: skip

    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == writes  # only GETs
    changes = read_rows(tmp_path / "preview" / "changes.csv")
    s = str(source)  # the input as given on the command line, as in results.csv
    assert changes == [
        list(CHANGE_COLUMNS),
        [s, "", "3", "customers", "2", "2", "update", "email", "k2@example.dk", "ny@kunde2.dk"],
        [s, "", "4", "customers", "3", "3", "update", "name", "Kunde 3 ApS", "Kunde 3 Holding ApS"],
        [s, "", "4", "customers", "3", "3", "update", "city", "", "Aarhus"],
        [s, "", "7", "customers", "6", "", "create", "customerNumber", "", "6"],
        [s, "", "7", "customers", "6", "", "create", "name", "", "Ny ApS"],
        [s, "", "7", "customers", "6", "", "create", "currency", "", "DKK"],
        [s, "", "7", "customers", "6", "", "create", "customerGroup.customerGroupNumber", "", "1"],
        [s, "", "7", "customers", "6", "", "create", "paymentTerms.paymentTermsNumber", "", "1"],
        [s, "", "7", "customers", "6", "", "create", "vatZone.vatZoneNumber", "", "1"],
    ]  # fmt: skip
    summary = json.loads((tmp_path / "preview" / "summary.json").read_text())
    assert summary["changes"] == {"create": 1, "update": 2, "links": 0, "unchanged": 3, "skip": 0}
    assert "1 to create, 2 to update, 3 unchanged, 0 skipped" in preview.out
    assert str(tmp_path / "preview" / "changes.csv") in preview.out

    done = cli("import", source, "--mode", "upsert", "--base-url", sandbox.url,
               "--report", tmp_path / "import", "--journal", tmp_path / "j.sqlite")  # fmt: skip

    assert done.code == 0, done.out
    planned = {(line[2], line[6] + "d") for line in changes[1:]}
    written = {(r["row"], r["status"]) for r in read_results(tmp_path / "import")
               if r["status"] in ("created", "updated")}  # fmt: skip
    assert written == planned == {("3", "updated"), ("4", "updated"), ("7", "created")}
    assert sandbox.stats()["writes"] == writes + len(planned)

    # Previewed again, nothing is left to change: a header and no lines, and no write.
    again = cli("validate", source, "--mode", "upsert", "--base-url", sandbox.url,
                "--report", tmp_path / "again")  # fmt: skip
    assert again.code == 0
    assert read_rows(tmp_path / "again" / "changes.csv") == [list(CHANGE_COLUMNS)]
    assert "0 to create, 0 to update, 6 unchanged, 0 skipped" in again.out
    assert sandbox.stats()["writes"] == writes + len(planned)


def test_a_preview_decides_skips_rejections_and_partial_rows_as_the_import_does(
    sandbox: SandboxHandle, tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    exported(cli, sandbox, tmp_path)
    source = write_rows(tmp_path / "fix.csv", [
        ["customerNumber", "email"], ["1", "ny@1.dk"], ["9", "ny@9.dk"], ["2", "k2@example.dk"],
    ])  # fmt: skip
    writes = sandbox.stats()["writes"]

    update = cli("import", source, "--dry-run", "--mode", "update", "--base-url", sandbox.url,
                 "--report", tmp_path / "update")  # fmt: skip
    upsert = cli("validate", source, "--mode", "upsert", "--base-url", sandbox.url,
                 "--report", tmp_path / "upsert")  # fmt: skip
    # The untouched export in create mode: every record exists already.
    create = cli("validate", tmp_path / "export.csv", "--base-url", sandbox.url,
                 "--report", tmp_path / "create")  # fmt: skip

    assert sandbox.stats()["writes"] == writes
    statuses = {
        mode: [r["status"] for r in read_results(tmp_path / mode)]
        for mode in ("update", "upsert", "create")
    }
    assert statuses == {
        "update": ["valid", "rejected", "unchanged"],
        "upsert": ["valid", "invalid", "unchanged"],  # 9 is absent and only has an e-mail
        "create": ["skipped"] * 5,
    }
    for mode in ("update", "upsert"):
        lines = read_rows(tmp_path / mode / "changes.csv")[1:]
        assert [(line[2], line[6], line[7], line[8], line[9]) for line in lines] == [
            ("2", "update", "email", "k1@example.dk", "ny@1.dk")
        ]
    assert read_rows(tmp_path / "create" / "changes.csv")[1:] == []
    summary = json.loads((tmp_path / "create" / "summary.json").read_text())
    assert summary["changes"] == {"create": 0, "update": 0, "links": 0, "unchanged": 0, "skip": 5}
    assert summary["skipped_existing"] == 5
    # Issue #9: rows skipped because their record exists are a success, so create exits 0.
    assert (update.code, upsert.code, create.code) == (1, 1, 0)


def test_changes_xlsx_reads_at_a_glance_and_holds_no_formula_and_no_token(
    sandbox: SandboxHandle, tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    rows = exported(cli, sandbox, tmp_path)
    edit(rows, "1", name='=HYPERLINK("http://x")', city=f"by {GRANT_TOKEN}")
    source = write_rows(tmp_path / "edited.csv", rows)

    result = cli("validate", source, "--mode", "update", "--base-url", sandbox.url,
                 "--report", tmp_path / "r")  # fmt: skip

    assert result.code == 0, result.out
    lines = read_rows(tmp_path / "r" / "changes.csv")
    assert [line[7:] for line in lines[1:]] == [
        ["name", "Kunde 1 ApS", '\'=HYPERLINK("http://x")'],  # neutralised in the CSV
        ["city", "", "by ***"],
    ]
    sheet = openpyxl.load_workbook(tmp_path / "r" / "changes.xlsx").active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == list(CHANGE_COLUMNS)
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["I"].width >= 30 and sheet.column_dimensions["J"].width >= 30
    name = sheet["J2"]
    assert (name.value, name.data_type) == ('=HYPERLINK("http://x")', "s")  # text, not a formula
    assert sheet["I2"].fill.fgColor.rgb != sheet["J2"].fill.fgColor.rgb  # old and new tinted
    assert sheet["J3"].value == "by ***"
    assert sheet["C2"].value == 2
    assert GRANT_TOKEN not in (tmp_path / "r" / "changes.csv").read_text()


def test_a_dry_run_without_a_target_says_there_is_no_preview(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: object
) -> None:
    source = write_customers(tmp_path / "c.csv", range(1, 3))

    result = cli("validate", source, "--mode", "upsert", "--report", tmp_path / "r")

    assert result.code == 0
    assert "no target: no preview" in result.out
    assert not (tmp_path / "r" / "changes.csv").exists()
    assert not (tmp_path / "r" / "changes.xlsx").exists()
    assert "changes" not in json.loads((tmp_path / "r" / "summary.json").read_text())


def test_the_environments_base_url_is_a_target_and_offline_sends_nothing(
    sandbox: SandboxHandle,
    tokens: object,
    cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue #21: ECONOMIC_BASE_URL with both tokens is a target, as --base-url is."""
    source = write_customers(tmp_path / "c.csv", range(1, 4))
    monkeypatch.setenv("ECONOMIC_BASE_URL", sandbox.url)

    previewed = cli("validate", source, "--report", tmp_path / "p")
    requests = sandbox.stats()["requests"]
    offline = cli("validate", source, "--offline", "--report", tmp_path / "o")

    assert previewed.code == 0, previewed.err
    assert "no target" not in previewed.out
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["changes"]["create"] == 3
    assert (tmp_path / "p" / "changes.csv").exists()
    assert offline.code == 0, offline.err
    assert "no target: no preview" in offline.out
    assert sandbox.stats()["requests"] == requests  # --offline sent nothing at all
    assert not (tmp_path / "o" / "changes.csv").exists()


def test_a_preview_of_contacts_matches_them_within_their_customer(
    sandbox: SandboxHandle, tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    exported(cli, sandbox, tmp_path)
    first = write_rows(tmp_path / "c1.csv", [
        ["customer.customerNumber", "name", "email"], ["1", "Anna", "anna@k1.dk"],
    ])  # fmt: skip
    assert cli("import", first, "--entity", "contacts", "--base-url", sandbox.url,
               "--report", tmp_path / "c1").code == 0  # fmt: skip
    second = write_rows(tmp_path / "c2.csv", [
        ["customer.customerNumber", "name", "email", "phone"],
        ["1", "", "ANNA@k1.dk", "12345678"], ["2", "Bo", "bo@k2.dk", ""],
    ])  # fmt: skip
    writes = sandbox.stats()["writes"]

    result = cli("validate", second, "--entity", "contacts", "--mode", "upsert",
                 "--base-url", sandbox.url, "--report", tmp_path / "r")  # fmt: skip

    assert result.code == 0, result.out
    assert sandbox.stats()["writes"] == writes
    lines = read_rows(tmp_path / "r" / "changes.csv")[1:]
    assert [(line[2], line[6], line[7], line[8], line[9]) for line in lines] == [
        # Matched case-insensitively, yet the e-mail's text differs: the PUT would send it.
        ("2", "update", "email", "anna@k1.dk", "ANNA@k1.dk"),
        ("2", "update", "phone", "", "12345678"),
        ("3", "create", "customer.customerNumber", "", "2"),
        ("3", "create", "name", "", "Bo"),
        ("3", "create", "email", "", "bo@k2.dk"),
    ]


def test_a_preview_killed_half_way_wrote_nothing_and_the_next_one_is_whole(
    start_sandbox: Callable[..., SandboxHandle], tmp_path: Path
) -> None:
    # Five look-ups of 250-750 ms each: the kill after the first lands well before the end.
    sandbox = start_sandbox(bucket=100_000, latency_ms=500)
    env = env_with_tokens()
    seed = write_customers(tmp_path / "seed.csv", range(1, 4))
    seeding = import_command(seed, url=sandbox.url, report=tmp_path / "seed",
                             journal=tmp_path / "j.sqlite")  # fmt: skip
    done = subprocess.run(seeding, env=env, capture_output=True, timeout=PROCESS_TIMEOUT_S,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    source = write_customers(tmp_path / "all.csv", range(1, 1001))  # 1..3 exist, unchanged
    writes, requests = sandbox.stats()["writes"], sandbox.stats()["requests"]
    command = [sys.executable, "-m", "pipeline", "validate", str(source), "--mode", "upsert",
               "--base-url", sandbox.url, "--no-progress"]  # fmt: skip

    process = subprocess.Popen([*command, "--report", str(tmp_path / "killed")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while sandbox.stats()["requests"] < requests + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.kill()
    process.communicate(timeout=PROCESS_TIMEOUT_S)
    assert process.returncode == -9  # killed half-way, not finished
    assert not (tmp_path / "killed" / "summary.json").exists()
    assert sandbox.stats()["writes"] == writes

    again = subprocess.run([*command, "--report", str(tmp_path / "again")], env=env,
                           capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
                           check=False)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert summary["changes"] == {"create": 997, "update": 0, "links": 0, "unchanged": 3, "skip": 0}
    assert len(read_rows(tmp_path / "again" / "changes.csv")) == 1 + 997 * 7
    assert sandbox.stats()["writes"] == writes
