"""The report directory, written for real and read back with csv, json and openpyxl."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline.constraints.codes import CODE_MIN_LENGTH
from pipeline.errors import RowError
from pipeline.redact import Redactor, unneutralise
from pipeline.report.writer import FLUSH_EVERY_ROWS, ReportWriter
from pipeline.write.outcome import RESULT_COLUMNS, SUMMARY_FIELDS, RowResult, Status, Summary

SECRET = "tok-7Hq2-SECRET-93kd0"
COLUMNS = ["Kundenr", "Navn", "Valuta", "Gruppe", "Noter"]
COLUMN_OF = {
    "customerNumber": "Kundenr",
    "name": "Navn",
    "currency": "Valuta",
    "customerGroup.customerGroupNumber": "Gruppe",
}
CURRENCY_ERROR = RowError(
    3, "currency", CODE_MIN_LENGTH, "String 'DK' is less than minimum length of 3.", "DK"
)
GROUP_REQUIRED = RowError(
    3, "customerGroup.customerGroupNumber", "E04310",
    "Required property 'customerGroup.customerGroupNumber' is missing.", "",
)  # fmt: skip
GROUP_ERROR = RowError(4, "customerGroup", "E07140", "CustomerGroup '99' not found.", 99, "api")
TIMEOUT_ERROR = RowError(5, "request", "E0TIMEOUT", f"gave up; sent {SECRET}", None, "api")
EMAIL_WARNING = RowError(7, "email", "W001", "'x' does not look like an e-mail address", "x")


def original(number: str, name: str, currency: str = "DKK", group: str = "1", notes: str = ""):
    return dict(zip(COLUMNS, [number, name, currency, group, notes], strict=True))


def result(row: int, status: Status, **kw: object) -> RowResult:
    return RowResult("kunder.xlsx", "Kunder", row, "customers", str(1000 + row), status, **kw)  # type: ignore[arg-type]


ROWS = [
    (result(2, Status.CREATED, http_status=201, id="1002"), original("1002", "Alfa ApS")),
    (result(3, Status.INVALID, errors=[CURRENCY_ERROR, GROUP_REQUIRED]),
     original("1003", "=1+2", "DK", group="")),
    (result(4, Status.REJECTED, http_status=400, errors=[GROUP_ERROR]),
     original("1004", "Gamma", group="99", notes=f"token {SECRET}")),
    (result(5, Status.FAILED, errors=[TIMEOUT_ERROR]), original("1005", "-Delta", "EUR")),
    (result(6, Status.SKIPPED), original("1006", "Epsilon")),
    (result(7, Status.UPDATED, http_status=200, id="1007", warnings=[EMAIL_WARNING]),
     original("1007", "Zeta")),
    (RowResult("kunder.xlsx", "Kunder", 8, "customers", "=cmd|' /C calc'!A0", Status.UNCHANGED),
     original("1008", "Eta")),
]  # fmt: skip


def summary_of(rows: list[tuple[RowResult, dict[str, str]]]) -> Summary:
    summary = Summary(requests=9, retries=2, throttled=1, elapsed_s=1.5)
    for row_result, _ in rows:
        summary.count(row_result.status)
    return summary


@pytest.fixture
def report(tmp_path: Path):
    directory = tmp_path / "report"
    with ReportWriter(directory, redactor=Redactor([SECRET])) as writer:
        writer.begin_input(source="kunder.xlsx", sheet="Kunder", entity="customers",
                           columns=COLUMNS, column_of=COLUMN_OF)  # fmt: skip
        for row_result, cells in ROWS:
            writer.add(row_result, cells)
        paths = writer.close(summary_of(ROWS), extra={"token_hint": f"used {SECRET}"})
        assert writer.close(Summary()) is paths  # idempotent
    return paths


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_results_has_one_line_per_row_in_order(report):
    lines = read_csv(report.results)
    assert lines[0] == list(RESULT_COLUMNS)
    assert [line[2] for line in lines[1:]] == ["2", "3", "4", "5", "6", "7", "8"]
    assert [line[5] for line in lines[1:]] == [
        "created", "invalid", "rejected", "failed", "skipped", "updated", "unchanged",
    ]  # fmt: skip
    by_row = {line[2]: dict(zip(RESULT_COLUMNS, line, strict=True)) for line in lines[1:]}
    assert by_row["2"] == {
        "source": "kunder.xlsx", "sheet": "Kunder", "row": "2", "entity": "customers",
        "key": "1002", "status": "created", "http_status": "201", "id": "1002", "errors": "",
        "links": "",
    }  # fmt: skip
    assert by_row["3"]["errors"] == (
        "currency: String 'DK' is less than minimum length of 3. (E04340); "
        "customerGroup.customerGroupNumber: Required property "
        "'customerGroup.customerGroupNumber' is missing. (E04310)"
    )
    assert by_row["4"]["errors"] == "customerGroup: CustomerGroup '99' not found. (E07140)"
    assert by_row["5"]["errors"] == "request: gave up; sent *** (E0TIMEOUT)"
    assert by_row["8"]["key"] == "'=cmd|' /C calc'!A0"  # neutralised


def test_errors_and_warnings_jsonl(report):
    errors = [json.loads(line) for line in report.errors_jsonl.read_text("utf-8").splitlines()]
    assert [(e["row"], e["property"], e["code"], e["origin"]) for e in errors] == [
        (3, "currency", "E04340", "local"),
        (3, "customerGroup.customerGroupNumber", "E04310", "local"),
        (4, "customerGroup", "E07140", "api"),
        (5, "request", "E0TIMEOUT", "api"),
    ]
    assert errors[2] == {
        "row": 4, "property": "customerGroup", "code": "E07140",
        "message": "CustomerGroup '99' not found.", "value": 99, "origin": "api",
        "source": "kunder.xlsx", "sheet": "Kunder", "entity": "customers",
    }  # fmt: skip
    warnings = report.warnings_jsonl.read_text("utf-8").splitlines()
    assert [json.loads(w)["code"] for w in warnings] == ["W001"]


def test_errors_csv_holds_the_failed_rows_with_original_cells(report):
    assert report.errors_csv == [report.directory / "errors.csv"]
    lines = read_csv(report.errors_csv[0])
    assert lines[0] == [*COLUMNS, "errors"]
    assert [line[0] for line in lines[1:]] == ["1003", "1004", "1005", "1006"]
    assert lines[1][1] == "'=1+2"
    assert lines[3][1] == "'-Delta"
    restored = [[unneutralise(cell) for cell in line[:-1]] for line in lines[1:]]
    assert restored[0] == ["1003", "=1+2", "DK", "", ""]
    assert restored[1] == ["1004", "Gamma", "DKK", "99", "token ***"]
    assert restored[2][1] == "-Delta"
    assert lines[1][-1].startswith("currency: String 'DK' is less than minimum length of 3.")
    assert lines[4][-1] == ""


def test_errors_xlsx_highlights_bad_cells_and_keeps_formulas_as_text(report):
    assert report.errors_xlsx == [report.directory / "errors.xlsx"]
    sheet = load_workbook(report.errors_xlsx[0])["Kunder"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [*COLUMNS, "errors"]
    invalid, rejected, failed = rows[1], rows[2], rows[3]
    assert invalid[1].value == "=1+2" and invalid[1].data_type == "s"
    assert failed[1].value == "-Delta" and failed[1].data_type == "s"
    assert invalid[2].fill.fgColor.rgb == "FFFFC7CE"
    assert invalid[2].comment.text == "String 'DK' is less than minimum length of 3. (E04340)"
    # An empty cell with an error (required) is highlighted too.
    assert invalid[3].value is None and invalid[3].fill.fgColor.rgb == "FFFFC7CE"
    assert "Required property" in invalid[3].comment.text
    # An API error on the reference object highlights the mapped number column.
    assert rejected[3].fill.fgColor.rgb == "FFFFC7CE"
    assert rejected[3].comment.text == "CustomerGroup '99' not found. (E07140)"
    assert rejected[4].value == "token ***"
    unflagged = [c for c in invalid if c.column not in (3, 4)] + list(failed)
    assert all(c.comment is None and c.fill.fill_type is None for c in unflagged)
    assert invalid[-1].value.startswith("currency: String 'DK' is less than minimum length")


def test_errors_xlsx_reads_back_as_text_with_calamine(report):
    rows = CalamineWorkbook.from_path(str(report.errors_xlsx[0])).get_sheet_by_name("Kunder")
    values = rows.to_python()
    assert values[1][:3] == ["1003", "=1+2", "DK"]
    assert values[3][1] == "-Delta"


def test_summary_json(report):
    data = json.loads(report.summary.read_text("utf-8"))
    assert list(data)[: len(SUMMARY_FIELDS)] == list(SUMMARY_FIELDS)
    counters = summary_of(ROWS).as_dict()
    assert {k: data[k] for k in counters} == counters
    assert data["input_reports"] == [{
        "source": "kunder.xlsx", "sheet": "Kunder", "entity": "customers",
        "failed_rows": 4, "errors_files": ["errors.csv", "errors.xlsx"],
    }]  # fmt: skip
    assert data["token_hint"] == "used ***"
    assert data["by_entity"] == {}  # summary_of counts totals only


def test_summary_by_entity_counts_each_entity_and_adds_up() -> None:
    summary = Summary()
    summary.count_all({Status.CREATED: 3, Status.INVALID: 1}, entity="customer-groups")
    summary.count_all({Status.CREATED: 5, Status.SKIPPED: 2}, entity="customers")
    summary.count(Status.CREATED, entity="customers")

    counts = summary.entity_counts()

    assert list(counts) == ["customer-groups", "customers"]  # the order the run met them
    assert counts["customers"] == {
        "rows": 8, "created": 6, "updated": 0, "unchanged": 0, "skipped": 2, "invalid": 0,
        "rejected": 0, "failed": 0, "valid": 0,
    }  # fmt: skip
    for name in ("rows", "created", "skipped", "invalid"):
        assert sum(c[name] for c in counts.values()) == getattr(summary, name)


def test_no_secret_in_any_file(report):
    files = sorted(p for p in report.directory.iterdir() if p.is_file())
    assert {p.name for p in files} == {
        "results.csv", "errors.jsonl", "warnings.jsonl", "errors.csv", "errors.xlsx",
        "summary.json", "report.html",
    }  # fmt: skip
    for path in files:
        blobs = [path.read_bytes()]
        if path.suffix == ".xlsx":  # compressed: look inside every member too
            with zipfile.ZipFile(path) as archive:
                blobs += [archive.read(name) for name in archive.namelist()]
        assert all(SECRET.encode() not in blob for blob in blobs), path.name
    assert b"***" in (report.directory / "errors.csv").read_bytes()


def test_several_inputs_get_one_errors_pair_each(tmp_path: Path):
    bad = RowResult("a.csv", "", 2, "customers", "1", Status.INVALID, errors=[CURRENCY_ERROR])
    with ReportWriter(tmp_path, redactor=Redactor([])) as writer:
        for entity in ("customers", "contacts", "customers"):
            writer.begin_input(source="a.csv", sheet="", entity=entity, columns=COLUMNS,
                               column_of=COLUMN_OF, delimiter=";")  # fmt: skip
            writer.add(bad, original("1", "x"))
        paths = writer.close(Summary())
    assert [p.name for p in paths.errors_csv] == [
        "errors-a.csv", "errors-a-contacts.csv", "errors-a-customers.csv",
    ]  # fmt: skip
    assert (tmp_path / "errors-a-contacts.csv").read_text("utf-8").splitlines()[0] == (
        "Kundenr;Navn;Valuta;Gruppe;Noter;errors"
    )
    assert load_workbook(paths.errors_xlsx[1]).sheetnames == ["errors"]


def test_no_failed_rows_means_no_errors_files(tmp_path: Path):
    with ReportWriter(tmp_path, redactor=Redactor([])) as writer:
        writer.begin_input(source="a.csv", sheet="", entity="customers", columns=COLUMNS,
                           column_of=COLUMN_OF)  # fmt: skip
        writer.add(ROWS[0][0], ROWS[0][1])
        paths = writer.close(Summary())
    assert paths.errors_csv == [] and paths.errors_xlsx == []
    assert not (tmp_path / "errors.csv").exists()


def test_a_reimported_errors_file_gets_a_fresh_errors_column(tmp_path: Path):
    with ReportWriter(tmp_path, redactor=Redactor([])) as writer:
        writer.begin_input(source="errors.csv", sheet="", entity="customers",
                           columns=[*COLUMNS, "errors"], column_of=COLUMN_OF)  # fmt: skip
        writer.add(ROWS[1][0], {**ROWS[1][1], "errors": "old text"})
        paths = writer.close(Summary())
    lines = read_csv(paths.errors_csv[0])
    assert lines[0] == [*COLUMNS, "errors"]
    assert lines[1][-1].startswith("currency: ")


def test_results_are_on_disk_in_whole_lines_before_close(tmp_path: Path):
    writer = ReportWriter(tmp_path, redactor=Redactor([]))
    writer.begin_input(source="a.csv", sheet="", entity="customers", columns=COLUMNS,
                       column_of=COLUMN_OF)  # fmt: skip
    for n in range(FLUSH_EVERY_ROWS):
        writer.add(result(n + 2, Status.CREATED), original(str(n), "x"))
    lines = read_csv(tmp_path / "results.csv")  # read while the writer is still open
    assert len(lines) - 1 >= FLUSH_EVERY_ROWS
    assert all(len(line) == len(RESULT_COLUMNS) for line in lines)
    writer.close(Summary())


def test_leaving_the_block_by_an_exception_still_writes_a_summary(tmp_path: Path):
    with pytest.raises(KeyboardInterrupt), ReportWriter(tmp_path, redactor=Redactor([])) as w:
        w.begin_input(source="a.csv", sheet="", entity="customers", columns=COLUMNS,
                      column_of=COLUMN_OF)  # fmt: skip
        w.add(ROWS[1][0], ROWS[1][1])
        raise KeyboardInterrupt
    data = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert data["interrupted"] is True
    assert (data["rows"], data["invalid"]) == (1, 1)
    assert data["by_entity"]["customers"]["invalid"] == 1  # counted per entity here too
    assert len(read_csv(tmp_path / "results.csv")) == 2
    assert (tmp_path / "errors.xlsx").exists()


def test_xlsx_cells_are_always_text(tmp_path: Path):
    tricky = {"Kundenr": "#N/A", "Navn": "=SUM(A1:A3)", "Valuta": "@x", "Gruppe": "007",
              "Noter": "bell\x07"}  # fmt: skip
    with ReportWriter(tmp_path, redactor=Redactor([])) as writer:
        writer.begin_input(source="k.xlsx", sheet="Ark:1", entity="customers",
                           columns=COLUMNS, column_of=COLUMN_OF)  # fmt: skip
        writer.add(ROWS[1][0], tricky)
        paths = writer.close(Summary())
    workbook = load_workbook(paths.errors_xlsx[0])
    assert workbook.sheetnames == ["Ark_1"]
    [cells] = list(workbook["Ark_1"].iter_rows(min_row=2))
    assert [c.value for c in cells[:5]] == ["#N/A", "=SUM(A1:A3)", "@x", "007", "bell\ufffd"]
    assert all(c.data_type == "s" for c in cells)
    assert cells[1].quotePrefix and cells[2].quotePrefix and not cells[3].quotePrefix


def test_an_amended_row_gets_its_links_cell_and_errors_and_a_line_in_the_errors_files(
    tmp_path: Path,
) -> None:
    """The link phase reports after the rows (issue #14): results.csv is patched in place."""
    link_error = RowError(2, "attention.key", "LINK_NOT_FOUND", f"no contact {SECRET}", "P9")
    with ReportWriter(tmp_path / "r", redactor=Redactor([SECRET])) as writer:
        writer.begin_input(source="kunder.xlsx", sheet="Kunder", entity="customers",
                           columns=COLUMNS, column_of=COLUMN_OF, keep_open=True)  # fmt: skip
        for row_result, cells in ROWS[:2]:
            writer.add(row_result, cells)
        writer.begin_input(source="kontakter.csv", sheet="", entity="contacts",
                           columns=["Navn"], column_of={"name": "Navn"})  # fmt: skip
        writer.add(RowResult("kontakter.csv", "", 2, "contacts", "P1", Status.CREATED), {})
        failed = result(2, Status.CREATED, id="1002", errors=[link_error])
        writer.amend(failed, original("1002", "Alfa ApS"), links="failed")
        paths = writer.close(Summary())
    lines = read_csv(paths.results)
    assert [(line[2], line[5], line[-1]) for line in lines[1:]] == [
        ("2", "created", "failed"), ("3", "invalid", ""), ("2", "created", "")]  # fmt: skip
    assert lines[1][8] == "attention.key: no contact *** (LINK_NOT_FOUND)"
    errors_csv = read_csv(paths.errors_csv[0])
    assert errors_csv[-1][:2] == ["1002", "Alfa ApS"] and "LINK_NOT_FOUND" in errors_csv[-1][-1]
    assert SECRET not in paths.results.read_text() + paths.errors_jsonl.read_text()
    assert "LINK_NOT_FOUND" in paths.errors_jsonl.read_text()
