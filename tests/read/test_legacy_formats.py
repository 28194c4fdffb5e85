""".xls and .ods read like .xlsx (pipeline.read.xlsx, issue #13): real files written in the test
(.xls with xlwt, .ods with pandas' odfpy writer), read through the readers' public API and
imported through the real CLI into the sandbox, then read back field by field.

No library writes .xlsb, so .xlsb is covered only by its suffix being accepted and a
damaged file failing in one line; calamine reads it with the same code as the others.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt

from pipeline.errors import InputError
from pipeline.read.readers import list_sheets, open_table
from tests.conftest import SandboxHandle, api_get
from tests.read.test_readers import read_all, rows_of

Sheets = dict[str, list[list[object]]]


def write_xls(path: Path, sheets: Sheets) -> Path:
    """An Excel 97-2003 workbook, dates stored as Excel dates (as C5 and Navision do)."""
    book = xlwt.Workbook()
    day, stamp = (
        xlwt.easyxf(num_format_str="YYYY-MM-DD"),
        xlwt.easyxf(num_format_str="YYYY-MM-DD hh:mm"),
    )
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    sheet.write(r, c, value, stamp)
                elif isinstance(value, dt.date):
                    sheet.write(r, c, value, day)
                elif value is not None:
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


def write_ods(path: Path, sheets: Sheets) -> Path:
    """An OpenDocument spreadsheet, as LibreOffice saves it, through pandas and odfpy."""
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, rows in sheets.items():
            frame = pd.DataFrame(rows[1:], columns=rows[0], dtype=object)
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


WRITERS: dict[str, Callable[[Path, Sheets], Path]] = {".xls": write_xls, ".ods": write_ods}
FORMATS = pytest.mark.parametrize("suffix", list(WRITERS))


@FORMATS
def test_cells_become_the_text_a_spreadsheet_shows(tmp_path: Path, suffix: str) -> None:
    header = ["No", "Zip", "Limit", "Since", "Stamp", "Barred", "Sum", "Phone"]
    rows: list[list[object]] = [
        header,
        [
            1,
            "0800",
            1234.5,
            dt.date(2024, 3, 1),
            dt.datetime(2024, 3, 1, 14, 30),
            True,
            0.1 + 0.2,
            "004512345678",
        ],
        [
            2.0,
            "08000",
            75000.0,
            dt.date(2024, 12, 31),
            dt.datetime(2024, 3, 2, 9, 5),
            False,
            1e-7,
            12345678,
        ],
    ]
    path = WRITERS[suffix](tmp_path / f"k{suffix}", {"Kunder": rows})

    table = open_table(path)

    assert (table.sheet, table.columns) == ("Kunder", header)
    assert rows_of(read_all(table)) == {
        2: [
            "1",
            "0800",
            "1234.5",
            "2024-03-01",
            "2024-03-01 14:30:00",
            "true",
            "0.3",
            "004512345678",
        ],
        3: [
            "2",
            "08000",
            "75000",
            "2024-12-31",
            "2024-03-02 09:05:00",
            "false",
            "0.0000001",
            "12345678",
        ],
    }


@FORMATS
def test_a_sheet_is_chosen_by_name(tmp_path: Path, suffix: str) -> None:
    path = WRITERS[suffix](
        tmp_path / f"k{suffix}", {"Kunder": [["No"], [1]], "Kontakter": [["Name"], ["Ann"]]}
    )

    assert list_sheets(path) == ["Kunder", "Kontakter"]
    assert open_table(path).sheet == "Kunder"
    assert rows_of(read_all(open_table(path, sheet="Kontakter"))) == {2: ["Ann"]}
    with pytest.raises(InputError) as info:
        open_table(path, sheet="Kontakt")
    assert str(info.value) == (
        f"{path}: no sheet named 'Kontakt'; did you mean 'Kontakter'? "
        "the sheets are: 'Kunder', 'Kontakter'"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("k.xls", "not a valid Excel workbook (Cfb error: Invalid OLE"),
        ("k.xlsb", "not a valid Excel workbook (invalid Zip archive"),
        ("k.ods", "not a valid OpenDocument spreadsheet (invalid Zip archive"),
    ],
)
def test_a_damaged_workbook_is_one_line(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_text("a,b\n1,2\n", encoding="utf-8")

    with pytest.raises(InputError) as info:
        open_table(path)

    assert str(info.value).startswith(f"{path}: {message}")
    assert "\n" not in str(info.value)


HEADER = [
    *("customerNumber", "name", "address", "zip", "city", "email", "telephoneAndFaxNumber"),
    *("corporateIdentificationNumber", "ean", "currency", "customerGroup.customerGroupNumber"),
    *("paymentTerms.paymentTermsNumber", "vatZone.vatZoneNumber", "creditLimit", "barred"),
]


def customer_rows() -> list[list[object]]:
    return [
        HEADER,
        [5001, "Ærø Tømrer ApS", "Østergade 1", "0800", "Høje Taastrup", "a@aero.dk",
         "+45 62 52 10 00", 31000007, "5790001234567", "DKK", 1, 3, 1, 1234.5, False],
        [5002, "Fynsk Bager A/S", "Vestergade 2, 1. sal", "5000", "Odense C", "b@fynsk.dk",
         "004566112233", "31000015", "", "EUR", 2, 1, 2, 75000, True],
        [5003, "", "Gade 3", "8000", "Aarhus", "", "", "", "", "DKK", 1, 1, 1, 0, False],
    ]  # fmt: skip


EXPECTED = {
    5001: {"name": "Ærø Tømrer ApS", "address": "Østergade 1", "zip": "0800",
           "city": "Høje Taastrup", "email": "a@aero.dk",
           "telephoneAndFaxNumber": "+45 62 52 10 00", "corporateIdentificationNumber": "31000007",
           "ean": "5790001234567", "currency": "DKK", "creditLimit": 1234.5, "barred": False,
           "customerGroup": 1, "paymentTerms": 3, "vatZone": 1},
    5002: {"name": "Fynsk Bager A/S", "address": "Vestergade 2, 1. sal", "zip": "5000",
           "city": "Odense C", "email": "b@fynsk.dk", "telephoneAndFaxNumber": "004566112233",
           "corporateIdentificationNumber": "31000015", "currency": "EUR", "creditLimit": 75000,
           "barred": True, "customerGroup": 2, "paymentTerms": 1, "vatZone": 2},
}  # fmt: skip


def arrived(sandbox: SandboxHandle, number: int) -> dict[str, object]:
    """The customer as the sandbox has it, references flattened to their numbers."""
    got = sandbox.call(lambda: api_get(sandbox.url, f"/customers/{number}"))
    out = {k: got.get(k) for k in EXPECTED[number] if k in got}
    out["customerGroup"] = got["customerGroup"]["customerGroupNumber"]
    out["paymentTerms"] = got["paymentTerms"]["paymentTermsNumber"]
    out["vatZone"] = got["vatZone"]["vatZoneNumber"]
    return out


@FORMATS
def test_import_into_the_sandbox_arrives_field_by_field(
    cli, sandbox: SandboxHandle, tokens: object, tmp_path: Path, suffix: str
) -> None:
    path = WRITERS[suffix](tmp_path / f"kunder{suffix}", {"Kunder": customer_rows()})

    first = cli("import", path, "--base-url", sandbox.url, "--report", tmp_path / "run1")

    assert first.code == 1, first.err  # row 4 has no name, on purpose
    for number, fields in EXPECTED.items():
        assert arrived(sandbox, number) == fields
    report = tmp_path / "run1"
    summary = json.loads((report / "summary.json").read_text())
    assert (summary["created"], summary["invalid"]) == (2, 1)
    # The errors workbook is .xlsx whatever the input was, and imports again once fixed.
    assert sorted(p.name for p in report.glob("errors.*")) == [
        "errors.csv", "errors.jsonl", "errors.xlsx"
    ]  # fmt: skip
    book = openpyxl.load_workbook(report / "errors.xlsx")
    sheet = book["Kunder"]
    assert [c.value for c in sheet[1]][-1] == "errors"
    assert sheet.cell(2, 1).value == "5003" and sheet.cell(2, 4).value == "8000"
    sheet.cell(2, 2).value = "Aarhus Cykler ApS"
    book.save(report / "errors.xlsx")

    again = cli("import", report / "errors.xlsx", "--base-url", sandbox.url,
                "--report", tmp_path / "run2")  # fmt: skip
    assert again.code == 0, again.out + again.err
    fixed = sandbox.call(lambda: api_get(sandbox.url, "/customers/5003"))
    assert (fixed["name"], fixed["zip"]) == ("Aarhus Cykler ApS", "8000")

    # The same file a second time: nothing is written again, and the report says so.
    writes = sandbox.stats()["writes"]
    second = cli("import", path, "--base-url", sandbox.url, "--report", tmp_path / "run3")
    assert sandbox.stats()["writes"] == writes
    summary = json.loads((tmp_path / "run3" / "summary.json").read_text())
    # Row 4 of the original file still has no name: invalid, never sent.
    counts = (summary["created"], summary["skipped"], summary["invalid"], second.code)
    assert counts == (0, 2, 1, 1)


@FORMATS
def test_map_drafts_from_a_legacy_workbook(cli, tmp_path: Path, suffix: str) -> None:
    rows: list[list[object]] = [
        ["Kundenr", "Navn", "Postnr", "Kreditmax", "Spærret"],
        [1, "Et ApS", "0800", "1.500,00", "Ja"],
        [2, "To A/S", "8000", "250,50", "Nej"],
    ]
    path = WRITERS[suffix](tmp_path / f"k{suffix}", {"Noter": [["x"]], "Debitorer": rows})

    result = cli("map", path, "--sheet", "Debitorer", "-o", tmp_path / "k.toml")

    assert result.code == 0, result.err
    text = (tmp_path / "k.toml").read_text(encoding="utf-8")
    assert 'sheet = "Debitorer"' in text and 'key = "Kundenr"' in text
    assert '"Kreditmax" = { property = "creditLimit", transforms = ["decimal-comma"] }' in text
    dry = cli("validate", path, "--mapping", tmp_path / "k.toml", "--report", tmp_path / "r")
    assert dry.code == 1  # it runs: currency, group, terms and zone are not in the file
    lines = (tmp_path / "r" / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    # Only the required properties the file lacks: zip, the Danish numbers and Ja/Nej pass.
    assert {json.loads(line)["property"] for line in lines} == {
        "currency",
        "customerGroup.customerGroupNumber",
        "paymentTerms.paymentTermsNumber",
        "vatZone.vatZoneNumber",
    }
