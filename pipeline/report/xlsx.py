"""errors.xlsx: the failed rows with their original cells, bad cells highlighted.

Written with openpyxl's write-only mode, so only the failed rows pass through memory and
are streamed to a temporary file until ``close`` saves the workbook.

Formula safety without a prefix: every cell is stored as a text cell (``data_type 's'``,
an inline string), never as a formula, so ``=HYPERLINK(...)`` stays the literal text a
user typed and the re-import reads it back unchanged. Text that looks like a formula
also gets Excel's quote prefix style, so editing the cell keeps it text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from pipeline.redact import FORMULA_START

#: Excel's own "Bad" cell colour, so the highlight reads as an error at a glance.
BAD_FILL = PatternFill(fill_type="solid", fgColor="FFFFC7CE")
BAD_FONT = Font(color="FF9C0006")
COMMENT_AUTHOR = "econ-import"
DEFAULT_SHEET = "errors"
#: The trailing column of an errors file; the importer ignores it on re-import.
ERRORS_COLUMN = "errors"


class ErrorWorkbook:
    """One input's failed rows as a single-sheet workbook (original headers + ``errors``)."""

    def __init__(self, path: Path, *, sheet: str, columns: Sequence[str]) -> None:
        self.path = path
        self._workbook = Workbook(write_only=True)
        # A re-import with the same mapping looks for the same sheet name.
        self._sheet = self._workbook.create_sheet(title=_sheet_title(sheet))
        self._sheet.append([self._text(name) for name in [*columns, ERRORS_COLUMN]])
        self.saved = False

    def add_row(self, cells: Sequence[str], *, problems: Mapping[int, Sequence[str]],
                errors: str) -> None:  # fmt: skip
        """Append a row; ``problems`` maps a cell's position to its error messages."""
        row = []
        for position, text in enumerate(cells):
            cell = self._text(text)
            messages = problems.get(position)
            if messages:
                cell = cell if cell is not None else WriteOnlyCell(self._sheet, value=None)
                cell.fill = BAD_FILL
                cell.font = BAD_FONT
                cell.comment = _comment(messages)
            row.append(cell)
        row.append(self._text(errors))
        self._sheet.append(row)

    def close(self) -> None:
        """Save the workbook; idempotent."""
        if not self.saved:
            self._workbook.save(self.path)
            self.saved = True

    def discard(self) -> None:
        """Let go of the workbook unsaved (a report write failed): ``discard_workbook``."""
        discard_workbook(self._workbook)

    def _text(self, text: str) -> Cell | None:
        return text_cell(self._sheet, text)


def discard_workbook(book: Workbook) -> None:
    """Finish a write-only workbook's sheets without saving it (a report write failed).

    A write-only sheet streams its rows to a temporary file through a generator; left
    unfinished, the generator is only closed when the interpreter exits, after openpyxl
    has closed that file, and prints an "Exception ignored" traceback to stderr.
    """
    for sheet in book.worksheets:
        with suppress(Exception):  # whatever state a failed save left it in
            if not sheet.closed:
                sheet.close()


def text_cell(sheet: Any, text: str) -> Cell | None:
    """A write-only cell holding ``text`` as text, never a formula (None for '')."""
    if text == "":
        return None  # an empty cell reads back as '' in the re-import
    # XML 1.0 cannot carry C0 control characters (other than tab/CR/LF) at all.
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))
    # openpyxl takes '=...' for a formula and '#N/A' for an error value: force text.
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def _sheet_title(sheet: str) -> str:
    # Excel's rules: at most 31 characters, none of []:*?/\ (a real sheet name passes).
    return re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or DEFAULT_SHEET


def _comment(messages: Sequence[str]) -> Comment:
    text = "\n".join(messages)
    lines = sum(1 + len(m) // 50 for m in messages)
    return Comment(text, COMMENT_AUTHOR, height=min(400, 20 + 15 * lines), width=320)
