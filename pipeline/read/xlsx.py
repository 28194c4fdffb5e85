"""Read a workbook sheet as a table of text, with python-calamine.

Formats (``WORKBOOK_SUFFIXES``): Excel's ``.xlsx``/``.xlsm``, its binary ``.xlsb``, the
legacy ``.xls`` (Excel 97-2003, what C5 and old Navision export) and LibreOffice's
``.ods``; calamine reads them all into the same cell types, so the guarantees below hold
for each.

The sheet is the first visible worksheet unless one is named; a name that is not there
fails listing the sheets (and the closest one). Every cell becomes the text Excel shows:
``12`` not ``12.0``, dates in ISO form, at most 15 significant digits. Row numbers are the
ones Excel shows, also when the data does not start at A1. Called through
``pipeline.read.readers.open_table`` and ``list_sheets``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import python_calamine as calamine

from pipeline.errors import InputError

from .table import Table, parse_header, rows_to_frames

XLSX_SUFFIXES = (".xlsx", ".xlsm")
#: Every workbook format read here (reports and exports are still written as .xlsx).
WORKBOOK_SUFFIXES = (*XLSX_SUFFIXES, ".xlsb", ".xls", ".ods")


def workbook(path: Path) -> calamine.CalamineWorkbook:
    """The workbook at ``path``; ``InputError`` when it is not one or is locked."""
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError as exc:
        raise InputError(f"{path}: the workbook is password-protected") from exc
    except (calamine.CalamineError, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        what = "OpenDocument spreadsheet" if path.suffix.lower() == ".ods" else "Excel workbook"
        raise InputError(f"{path}: not a valid {what} ({reason})") from exc


def open_xlsx(path: Path, *, sheet: str | None, skip_rows: int) -> Table:
    """Open ``sheet`` (default: the first visible worksheet) and read its header row."""
    book = workbook(path)
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
        cells = [cell_text(c) for c in row]
        if number > skip_rows and any(cells):
            shape = parse_header(path, cells, sheet=sheet, first=first)
            return Table(
                path,
                sheet,
                shape.columns,
                None,
                None,
                number,
                shape.width,
                shape.lead,
                first,
                data,
                _xlsx_chunks,
            )
    raise InputError(f"{path} (sheet '{sheet}'): no header row found after {skip_rows} rows")


def _xlsx_chunks(table: Table, size: int) -> Iterator[pd.DataFrame]:
    data = table._sheet_data
    assert isinstance(data, calamine.CalamineSheet)
    records = (
        (number, [c if type(c) is str else cell_text(c) for c in row])
        for number, row in enumerate(data.iter_rows(), 1)
        if number > table.header_row
    )
    yield from rows_to_frames(table, records, size)


def cell_text(value: object) -> str:
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
