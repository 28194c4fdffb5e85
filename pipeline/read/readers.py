"""Read CSV files and workbooks as tables of text: the first stage of an import.

Every cell is read as text, never guessed: a zip code ``0800``, a phone number ``0045..``
or a CVR number keeps its leading zeros; ``pipeline.constraints.convert`` later decides
what the text means for its property. Rows keep the number the user sees in the
spreadsheet (header is row 1, so the first data row is 2), blank rows are skipped without
renumbering the rest, and files are read in chunks so memory stays flat however long they
are.

CSV: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode text"), else
Windows-1252; the delimiter is sniffed among ``, ; TAB |``. The fast path is pandas' C
parser; a row longer than the header stops it, and the rest is then read with the ``csv``
module, which tells harmless trailing delimiters from real stray values. Workbooks
(``.xlsx .xlsm .xlsb .xls .ods``) are read with python-calamine (``pipeline.read.xlsx``);
``pipeline.read.table`` holds what both share (``Table``, the header rules, records to
chunks). Every problem with the file is an ``InputError`` of one line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.errors import InputError

from .table import DEFAULT_CHUNK_SIZE, Table, parse_header, rows_to_frames, stray_value
from .xlsx import WORKBOOK_SUFFIXES, open_xlsx, workbook

__all__ = ["DEFAULT_CHUNK_SIZE", "Table", "fingerprint", "list_sheets", "open_table"]

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
DELIMITERS = (",", ";", "\t", "|")

_BLOCK = 1 << 20
_SNIFF_CHARS = 64 * 1024
_SNIFF_ROWS = 50
_EOF_IN_QUOTES = re.compile(r"EOF inside string starting at row (\d+)")


def open_table(path: Path, *, sheet: str | None = None, skip_rows: int = 0) -> Table:
    """Open ``path``, read its header (after ``skip_rows`` rows) and sniff its format."""
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return open_xlsx(path, sheet=sheet or None, skip_rows=skip_rows)
    if sheet:
        workbooks = ", ".join(WORKBOOK_SUFFIXES)
        raise InputError(f"{path}: a sheet can only be chosen in a workbook ({workbooks})")
    return _open_csv(path, skip_rows=skip_rows)


def list_sheets(path: Path) -> list[str]:
    """The sheet names of a workbook; ``['']`` for a CSV file, which has one unnamed sheet."""
    path = Path(path)
    _check_file(path)
    return list(workbook(path).sheet_names) if path.suffix.lower() in WORKBOOK_SUFFIXES else [""]


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
    if suffix not in CSV_SUFFIXES + WORKBOOK_SUFFIXES:
        supported = ", ".join(CSV_SUFFIXES + WORKBOOK_SUFFIXES)
        raise InputError(f"{path}: unsupported file type '{suffix}'; supported: {supported}")
    if size == 0:
        raise InputError(f"{path}: the file is empty")


# --- CSV ---------------------------------------------------------------------------------


def _open_csv(path: Path, *, skip_rows: int) -> Table:
    encoding = _detect_encoding(path)
    delimiter, records, header_index = _sniff(path, encoding, skip_rows)
    if header_index is None:
        raise InputError(f"{path}: no header row found after skipping {skip_rows} rows")
    shape = parse_header(path, records[header_index])
    return Table(
        path,
        "",
        shape.columns,
        encoding,
        delimiter,
        header_index + 1,
        shape.width,
        shape.lead,
        _reader=_csv_chunks,
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
        if not candidates:  # every delimiter met a cell past the csv module's limit
            limit = csv.field_size_limit()
            raise InputError(f"{path}: a cell is longer than {limit:,} characters")
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
                if raw.index[0] == table.header_row:  # the first chunk: a view, no copy
                    raw = raw.iloc[1:]
                frame = _finish(table, raw)
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
    """The pandas path of ``rows_to_frames``, vectorised."""
    named = slice(table.lead, table.lead + len(table.columns))
    if raw.shape[1] > len(table.columns):
        stray = (raw != "").to_numpy()
        stray[:, named] = False
        if stray.any():
            row, column = (int(a[0]) for a in stray.nonzero())
            raise stray_value(table, int(raw.index[row]), column, str(raw.iat[row, column]))
        raw = raw.iloc[:, named]
    raw.columns = pd.Index(table.columns)
    blank = _blank_rows(raw)
    return raw[~blank] if blank.any() else raw


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for each row whose every cell is empty.

    Column by column, each looking only at the rows still blank so far: most rows are
    settled by their first cell, so this costs about one column, not the whole chunk.
    """
    blank = np.ones(len(frame), dtype=bool)
    for position in range(frame.shape[1]):
        candidates = np.flatnonzero(blank)
        if not len(candidates):
            break
        cells = frame.iloc[:, position].to_numpy(dtype=object)
        blank[candidates] = cells[candidates] == ""
    return blank


def _csv_module_chunks(table: Table, size: int, *, after_row: int) -> Iterator[pd.DataFrame]:
    """The slow, forgiving path for rows longer than the header, from ``after_row`` on."""
    with open(table.path, encoding=table.encoding, newline="") as fh:
        records = enumerate(csv.reader(fh, delimiter=table.delimiter or ","), 1)
        try:
            yield from rows_to_frames(
                table, itertools.dropwhile(lambda r: r[0] <= after_row, records), size
            )
        except csv.Error as exc:
            raise InputError(f"{table.path}: cannot read the file ({exc})") from exc
