"""Readers: real CSV and XLSX files in tmp_path, read back cell for cell."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.read.readers import Table, fingerprint, list_sheets, open_table


def read_all(table: Table, size: int = 10_000) -> pd.DataFrame:
    """Every chunk of ``table`` concatenated (an empty frame when there are no rows)."""
    frames = list(table.chunks(size))
    return pd.concat(frames) if frames else pd.DataFrame(columns=table.columns)


def rows_of(frame: pd.DataFrame) -> dict[int, list[str]]:
    """Row number -> cells, for comparing whole tables."""
    rows = zip(frame.index, frame.itertuples(index=False), strict=True)
    return {int(i): list(row) for i, row in rows}


def write_csv(
    path: Path, rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


# --- property: what the csv module writes comes back cell for cell -------------------------

ASCII = "abcXYZ 019,;|\t\"'\n\r-./@+"
CP1252_TEXT = st.text(alphabet=ASCII + "æøåÆØÅé", max_size=8)
UTF8_TEXT = st.text(alphabet=ASCII + "æøåÆØÅé€ü中", max_size=8)
HEADER_NAME = st.text(alphabet="abcdefghijXYZæø_", min_size=1, max_size=6)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]


@st.composite
def tables(draw: st.DrawFn, cells: st.SearchStrategy[str]) -> list[list[str]]:
    """A header of 2-5 distinct names and up to 12 rows of text cells."""
    header = draw(st.lists(HEADER_NAME, min_size=2, max_size=5, unique=True))
    row = st.lists(cells, min_size=len(header), max_size=len(header))
    zero_padded = st.integers(0, 9999).map(lambda n: f"{n:05d}")
    body = draw(st.lists(st.one_of(row, st.just([""] * len(header))), max_size=12))
    if body and draw(st.booleans()):
        body[0][0] = draw(zero_padded)  # a zip/phone/CVR with leading zeros
    return [header, *body]


def expected_rows(table: list[list[str]]) -> dict[int, list[str]]:
    """Data rows by spreadsheet number (header is row 1); blank rows left out."""
    return {n: row for n, row in enumerate(table[1:], start=2) if any(row)}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(ENCODINGS),
)
def test_csv_round_trip(tmp_path: Path, data: st.DataObject, delimiter: str, encoding: str) -> None:
    table = data.draw(tables(CP1252_TEXT if encoding == "cp1252" else UTF8_TEXT))
    path = write_csv(tmp_path / "t.csv", table, delimiter=delimiter, encoding=encoding)

    opened = open_table(path)

    assert opened.columns == table[0]
    assert opened.delimiter == delimiter
    assert rows_of(read_all(opened, size=3)) == expected_rows(table)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), delimiter=st.sampled_from([",", ";"]))
def test_csv_round_trip_with_stray_trailing_delimiters(
    tmp_path: Path, data: st.DataObject, delimiter: str
) -> None:
    """Some rows end in an extra empty cell: the slow path takes over and loses nothing."""
    table = data.draw(tables(UTF8_TEXT))
    padded = [table[0]] + [[*row, ""] if data.draw(st.booleans()) else row for row in table[1:]]
    path = write_csv(tmp_path / "t.csv", padded, delimiter=delimiter)

    assert rows_of(read_all(open_table(path), size=2)) == expected_rows(table)


# --- CSV examples ----------------------------------------------------------------------------


def test_embedded_newline_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('No,Address\n1,"Vej 1\nst. tv"\n\n2,Gade 2\n', encoding="utf-8")

    frame = read_all(open_table(path))

    assert rows_of(frame) == {2: ["1", "Vej 1\nst. tv"], 4: ["2", "Gade 2"]}


def test_cells_are_text_and_leading_zeros_survive(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Zip;Phone;CVR;Amount\n0800;004512345678;01234567;1.234,50\n", encoding="utf-8")

    table = open_table(path)
    frame = read_all(table)

    assert (table.encoding, table.delimiter) == ("utf-8", ";")
    assert rows_of(frame) == {2: ["0800", "004512345678", "01234567", "1.234,50"]}
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


def test_windows_1252_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes("Kundenr;Navn;By\r\n1;Søren Ærø;Århus\r\n".encode("cp1252"))

    table = open_table(path)

    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert rows_of(read_all(table)) == {2: ["1", "Søren Ærø", "Århus"]}


def test_bom_and_whitespace_are_stripped_from_headers(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("\ufeff Name ,\tCity\n a , b \n".encode())

    table = open_table(path)

    assert (table.columns, table.encoding) == (["Name", "City"], "utf-8-sig")
    assert rows_of(read_all(table)) == {2: [" a ", " b "]}


def test_skip_rows_and_blank_lines_before_the_header(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('Export from C5;"2024\n-01-01"\n\nNo;Name\n7;Alfa\n', encoding="utf-8")

    table = open_table(path, skip_rows=1)

    assert (table.header_row, table.columns) == (3, ["No", "Name"])
    assert rows_of(read_all(table)) == {4: ["7", "Alfa"]}


def test_trailing_delimiters_everywhere_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("No;Name;\n1;A;\n2;;\n", encoding="utf-8")

    table = open_table(path)

    assert table.columns == ["No", "Name"]
    assert rows_of(read_all(table)) == {2: ["1", "A"], 3: ["2", ""]}


def test_short_rows_are_padded(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a,b,c\n1\n2,3\n", encoding="utf-8")

    assert rows_of(read_all(open_table(path))) == {2: ["1", "", ""], 3: ["2", "3", ""]}


def test_one_column_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("name\nAlfa\n\nBeta\n", encoding="utf-8")

    table = open_table(path)

    assert (table.columns, table.delimiter) == (["name"], ",")
    assert rows_of(read_all(table)) == {2: ["Alfa"], 4: ["Beta"]}


def test_utf16_tab_separated_text(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "unicode.txt",
        [["Navn", "Postnr"], ["Ø", "0800"]],
        delimiter="\t",
        encoding="utf-16",
    )

    table = open_table(path)

    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert rows_of(read_all(table)) == {2: ["Ø", "0800"]}


def test_chunks_are_bounded_and_complete(tmp_path: Path) -> None:
    rows = [["n", "v"]] + [[str(i), f"{i:04d}"] for i in range(25)]
    path = write_csv(tmp_path / "c.csv", rows)

    chunks = list(open_table(path).chunks(size=10))

    assert all(len(c) <= 10 for c in chunks)
    assert rows_of(pd.concat(chunks)) == {i + 2: [str(i), f"{i:04d}"] for i in range(25)}


def test_fingerprint_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"a,b\n1,2\n" * 1000)

    assert fingerprint(path) == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("text", "size", "message"),
    [
        ("a,b\n1,2,x\n", 10, "row 2 has a value in column 3 ('x'), which has no header"),
        ("a,b\n1,2\n3,4\n5,6,7\n", 1, "row 4 has a value in column 3 ('7'), which has no header"),
        ("a,b,\n1,2,\n3,4,z\n", 10, "row 3 has a value in column 3 ('z'), which has no header"),
        ('a,b\n1,2\n3,"4\n5,6\n', 10, "row 3 opens a quoted cell that is never closed"),
        ('a,b\n"x\ny",2\n3,"4\n', 10, "row 3 opens a quoted cell that is never closed"),
        (",a,b\n,1,2\nx,3,4\n", 10, "row 3 has a value in column 1 ('x'), which has no header"),
    ],
    ids=[
        "extra-cell-first-row",
        "extra-cell-after-chunks",
        "value-under-empty-header",
        "unclosed-quote",
        "unclosed-quote-after-a-newline-in-a-cell",
        "value-left-of-the-header",
    ],
)
def test_malformed_rows(tmp_path: Path, text: str, size: int, message: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InputError) as info:
        read_all(open_table(path), size=size)

    assert str(info.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "customers.csv",
            "Nr;Navn;By;Tlf;Navn\n",
            "header has column 'Navn' twice (columns 2 and 5)",
        ),
        ("c.csv", "a,b,a,a\n", "header has column 'a' 3 times (columns 1, 3 and 4)"),
        ("c.csv", "a,,b, ,c\n", "header has no name in columns 2 and 4"),
        (
            "c.csv",
            "a,b\x00\n",
            "line 1 contains a NUL byte; this is not a text file "
            "(or it is UTF-16 without a byte-order mark)",
        ),
        (
            "c.csv",
            b"a,b\n\x81\x8d,1\n",
            "line 2 has byte 0x81, which is neither UTF-8 nor Windows-1252",
        ),
        (
            "c.csv",
            b"\xef\xbb\xbfa,b\n\xe6,1\n",
            "line 2 has byte 0xE6, which is neither UTF-8 (the file starts with a UTF-8 BOM)",
        ),
        ("c.csv", "", "the file is empty"),
        ("c.csv", "\n\n", "no header row found after skipping 0 rows"),
        (
            "c.numbers",
            "a,b\n",
            "unsupported file type '.numbers'; supported: .csv, .txt, .tsv, .xlsx, .xlsm, "
            ".xlsb, .xls, .ods",
        ),
        (
            "c.xlsx",
            "a,b\n",
            "not a valid Excel workbook (invalid Zip archive: Could not find EOCD)",
        ),
    ],
    ids=[
        "duplicate",
        "triplicate",
        "empty-header",
        "nul",
        "undecodable",
        "bad-utf8-after-bom",
        "empty",
        "only-blank-lines",
        "extension",
        "not-a-workbook",
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")

    with pytest.raises(InputError) as info:
        open_table(path)

    assert str(info.value) == f"{path}: {message}"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"

    with pytest.raises(InputError) as info:
        open_table(path)

    assert str(info.value) == f"{path}: cannot read the file (No such file or directory)"


def test_sheet_option_on_a_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["a", "b"]])

    with pytest.raises(
        InputError, match=r"a sheet can only be chosen in a workbook \(\.xlsx, \.xlsm, \.xlsb, "
    ):
        open_table(path, sheet="Kunder")
    assert list_sheets(path) == [""]
