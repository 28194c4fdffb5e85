"""The preview of a dry run with a target: every write the import would send, as lines.

A dry run (``validate``, ``import --dry-run``) that can reach the API decides every row
against what exists through the import's own path (``pipeline.send``); a write it would
send is handed to ``ChangeLog.record`` instead of the writer (issue #11, "terraform plan").

Files, in the report folder:

- ``changes.csv``: ``CHANGE_COLUMNS``, one line per property a ``create`` sets, and one
  per property an ``update`` changes (``old`` what the API holds, ``new`` the row's
  value); unchanged and skipped rows have no lines. Values are flat property paths and
  cell text (``pipeline.payload.flatten``), as an export writes them.
- ``changes.xlsx``: the same lines, readable at a glance: bold, frozen header, column
  widths, ``old`` and ``new`` side by side and tinted.

Every cell passes through the run's ``Redactor``; the CSV's cells through ``neutralise``
and the workbook's are text cells (``pipeline.report_xlsx.text_cell``), so none can run as
a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill

from pipeline.constraints import Entity
from pipeline.payload import flatten
from pipeline.redact import Redactor, neutralise
from pipeline.report_xlsx import text_cell

#: changes.csv columns, in order: a public contract (issue #11).
CHANGE_COLUMNS = ("source", "sheet", "row", "entity", "key", "id", "action", "property", "old",
                  "new")  # fmt: skip
CREATE = "create"
UPDATE = "update"
#: Widths of changes.xlsx's columns, in characters.
_WIDTHS = (24, 12, 7, 18, 14, 10, 9, 36, 36, 36)
_OLD_FILL = PatternFill(fill_type="solid", fgColor="FFFDE9E7")
_NEW_FILL = PatternFill(fill_type="solid", fgColor="FFE6F4EA")
#: Excel's last row; lines past it are in changes.csv only (the workbook says so).
_EXCEL_ROWS = 1_048_576


@dataclass(frozen=True)
class RowPlace:
    """Where a row comes from and what results.csv calls it."""

    source: str
    sheet: str
    row: int
    entity: str
    key: str


@dataclass(frozen=True)
class ChangesReport:
    """What a preview found: rows to create and to update, and where the lines are."""

    create: int
    update: int
    csv: Path
    xlsx: Path


def planned_lines(
    entity: Entity,
    payload: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None,
) -> list[tuple[str, str, str, str]]:
    """``(action, property, old, new)`` for a write of ``payload`` over ``existing``.

    A create lists every property it sets; an update every property whose text differs
    from what the API holds, compared as ``pipeline.decide.is_unchanged`` does (a
    property the row leaves empty is not part of the write, so it is no change).
    """
    new = flatten(payload, entity)
    if existing is None:
        return [(CREATE, path, "", text) for path, text in new.items()]
    old = flatten(existing, entity)
    return [
        (UPDATE, path, old.get(path, ""), text)
        for path, text in new.items()
        if old.get(path, "") != text
    ]


def change_counts(changes: ChangesReport, *, unchanged: int, skipped: int) -> dict[str, int]:
    """summary.json's ``changes``: rows the import would create, update, leave, skip."""
    return {"create": changes.create, "update": changes.update, "unchanged": unchanged,
            "skip": skipped}  # fmt: skip


class ChangeLog:
    """Streams the preview's lines to changes.csv and changes.xlsx."""

    def __init__(self, directory: Path, *, redactor: Redactor) -> None:
        self._redactor = redactor
        self.csv_path = Path(directory) / "changes.csv"
        self.xlsx_path = Path(directory) / "changes.xlsx"
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
        self._report: ChangesReport | None = None

    def record(
        self,
        place: RowPlace,
        *,
        id: str,
        lines: list[tuple[str, str, str, str]],
    ) -> None:
        """Add one row's planned write: its ``planned_lines``."""
        if not lines:
            return
        self._counts[lines[0][0]] += 1
        for action, prop, old, new in lines:
            cells = [place.source, place.sheet, str(place.row), place.entity, place.key, id,
                     action, prop, old, new]  # fmt: skip
            cells = self._redactor.redact_all(cells)
            self._csv.writerow([neutralise(c) for c in cells])
            self._add_sheet_row(cells)

    def close(self) -> ChangesReport:
        """Finish both files; what the preview counted (idempotent)."""
        if self._report is None:
            self._file.close()
            self._book.save(self.xlsx_path)
            self._report = ChangesReport(
                self._counts[CREATE], self._counts[UPDATE], self.csv_path, self.xlsx_path
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
