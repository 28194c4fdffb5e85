"""XLSX through the readers' public API: real workbooks written with openpyxl in tmp_path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from pipeline.errors import InputError
from pipeline.read.readers import list_sheets, open_table
from tests.read.test_readers import read_all, rows_of


def write_xlsx(
    path: Path, sheets: dict[str, list[list[object]]], *, hidden: tuple[str, ...] = ()
) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def test_xlsx_cells_become_the_text_excel_shows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "k.xlsx",
        {
            "Kunder": [
                ["No", "Zip", "Limit", "Since", "Stamp", "Barred", "Big"],
                [
                    1,
                    "0800",
                    1234.5,
                    dt.date(2024, 3, 1),
                    dt.datetime(2024, 3, 1, 14, 30),
                    True,
                    1e20,
                ],
                [],
                [2.0, "08000", 0.1 + 0.2, dt.datetime(2024, 3, 2), None, False, 1e-7],
            ]
        },
    )

    table = open_table(path)

    assert (table.sheet, table.encoding, table.delimiter) == ("Kunder", None, None)
    assert rows_of(read_all(table)) == {
        2: [
            "1",
            "0800",
            "1234.5",
            "2024-03-01",
            "2024-03-01 14:30:00",
            "true",
            "100000000000000000000",
        ],
        4: ["2", "08000", "0.3", "2024-03-02", "", "false", "0.0000001"],
    }


def test_xlsx_data_away_from_a1_keeps_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "k.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "Kundeliste 2024"
    sheet["B3"], sheet["C3"] = "No", "Name"
    sheet["B4"], sheet["C4"] = 7, "Alfa"
    sheet["B6"], sheet["C6"] = 8, "Beta"
    book.save(path)

    table = open_table(path, skip_rows=1)

    assert (table.header_row, table.columns) == (3, ["No", "Name"])
    assert rows_of(read_all(table, size=1)) == {4: ["7", "Alfa"], 6: ["8", "Beta"]}


def test_xlsx_value_outside_the_header_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "k.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Ark1"
    sheet["B1"], sheet["C1"] = "No", "Name"
    sheet["B2"], sheet["D2"] = 7, "stray"
    book.save(path)

    with pytest.raises(InputError) as info:
        read_all(open_table(path))

    assert str(info.value) == (
        f"{path} (sheet 'Ark1'): row 2 has a value in column D ('stray'), which has no header"
    )


def test_xlsx_sheets(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "k.xlsm",
        {"Notes": [["x"]], "Kunder": [["No"], [1]], "Kontakter": [["Name"], ["Ann"]]},
        hidden=("Notes",),
    )

    assert list_sheets(path) == ["Notes", "Kunder", "Kontakter"]
    assert open_table(path).sheet == "Kunder"  # the first visible one
    assert rows_of(read_all(open_table(path, sheet="Kontakter"))) == {2: ["Ann"]}
    with pytest.raises(InputError) as info:
        open_table(path, sheet="Kunde")
    assert str(info.value) == (
        f"{path}: no sheet named 'Kunde'; did you mean 'Kunder'? "
        "the sheets are: 'Notes', 'Kunder', 'Kontakter'"
    )


def test_xlsx_duplicate_header_uses_column_letters(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", {"S": [["Navn", "By", "Navn"]]})

    with pytest.raises(InputError) as info:
        open_table(path)

    assert (
        str(info.value) == f"{path} (sheet 'S'): header has column 'Navn' twice (columns A and C)"
    )


def test_xlsx_empty_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "k.xlsx", {"Tom": []})

    with pytest.raises(InputError) as info:
        open_table(path)

    assert str(info.value) == f"{path} (sheet 'Tom'): no header row found after 0 rows"


def test_xlsx_chunks_can_be_read_twice(tmp_path: Path) -> None:
    rows: list[list[object]] = [["n"]] + [[i] for i in range(5)]
    table = open_table(write_xlsx(tmp_path / "k.xlsx", {"S": rows}))

    first, second = (rows_of(read_all(table, size=2)) for _ in range(2))

    assert first == second == {i + 2: [str(i)] for i in range(5)}
    assert next(table.chunks(size=2)).index.tolist() == [2, 3]
