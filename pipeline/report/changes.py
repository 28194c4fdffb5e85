"""changes.csv and changes.xlsx: a preview's planned writes (``pipeline.write.changes``).

- ``changes.csv``: ``CHANGE_COLUMNS``, one line per property a ``create`` sets and one per
  property an ``update`` changes; unchanged and skipped rows have no lines. A customer's
  link PUT is ``update`` lines of its row, after every step's lines (the link phase runs
  last).
- ``changes.xlsx``: the same lines, readable at a glance: bold, frozen header, column
  widths, ``old`` and ``new`` side by side and tinted.

Every cell passes through the run's ``Redactor``; the CSV's cells through ``neutralise``
and the workbook's are text cells (``pipeline.report.xlsx.text_cell``), so none can run as
a formula. Both are streamed: a long preview costs no memory per line.

A write that fails raises ``ReportError`` once (``pipeline.report.folder.writing``); the
log is then ``failure``'s and records nothing more, and ``close`` keeps changes.csv as far
as it got and drops the workbook, without raising.
"""

from __future__ import annotations

import csv
from contextlib import suppress
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill

from pipeline.errors import ReportError
from pipeline.redact import Redactor, neutralise
from pipeline.write import CHANGE_COLUMNS, CREATE, UPDATE, ChangesReport, Line, RowPlace

from .folder import writing
from .tally import ChangeTally
from .xlsx import discard_workbook, text_cell

#: Widths of changes.xlsx's columns, in characters.
_WIDTHS = (24, 12, 7, 18, 14, 10, 9, 36, 36, 36)
_OLD_FILL = PatternFill(fill_type="solid", fgColor="FFFDE9E7")
_NEW_FILL = PatternFill(fill_type="solid", fgColor="FFE6F4EA")
#: Excel's last row; lines past it are in changes.csv only (the workbook says so).
_EXCEL_ROWS = 1_048_576


class ChangeLog:
    """Streams the preview's lines to changes.csv and changes.xlsx."""

    def __init__(self, directory: Path, *, redactor: Redactor) -> None:
        self._redactor = redactor
        self.csv_path = Path(directory) / "changes.csv"
        self.xlsx_path = Path(directory) / "changes.xlsx"
        #: The first failed write; from then on nothing more is recorded.
        self.failure: ReportError | None = None
        with writing(self.csv_path):
            self._file = self.csv_path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(CHANGE_COLUMNS)
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("changes")
        self._sheet.freeze_panes = "A2"
        for n, width in enumerate(_WIDTHS):
            self._sheet.column_dimensions[chr(ord("A") + n)].width = width
        bold = Font(bold=True)
        self._sheet.append([self._header(name, bold) for name in CHANGE_COLUMNS])
        self._rows = 1
        self._counts = {CREATE: 0, UPDATE: 0}
        self._links = 0
        self._report: ChangesReport | None = None
        #: Rows per entity and action, lines per property: for report.html.
        self.tally = ChangeTally()

    def record(
        self,
        place: RowPlace,
        *,
        id: str,
        lines: list[Line],
        links: bool = False,
    ) -> None:
        """Add one row's planned write: its ``planned_lines`` (``links``: its link PUT's
        ``planned_link_lines``, counted apart from the row's own write)."""
        if not lines or self.failure is not None:
            return
        try:
            with writing(self.csv_path):
                self._record(place, id=id, lines=lines, links=links)
        except ReportError as exc:
            self.failure = exc
            raise

    def _record(self, place: RowPlace, *, id: str, lines: list[Line], links: bool) -> None:
        if links:
            self._links += 1
        else:
            self._counts[lines[0][0]] += 1
        self.tally.add(place.entity, lines[0][0], [line[1] for line in lines], links=links)
        for action, prop, old, new in lines:
            cells = [place.source, place.sheet, str(place.row), place.entity, place.key, id,
                     action, prop, old, new]  # fmt: skip
            cells = self._redactor.redact_all(cells)
            self._csv.writerow([neutralise(c) for c in cells])
            self._add_sheet_row(cells)

    def close(self) -> ChangesReport:
        """Finish both files; what the preview counted (idempotent)."""
        if self._report is None:
            try:
                if self.failure is None:
                    with writing(self.csv_path):
                        self._file.close()
                    with writing(self.xlsx_path):
                        self._book.save(self.xlsx_path)
            except ReportError as exc:
                self.failure = exc
            if self.failure is not None:
                with suppress(OSError):
                    self._file.close()  # closes even when its last write fails
                discard_workbook(self._book)
                with suppress(OSError):
                    self.xlsx_path.unlink(missing_ok=True)  # a save cut short is no workbook
            self._report = ChangesReport(
                self._counts[CREATE],
                self._counts[UPDATE],
                self.csv_path,
                self.xlsx_path,
                links=self._links,
            )
        return self._report

    def _add_sheet_row(self, cells: list[str]) -> None:
        if self._rows >= _EXCEL_ROWS:
            return
        self._rows += 1
        if self._rows == _EXCEL_ROWS:
            cells = ["(more lines in changes.csv: past Excel's last row)"]
        row = [text_cell(self._sheet, c) for c in cells]
        if len(row) > 2:  # the row number as a number: no "number stored as text" flags
            row[2] = WriteOnlyCell(self._sheet, value=int(cells[2]))
        for position, fill in ((8, _OLD_FILL), (9, _NEW_FILL)):
            if position < len(row):
                cell = row[position] or WriteOnlyCell(self._sheet, value=None)
                cell.fill = fill
                row[position] = cell
        self._sheet.append(row)

    def _header(self, name: str, font: Font) -> Cell:
        cell = WriteOnlyCell(self._sheet, value=name)
        cell.font = font
        return cell
