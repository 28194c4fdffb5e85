"""Read CSV and XLSX files as tables of text: the first stage of an import.

Every cell is read as text, never guessed: a zip code ``0800``, a phone number ``0045..``
or a CVR number keeps its leading zeros; ``pipeline.convert`` later decides what the text
means for its property. Rows keep the number the user sees in the spreadsheet (header is
row 1, so the first data row is 2), blank rows are skipped without renumbering the rest,
and files are read in chunks so memory stays flat however long they are.

CSV: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode text"), else
Windows-1252; the delimiter is sniffed among ``, ; TAB |``. The fast path is pandas' C
parser; a row longer than the header stops it, and the rest is then read with the ``csv``
module, which tells harmless trailing delimiters from real stray values. XLSX/XLSM is read
with python-calamine. Every problem with the file is an ``InputError`` of one line.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import hashlib
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
import python_calamine as calamine

from pipeline.errors import InputError

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")
DEFAULT_CHUNK_SIZE = 10_000

_BLOCK = 1 << 20
_SNIFF_CHARS = 64 * 1024
_SNIFF_ROWS = 50
_EOF_IN_QUOTES = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass(frozen=True)
class Table:
    """An opened input: its header and how to read the rest.

    ``header_row`` is the spreadsheet row of the header; ``width`` the cells in that row
    and ``lead`` the empty ones before the first name (cells outside the named columns
    must stay empty); ``first_column`` is where an XLSX sheet's data starts (0 = A).
    """

    path: Path
    sheet: str
    columns: list[str]
    encoding: str | None
    delimiter: str | None
    header_row: int = 1
    width: int = 0
    lead: int = 0
    first_column: int = 0
    _sheet_data: object = field(default=None, compare=False, repr=False)

    def chunks(self, size: int = DEFAULT_CHUNK_SIZE) -> Iterator[pd.DataFrame]:
        """DataFrames of str ('' when empty), indexed by spreadsheet row, blank rows removed."""
        if self.delimiter is None:
            yield from _xlsx_chunks(self, size)
        else:
            yield from _csv_chunks(self, size)


def open_table(path: Path, *, sheet: str | None = None, skip_rows: int = 0) -> Table:
    """Open ``path``, read its header (after ``skip_rows`` rows) and sniff its format."""
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _open_xlsx(path, sheet=sheet or None, skip_rows=skip_rows)
    if sheet:
        raise InputError(f"{path}: a sheet can only be chosen in an .xlsx or .xlsm workbook")
    return _open_csv(path, skip_rows=skip_rows)


def list_sheets(path: Path) -> list[str]:
    """The sheet names of a workbook; ``['']`` for a CSV file, which has one unnamed sheet."""
    path = Path(path)
    _check_file(path)
    return list(_workbook(path).sheet_names) if path.suffix.lower() in XLSX_SUFFIXES else [""]


def fingerprint(path: Path) -> str:
    """The SHA-256 of the file's bytes, read in blocks (the journal's identity of an input)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from exc
    return digest.hexdigest()


