"""Importing customers end to end (issue #3): the samples, the report, fixing and re-importing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.read import open_table
from pipeline.write.outcome import RESULT_COLUMNS, SUMMARY_FIELDS
from tests.conftest import REPO, SandboxHandle, api_get

SAMPLES = REPO / "samples"
MAPPINGS = REPO / "mappings"

#: (input, sheet, mapping, rows that must not succeed -> expected status)
CASES = [
    pytest.param(
        "customers.csv",
        None,
        "customers.toml",
        {
            16: "invalid",
            20: "invalid",
            24: "invalid",
            28: "invalid",
            32: "invalid",
            37: "invalid",
            41: "invalid",
            45: "rejected",
            49: "rejected",
        },
        id="customers-csv",
    ),
    pytest.param(
        "legacy-export.csv",
        None,
        "legacy-export.toml",
        {8: "invalid", 16: "invalid", 27: "invalid", 34: "invalid"},
        id="legacy-export-cp1252",
    ),
    pytest.param(
        "customers.xlsx",
        "Kunder",
        "customers.toml",
        {10: "invalid", 18: "invalid", 25: "invalid"},
        id="customers-xlsx",
    ),
]


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def import_sample(cli, sandbox: SandboxHandle, report: Path):  # type: ignore[no-untyped-def]
    """samples/customers.csv with its mapping, into ``sandbox``, reported in ``report``."""
    return cli("import", SAMPLES / "customers.csv", "--mapping", MAPPINGS / "customers.toml",
               "--base-url", sandbox.url, "--report", report)  # fmt: skip


def data_rows(path: Path, sheet: str | None) -> list[int]:
    table = open_table(path, sheet=sheet)
    return [int(row) for chunk in table.chunks() for row in chunk.index]


@pytest.mark.parametrize(("name", "sheet", "mapping", "bad"), CASES)
def test_every_sample_row_has_exactly_one_result_line_in_input_order(
    name: str,
    sheet: str | None,
    mapping: str,
    bad: dict[int, str],
    sandbox: SandboxHandle,
    tokens: object,
    cli,
    tmp_path: Path,
) -> None:
    args = [
        "import",
        SAMPLES / name,
        "--mapping",
        MAPPINGS / mapping,
        "--base-url",
        sandbox.url,
        "--report",
        tmp_path / "r",
    ]
    if sheet:
        args += ["--sheet", sheet]
    result = cli(*args)
    with (tmp_path / "r" / "results.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    results = read_csv(tmp_path / "r" / "results.csv")

    assert result.code == 1
    assert tuple(header) == RESULT_COLUMNS
    assert [int(r["row"]) for r in results] == data_rows(SAMPLES / name, sheet)
    failed = {int(r["row"]): r["status"] for r in results if r["status"] != "created"}
    assert failed == bad
    created = [r for r in results if r["status"] == "created"]
    assert all(r["id"] and r["http_status"] == "201" for r in created)
    assert all(r["errors"] for r in results if r["status"] != "created")


def test_summary_json_counts_what_results_csv_says(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    import_sample(cli, sandbox, tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    results = read_csv(tmp_path / "r" / "results.csv")

    assert list(summary)[: len(SUMMARY_FIELDS)] == list(SUMMARY_FIELDS)
    assert summary["rows"] == len(results) == 60
    for status in ("created", "invalid", "rejected"):
        assert summary[status] == sum(r["status"] == status for r in results)
    assert summary["requests"] >= summary["created"] + summary["rejected"]


def test_errors_jsonl_has_one_object_per_error_with_its_origin(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    import_sample(cli, sandbox, tmp_path / "r")
    lines = (tmp_path / "r" / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    errors = [json.loads(line) for line in lines]

    assert {"row", "property", "code", "message", "value", "origin"} <= set(errors[0])
    api = [e for e in errors if e["origin"] == "api"]
    assert {(e["row"], e["code"]) for e in api} == {(45, "E07140"), (49, "E07080")}
    local = {(e["row"], e["property"]) for e in errors if e["origin"] == "local"}
    assert (16, "name") in local and (20, "currency") in local


FIXES = {  # row -> (source column, fixed value), for customers.csv's invalid rows
    16: ("Name", "Rettet Navn ApS"),
    20: ("Currency", "DKK"),
    24: ("CustomerNo", "1023"),
    28: ("CustomerNo", "1027"),
    32: ("EAN", "5790000123456"),
    37: ("CustomerNo", "1036"),
    41: ("PaymentTerms", "3"),
    45: ("Group", "1"),
    49: ("PaymentTerms", "3"),
}


def test_errors_xlsx_reimports_after_its_rows_are_fixed(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    import_sample(cli, sandbox, tmp_path / "first")
    book = load_workbook(tmp_path / "first" / "errors.xlsx")
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    assert headers[-1] == "errors"
    assert len(rows) == len(FIXES)
    # The failing rows come in input order; fix each one's problem as a person would.
    for cells, row in zip(rows, sorted(FIXES), strict=True):
        column, value = FIXES[row]
        cell = cells[headers.index(column)]
        if row not in (45, 49):  # API rejections name the reference, not a local cell
            assert cell.comment is not None, f"row {row}: failing cell has no comment"
            assert cell.fill.fgColor.rgb not in (None, "00000000")
        cell.value = value
    book.save(tmp_path / "fixed.xlsx")

    second = cli(
        "import",
        tmp_path / "fixed.xlsx",
        "--mapping",
        MAPPINGS / "customers.toml",
        "--base-url",
        sandbox.url,
        "--report",
        tmp_path / "second",
    )
    results = read_csv(tmp_path / "second" / "results.csv")

    assert [r["status"] for r in results] == ["created"] * len(FIXES), second.out
    assert second.code == 0


def test_errors_csv_reimports_with_formula_cells_restored(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "customerNumber;name;currency;customerGroup.customerGroupNumber;"
        "paymentTerms.paymentTermsNumber;vatZone.vatZoneNumber\n"
        '501;=HYPERLINK("http://x.example");DK;1;1;1\n'
        "502;+45 Kiosk;DKK;1;1;1\n",
        encoding="cp1252",
    )
    cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "r")
    errors_csv = tmp_path / "r" / "errors.csv"
    raw = errors_csv.read_text(encoding="cp1252")
    assert "'=HYPERLINK" in raw  # neutralised: a spreadsheet shows it as text
    fixed = raw.replace(";DK;", ";DKK;")
    errors_csv.write_text(fixed, encoding="cp1252")

    again = cli("import", errors_csv, "--base-url", sandbox.url, "--report", tmp_path / "r2")
    assert again.code == 0, again.out
    customer = sandbox.call(lambda: api_get(sandbox.url, "/customers/501"))
    assert customer["name"] == '=HYPERLINK("http://x.example")'


def test_a_repeated_customer_number_that_is_also_the_key_is_one_error(cli, tmp_path: Path) -> None:
    # customers.toml: key = "CustomerNo", the column mapped to customerNumber; row 37
    # repeats row 36's 1035.
    cli("validate", SAMPLES / "customers.csv", "--mapping", MAPPINGS / "customers.toml",
        "--report", tmp_path / "r", "--no-progress")  # fmt: skip
    row = {r["row"]: r for r in read_csv(tmp_path / "r" / "results.csv")}["37"]
    errors = (tmp_path / "r" / "errors.jsonl").read_text(encoding="utf-8").splitlines()

    assert row["errors"] == "customerNumber: customerNumber 1035 also on row 36 (E04400)"
    assert all(json.loads(line)["property"] != "_key" for line in errors)


def test_a_repeated_source_key_names_and_marks_the_key_column(cli, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "Kundekode,Kundenr,Navn\nK-1,501,Alfa ApS\nK-1,502,Beta ApS\n", encoding="utf-8"
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        'entity = "customers"\nkey = "Kundekode"\n[columns]\n'
        '"Kundenr" = "customerNumber"\n"Navn" = "name"\n[constants]\n'
        '"currency" = "DKK"\n"customerGroup.customerGroupNumber" = 1\n'
        '"paymentTerms.paymentTermsNumber" = 1\n"vatZone.vatZoneNumber" = 1\n',
        encoding="utf-8",
    )
    result = cli("validate", source, "--mapping", mapping, "--report", tmp_path / "r")
    results = read_csv(tmp_path / "r" / "results.csv")
    sheet = load_workbook(tmp_path / "r" / "errors.xlsx").worksheets[0]
    key_cell, number_cell = sheet["A2"], sheet["B2"]

    assert result.code == 1
    assert [r["status"] for r in results] == ["valid", "invalid"]
    assert results[1]["errors"] == "Kundekode: source key 'K-1' also on row 2 (E04400)"
    assert key_cell.value == "K-1" and key_cell.comment is not None
    assert "source key 'K-1' also on row 2" in key_cell.comment.text
    assert number_cell.comment is None
