"""Bad input never crashes (issue #5): rows in the report, or exit 2 with a one-line reason.

Hypothesis writes files a person might really feed the importer (random bytes, the wrong
encoding, ragged rows, duplicate or empty headers, huge cells, formulas, NUL bytes, an
XLSX that is a zip of something else) and runs the real CLI on each. Most examples are
dry runs (fast); a handful go against the sandbox, where an unreadable input must not
cause a single request.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.conftest import CliResult, SandboxHandle
from tests.runs import read_results

NAMES = [
    "customerNumber",
    "name",
    "currency",
    "customerGroup.customerGroupNumber",
    "paymentTerms.paymentTermsNumber",
    "vatZone.vatZoneNumber",
    "email",
    "zip",
    "",
    " ",
    "Navn",
    "=SUM(A1:A2)",
    "name\x00",
    "ÆØÅ",
]
ODD_CELLS = [
    "1", "0", "-1", "1e9", "DKK", "=1+1", "+45 70 10 20 30", "@SUM(A1)", "=cmd|' /C calc'!A0",
    "\x00", "a\x00b", "\r\n", '"', ";", ",", "\t", "\ufeff", "9" * 40, "Ø" * 300,
]  # fmt: skip
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(ODD_CELLS),
    st.just("x" * 200_000),  # one huge cell
)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le"]
DRY_RUN_STATUSES = {"valid", "invalid"}


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A CSV in some encoding and dialect: headers from a pool, rows of any length."""
    header = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=8))
    rows = draw(st.lists(st.lists(CELLS, max_size=10), max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))
    )
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(ENCODINGS))
    return ".csv", buffer.getvalue().encode(encoding, errors="replace")