def _check_file(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from exc
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        supported = ", ".join(CSV_SUFFIXES + XLSX_SUFFIXES)
        raise InputError(f"{path}: unsupported file type '{suffix}'; supported: {supported}")
    if size == 0:
        raise InputError(f"{path}: the file is empty")


# --- header and row shape ----------------------------------------------------------------


def _header(path: Path, cells: Sequence[str], *, sheet: str = "", first: int = 0) -> Table:
    """The columns of a header row: empty cells at either end are ignored; others fail."""
    names = [c.replace("\ufeff", "").strip() for c in cells]
    where = f"{path} (sheet '{sheet}')" if sheet else str(path)
    named = [i for i, name in enumerate(names) if name]
    if not named:
        raise InputError(f"{where}: the header row has only blank cells")
    lead, end = named[0], named[-1] + 1
    blanks = [i for i in range(lead, end) if not names[i]]
    if blanks:
        raise InputError(f"{where}: header has no name in {_positions(blanks, sheet, first)}")
    for name in dict.fromkeys(names[lead:end]):
        seen = [i for i in range(lead, end) if names[i] == name]
        if len(seen) > 1:
            times = "twice" if len(seen) == 2 else f"{len(seen)} times"
            listed = _positions(seen, sheet, first)
            raise InputError(f"{where}: header has column '{name}' {times} ({listed})")
    return Table(path, sheet, names[lead:end], None, None, width=len(names), lead=lead)


def _positions(indexes: Sequence[int], sheet: str, first: int = 0) -> str:
    """'column 3' / 'columns 2 and 5': numbers in a CSV, letters in a sheet."""
    shown = [_column_letter(first + i) if sheet else str(i + 1) for i in indexes]
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return f"column{'s' if len(shown) > 1 else ''} {listed}"


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _stray_value(table: Table, row: int, index: int, value: str) -> InputError:
    where = f"{table.path} (sheet '{table.sheet}')" if table.sheet else str(table.path)
    position = _positions([index], table.sheet, table.first_column)
    return InputError(
        f"{where}: row {row} has a value in {position} ('{value[:40]}'), which has no header"
    )


def _rows_to_frames(
    table: Table, records: Iterable[tuple[int, list[str]]], size: int
) -> Iterator[pd.DataFrame]:
    """Numbered records -> frames of the named columns; stray values fail, blanks are skipped."""
    lead, end = table.lead, table.lead + len(table.columns)
    rows: list[list[str]] = []
    index: list[int] = []
    for number, record in records:
        for position, value in enumerate(record):
            if value and not lead <= position < end:
                raise _stray_value(table, number, position, value)
        cells = record[lead:end]
        if any(cells):
            rows.append(cells + [""] * (end - lead - len(cells)))
            index.append(number)
        if len(rows) == size:
            yield pd.DataFrame(rows, columns=table.columns, index=index, dtype=str)
            rows, index = [], []
    if rows:
        yield pd.DataFrame(rows, columns=table.columns, index=index, dtype=str)


# --- CSV ---------------------------------------------------------------------------------


def _open_csv(path: Path, *, skip_rows: int) -> Table:
    encoding = _detect_encoding(path)
    delimiter, records, header_index = _sniff(path, encoding, skip_rows)
    if header_index is None:
        raise InputError(f"{path}: no header row found after skipping {skip_rows} rows")
    shape = _header(path, records[header_index])
    return Table(
        path, "", shape.columns, encoding, delimiter, header_index + 1, shape.width, shape.lead
    )


def _detect_encoding(path: Path) -> str:
    """utf-8-sig / utf-16 by BOM, else utf-8 if every byte decodes, else cp1252."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    bom = head.startswith(codecs.BOM_UTF8)
    bad = _first_undecodable(path, "utf-8")
    if bad is None:
        return "utf-8-sig" if bom else "utf-8"
    # A UTF-8 BOM promises UTF-8: a stray byte then is damage, not another encoding.
    if not bom:
        bad = _first_undecodable(path, "cp1252")
        if bad is None:
            return "cp1252"
    line, byte = bad
    expected = "UTF-8 (the file starts with a UTF-8 BOM)" if bom else "UTF-8 nor Windows-1252"
    raise InputError(f"{path}: line {line} has byte 0x{byte:02X}, which is neither {expected}")


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """(line, byte) of the first byte that does not decode; a NUL byte is an InputError."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as fh:
        for block in itertools.chain(iter(lambda: fh.read(_BLOCK), b""), [b""]):
            nul = block.find(b"\0")
            if nul >= 0:
                line += block.count(b"\n", 0, nul)
                raise InputError(
                    f"{path}: line {line} contains a NUL byte; this is not a text "
                    "file (or it is UTF-16 without a byte-order mark)"
                )
            pending = decoder.getstate()[0]
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                position = max(exc.start - len(pending), 0)
                return line + block.count(b"\n", 0, position), (pending + block)[exc.start]
            line += block.count(b"\n")
    return None


def _sniff(path: Path, encoding: str, skip_rows: int) -> tuple[str, list[list[str]], int | None]:
    """The delimiter whose rows agree best with the header, its parsed sample, header index."""
    # A tie (a one-column file) goes to the extension's usual delimiter.
    order = ("\t", ",", ";", "|") if path.suffix.lower() == ".tsv" else DELIMITERS
    size = _SNIFF_CHARS
    while True:
        with open(path, encoding=encoding, newline="") as fh:
            sample, truncated = fh.read(size), bool(fh.read(1))
        candidates = []
        for rank, delimiter in enumerate(order):
            try:
                records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
            except csv.Error:
                continue
            if truncated and records:
                records.pop()  # may be cut in the middle
            header = next((i for i in range(skip_rows, len(records)) if any(records[i])), None)
            candidates.append((_score(records, header), -rank, delimiter, records, header))
        _, _, delimiter, records, header = max(candidates, key=lambda c: (c[0], c[1]))
        if header is not None or not truncated:
            return delimiter, records, header
        size *= 4


def _score(records: list[list[str]], header: int | None) -> tuple[float, int]:
    """(share of rows as wide as the header, header width); 0 for a one-column reading."""
    if header is None or len(records[header]) < 2:
        return (0.0, 0)
    width = len(records[header])
    rows = [r for r in records[header + 1 :] if any(r)][:_SNIFF_ROWS]
    return ((sum(len(r) == width for r in rows) + 1) / (len(rows) + 1), width)


def _csv_chunks(table: Table, size: int) -> Iterator[pd.DataFrame]:
    last_row = table.header_row
    try:
        reader = pd.read_csv(
            table.path,
            sep=table.delimiter,
            header=None,
            names=range(table.width),
            index_col=False,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            skiprows=table.header_row - 1,
            encoding=table.encoding,
            chunksize=size,
        )
        with reader:
            for raw in reader:
                # The header is the parser's row 0, so it learns the true width first and a
                # longer row is an error later, never a silently inferred index column.
                raw.index = raw.index + table.header_row
                last_row = int(raw.index[-1])
                frame = _finish(table, raw.drop(index=table.header_row, errors="ignore"))
                if len(frame):
                    yield frame
    except pd.errors.ParserError as exc:
        if match := _EOF_IN_QUOTES.search(str(exc)):
            row = int(match[1]) + 1
            message = f"{table.path}: row {row} opens a quoted cell that is never closed"
            raise InputError(message) from exc
        yield from _csv_module_chunks(table, size, after_row=last_row)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{table.path}: cannot read the file ({exc})") from exc


def _finish(table: Table, raw: pd.DataFrame) -> pd.DataFrame:
    """The pandas path of ``_rows_to_frames``, vectorised."""
    named = slice(table.lead, table.lead + len(table.columns))
    if raw.shape[1] > len(table.columns):
        stray = (raw != "").to_numpy()
        stray[:, named] = False
        if stray.any():
            row, column = (int(a[0]) for a in stray.nonzero())
            raise _stray_value(table, int(raw.index[row]), column, str(raw.iat[row, column]))
        raw = raw.iloc[:, named]
    raw.columns = pd.Index(table.columns)
    return raw[~(raw == "").all(axis=1)]


def _csv_module_chunks(table: Table, size: int, *, after_row: int) -> Iterator[pd.DataFrame]:
    """The slow, forgiving path for rows longer than the header, from ``after_row`` on."""
    with open(table.path, encoding=table.encoding, newline="") as fh:
        records = enumerate(csv.reader(fh, delimiter=table.delimiter or ","), 1)
        try:
            yield from _rows_to_frames(
                table, itertools.dropwhile(lambda r: r[0] <= after_row, records), size
            )
        except csv.Error as exc:
            raise InputError(f"{table.path}: cannot read the file ({exc})") from exc


# --- XLSX --------------------------------------------------------------------------------


def _workbook(path: Path) -> calamine.CalamineWorkbook:
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError as exc:
        raise InputError(f"{path}: the workbook is password-protected") from exc
    except (calamine.CalamineError, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a valid Excel workbook ({reason})") from exc


def _open_xlsx(path: Path, *, sheet: str | None, skip_rows: int) -> Table:
    book = _workbook(path)
    names = list(book.sheet_names)
    if sheet is None:
        visible = [
            m.name
            for m in book.sheets_metadata
            if m.visible == calamine.SheetVisibleEnum.Visible
            and m.typ == calamine.SheetTypeEnum.WorkSheet
        ]
        sheet = (visible or names)[0]
    elif sheet not in names:
        close = difflib.get_close_matches(sheet, names, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        listed = ", ".join(f"'{n}'" for n in names)
        raise InputError(f"{path}: no sheet named '{sheet}'; {hint}the sheets are: {listed}")
    try:
        data = book.get_sheet_by_name(sheet)
    except calamine.CalamineError as exc:
        raise InputError(f"{path}: cannot read sheet '{sheet}' ({exc})") from exc
    first = data.start[1] if data.start else 0
    # iter_rows pads the rows above the data, so enumerate() gives the row Excel shows.
    for number, row in enumerate(data.iter_rows(), 1):
        cells = [_cell_text(c) for c in row]
        if number > skip_rows and any(cells):
            shape = _header(path, cells, sheet=sheet, first=first)
            return Table(
                path, sheet, shape.columns, None, None, number, shape.width, shape.lead, first, data
            )
    raise InputError(f"{path} (sheet '{sheet}'): no header row found after {skip_rows} rows")


def _xlsx_chunks(table: Table, size: int) -> Iterator[pd.DataFrame]:
    data = table._sheet_data
    assert isinstance(data, calamine.CalamineSheet)
    records = (
        (number, [c if type(c) is str else _cell_text(c) for c in row])
        for number, row in enumerate(data.iter_rows(), 1)
        if number > table.header_row
    )
    yield from _rows_to_frames(table, records, size)


def _cell_text(value: object) -> str:
    """A cell as the text Excel shows: 12 not 12.0, dates as ISO, no time-zone shift."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _number_text(value: float) -> str:
    if value != value or abs(value) == float("inf"):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    # Excel shows at most 15 significant digits, which also hides 0.1 + 0.2 noise.
    text = format(value, ".15g")
    return format(Decimal(text), "f") if "e" in text else text
