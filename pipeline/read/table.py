"""An opened input's shape: ``Table``, the header rules, and records to DataFrame chunks.

Shared by the CSV reader (``pipeline.read.readers``) and the XLSX reader (``pipeline.read.xlsx``):
the header's empty cells at either end are ignored and any other empty or repeated name
fails; a value outside the named columns fails naming its cell; blank rows are skipped
without renumbering the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import InputError

DEFAULT_CHUNK_SIZE = 10_000

ChunkReader = Callable[["Table", int], Iterator[pd.DataFrame]]


@dataclass(frozen=True)
class Table:
    """An opened input: its header and how to read the rest.

    ``header_row`` is the spreadsheet row of the header; ``width`` the cells in that row
    and ``lead`` the empty ones before the first name (cells outside the named columns
    must stay empty); ``first_column`` is where an XLSX sheet's data starts (0 = A).
    ``_reader`` is the format's chunk reader, set by the function that opened the file.
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
    _reader: ChunkReader | None = field(default=None, compare=False, repr=False)

    def chunks(self, size: int = DEFAULT_CHUNK_SIZE) -> Iterator[pd.DataFrame]:
        """DataFrames of str ('' when empty), indexed by spreadsheet row, blank rows removed."""
        if self._reader is None:
            raise RuntimeError("Table has no reader: open it with pipeline.read.readers.open_table")
        yield from self._reader(self, size)


def parse_header(path: Path, cells: Sequence[str], *, sheet: str = "", first: int = 0) -> Table:
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


def stray_value(table: Table, row: int, index: int, value: str) -> InputError:
    """The error for a value in a cell that has no header (``index`` counts from 0)."""
    where = f"{table.path} (sheet '{table.sheet}')" if table.sheet else str(table.path)
    position = _positions([index], table.sheet, table.first_column)
    return InputError(
        f"{where}: row {row} has a value in {position} ('{value[:40]}'), which has no header"
    )


def rows_to_frames(
    table: Table, records: Iterable[tuple[int, list[str]]], size: int
) -> Iterator[pd.DataFrame]:
    """Numbered records -> frames of the named columns; stray values fail, blanks are skipped."""
    lead, end = table.lead, table.lead + len(table.columns)
    width = end - lead
    rows: list[list[str]] = []
    index: list[int] = []
    for number, record in records:
        if len(record) > width or lead:
            for position, value in enumerate(record):
                if value and not lead <= position < end:
                    raise stray_value(table, number, position, value)
            cells = record[lead:end]
        else:
            cells = record
        if any(cells):
            rows.append(cells + [""] * (width - len(cells)) if len(cells) < width else cells)
            index.append(number)
        if len(rows) == size:
            yield pd.DataFrame(rows, columns=table.columns, index=index, dtype=str)
            rows, index = [], []
    if rows:
        yield pd.DataFrame(rows, columns=table.columns, index=index, dtype=str)


def frame_records(frame: pd.DataFrame) -> list[dict[str, str]]:
    """``frame.to_dict("records")``, about four times faster on columns of Python strings.

    pandas builds each record cell by cell through its boxing machinery; zipping the
    columns' lists does the same in C. Column names must be unique (a chunk's are).
    """
    columns = [str(name) for name in frame.columns]
    cells = [frame.iloc[:, i].tolist() for i in range(len(columns))]
    return [dict(zip(columns, row, strict=True)) for row in zip(*cells, strict=True)]