@st.composite
def plausible_csv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """Right headers, wrong everything else: ragged rows, odd cells, any encoding."""
    header = draw(st.permutations(NAMES[:8]).map(lambda names: names[: len(names) - 2]))
    width = len(header)
    rows = draw(st.lists(st.lists(CELLS, min_size=width - 2, max_size=width + 1), max_size=8))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ".csv", buffer.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def zip_posing_as_xlsx(draw: st.DrawFn) -> tuple[str, bytes]:
    """A zip archive named .xlsx that holds something else (or half a workbook)."""
    names = st.sampled_from(["hello.txt", "xl/workbook.xml", "[Content_Types].xml", "a/b.csv"])
    members = draw(
        st.lists(st.tuples(names, st.binary(max_size=200)), max_size=3, unique_by=lambda m: m[0])
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return ".xlsx", buffer.getvalue()


@st.composite
def workbooks(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real workbook with odd headers and cells (numbers, text, formulas, blanks)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    text = CELLS.filter(lambda c: len(c) < 30_000).map(lambda c: ILLEGAL_CHARACTERS_RE.sub("", c))
    xlsx_cells = st.one_of(text, st.integers(), st.floats(allow_nan=False), st.none())
    sheet.append(draw(st.lists(st.sampled_from(NAMES[:10]), min_size=1, max_size=6)))
    for row in draw(st.lists(st.lists(xlsx_cells, max_size=8), max_size=6)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return ".xlsx", buffer.getvalue()


FILES = st.one_of(
    st.tuples(st.sampled_from([".csv", ".xlsx", ".txt.csv"]), st.binary(max_size=3000)),
    csv_files(),
    plausible_csv_files(),
    zip_posing_as_xlsx(),
    workbooks(),
)


def check_outcome(result: CliResult, report: Path) -> None:
    """Rows in the report (exit 0/1), or exit 2 with one line on stderr; never a traceback."""
    assert "Traceback" not in result.err
    assert result.code in (0, 1, 2), result.err
    if result.code == 2:
        lines = [line for line in result.err.splitlines() if line.strip()]
        assert len(lines) == 1, result.err
        return
    results = read_results(report)
    rows = [int(r["row"]) for r in results]
    assert rows == sorted(set(rows))  # one line per row, in input order
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows"] == len(results)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples every run: a red CI is never a dice roll
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=FILES)
def test_any_file_ends_as_rows_or_as_one_line_exit_2(cli, file: tuple[str, bytes]) -> None:
    suffix, data = file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        result = cli("validate", path, "--report", Path(tmp) / "report", "--no-progress")
        check_outcome(result, Path(tmp) / "report")
        if result.code != 2:
            statuses = {r["status"] for r in read_results(Path(tmp) / "report")}
            assert statuses <= DRY_RUN_STATUSES


def test_a_huge_cell_under_a_blank_first_row_is_an_input_error(cli, tmp_path: Path) -> None:
    """Found by the property test above: every delimiter failed on the oversized cell."""
    path = tmp_path / "blank-then-huge.csv"
    path.write_bytes(b'""\n' + b"x" * 200_000 + b"\n")
    result = cli("validate", path, "--report", tmp_path / "report", "--no-progress")
    assert result.code == 2, result.err  # an input error: not rows (0 or 1), not a crash
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert "blank-then-huge.csv" in lines[0] and "longer than" in lines[0], result.err


UNREADABLE = {
    "random-bytes.csv": bytes(range(256)) * 8,
    "nul-bytes.csv": b"customerNumber,name\n1,a\x00b\n",
    "zip-of-text.xlsx": b"",  # filled in below
    "not-a-zip.xlsx": b"PK\x03\x04 not really",
    "duplicate-header.csv": b"name,name,currency\na,b,DKK\n",
    "empty-header.csv": b"name,,currency\na,b,DKK\n",
    "ragged-late.csv": b"customerNumber,name\n" + b"1,a\n" * 50 + b"2,b,extra\n",
    "empty.csv": b"",
}
_zip = io.BytesIO()
with zipfile.ZipFile(_zip, "w") as _archive:
    _archive.writestr("notes.txt", "not a workbook")
UNREADABLE["zip-of-text.xlsx"] = _zip.getvalue()


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_an_unreadable_input_sends_nothing(
    sandbox: SandboxHandle, tokens: tuple[str, str], cli, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(UNREADABLE[name])
    result = cli("import", path, "--base-url", sandbox.url, "--report", tmp_path / "report",
                 "--no-progress")  # fmt: skip
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and name in lines[0], result.err
    stats = sandbox.stats()
    assert stats["writes"] == 0 and stats["requests"] == 0


def test_formulas_and_odd_cells_are_rows_and_only_valid_rows_are_sent(
    sandbox: SandboxHandle, tokens: tuple[str, str], cli, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(
        "customerNumber,name,currency,customerGroup.customerGroupNumber,"
        "paymentTerms.paymentTermsNumber,vatZone.vatZoneNumber\n"
        '=1+1,"=HYPERLINK(""http://x"")",DKK,1,1,1\n'
        "801,=cmd|' /C calc'!A0,DKK,1,1,1\n"
        f"802,{'x' * 300},DKK,1,1,1\n"
        "803,@SUM(A1),DKK,1,1,1\n",
        encoding="utf-8",
    )
    result = cli("import", path, "--base-url", sandbox.url, "--report", tmp_path / "report",
                 "--no-progress")  # fmt: skip
    assert result.code == 1, result.err  # rows in the report, two of them failed
    check_outcome(result, tmp_path / "report")
    results = read_results(tmp_path / "report")
    assert [r["status"] for r in results] == ["invalid", "created", "invalid", "created"]
    assert sandbox.stats()["writes"] == 2


def test_a_line_break_inside_a_header_still_gives_a_one_line_reason(cli, tmp_path: Path) -> None:
    """Excel's Alt+Enter puts line breaks in headers; the message quotes them escaped."""
    path = tmp_path / "alt-enter.csv"
    path.write_text('"Kunde\nnummer",name\n1,A\n', encoding="utf-8")
    result = cli("validate", path, "--report", tmp_path / "report", "--no-progress")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Kunde\\nnummer" in lines[0], result.err
