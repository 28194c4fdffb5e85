"""Per input, the rows that did not succeed: errors.csv and errors.xlsx, ready to fix.

Each input of a run gets an ``InputReport``; its files are opened when its first row
fails, with the input's own headers, order, delimiter and encoding, so a person can fix
the rows and import them again with the same mapping. Every cell passes the run's
``Redactor`` and ``neutralise``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pipeline.redact import Redactor, neutralise
from pipeline.write import RowResult

from .xlsx import ERRORS_COLUMN, ErrorWorkbook


class LineFile:
    """A text file written in whole lines: ``write`` buffers, ``flush`` writes out.

    ``written`` is the file's size after the last flush that succeeded: a disk that fills
    up mid-write may leave part of a line, which ``abandon`` cuts off again.
    """

    #: The buffer's own (C) ``write``: ``csv.writer`` calls it once per row.
    write: Callable[[str], int]

    def __init__(self, path: Path, *, encoding: str = "utf-8") -> None:
        self.path = path
        self._file: IO[str] = path.open("w", encoding=encoding, errors="replace", newline="")
        self._pending = io.StringIO()
        self.write = self._pending.write
        self.written = 0
        self._whole = False  # closed with everything written

    def flush(self) -> None:
        if self._pending.tell():
            self._file.write(self._pending.getvalue())
            self._pending.seek(0)
            self._pending.truncate()
        self._file.flush()
        self.written = os.fstat(self._file.fileno()).st_size

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()
            self._whole = True

    def abandon(self) -> None:
        """Close without what is pending (a write failed): the file keeps whole lines."""
        if self._whole:
            return
        self._pending = io.StringIO()
        self.write = self._pending.write
        with suppress(OSError):
            self._file.close()  # closes even when its last flush fails
        with suppress(OSError):
            os.truncate(self.path, self.written)


@dataclass
class InputReport:
    """One input of the run and, once a row of it fails, its errors files."""

    source: str
    sheet: str
    entity: str
    columns: list[str]
    positions_by_property: dict[str, list[int]]  # property path -> its source columns
    delimiter: str
    encoding: str
    stem: str
    keep_open: bool = False  # rows may still fail later (a customer's links, issue #14)
    csv_file: LineFile | None = None
    write_csv_row: Callable[[Iterable[str]], object] | None = None
    workbook: ErrorWorkbook | None = None
    rows: int = 0
    paths: list[Path] = field(default_factory=list)

    def describe(self) -> dict[str, object]:
        return {
            "source": self.source,
            "sheet": self.sheet,
            "entity": self.entity,
            "failed_rows": self.rows,
            "errors_files": [p.name for p in self.paths],
        }

    def close(self) -> None:
        if self.csv_file is not None:
            self.csv_file.close()
        if self.workbook is not None:
            self.workbook.close()

    def abandon(self) -> None:
        """Close without writing more (a write failed): errors.csv keeps whole lines, and
        errors.xlsx, which is only written at the end, is not."""
        if self.csv_file is not None:
            self.csv_file.abandon()
        if self.workbook is not None and not self.workbook.saved:
            self.workbook.discard()
            path = self.workbook.path
            self.paths = [p for p in self.paths if p != path]
            self.workbook = None
            with suppress(OSError):
                path.unlink(missing_ok=True)  # a save cut short leaves no valid workbook

    def add_failed(
        self, result: RowResult, original: Mapping[str, str], *, redactor: Redactor, directory: Path
    ) -> None:
        """Add a row that did not succeed to this input's errors.csv and errors.xlsx."""
        if self.csv_file is None:
            self._open(redactor, directory)
        texts = redactor.redact_all([_text(original.get(name)) for name in self.columns])
        error_text = redactor.redact(result.error_text())
        assert self.write_csv_row is not None and self.workbook is not None
        self.write_csv_row([neutralise(t) for t in [*texts, error_text]])
        problems: dict[int, list[str]] = {}
        for error in result.errors:
            for position in self.columns_of(error.property):
                problems.setdefault(position, []).append(
                    redactor.redact(f"{error.message} ({error.code})")
                )
        self.workbook.add_row(texts, problems=problems, errors=error_text)
        self.rows += 1

    def columns_of(self, prop: str) -> list[int]:
        """The positions of the source columns mapped to ``prop``."""
        if prop in self.positions_by_property:
            return self.positions_by_property[prop]
        # An API error may name the reference object ("customerGroup") rather than the
        # mapped leaf ("customerGroup.customerGroupNumber"): highlight its mapped leaves.
        prefix = prop + "."
        return [
            n for p, ns in self.positions_by_property.items() if p.startswith(prefix) for n in ns
        ]

    def _open(self, redactor: Redactor, directory: Path) -> None:
        csv_path = directory / f"{self.stem}.csv"
        self.csv_file = LineFile(csv_path, encoding=self.encoding)
        self.write_csv_row = csv.writer(self.csv_file, delimiter=self.delimiter).writerow
        header = [redactor.redact(name) for name in self.columns]
        self.write_csv_row([neutralise(h) for h in [*header, ERRORS_COLUMN]])
        xlsx_path = directory / f"{self.stem}.xlsx"
        self.workbook = ErrorWorkbook(xlsx_path, sheet=self.sheet, columns=header)
        self.paths = [csv_path, xlsx_path]


def stem_for(source: str, sheet: str) -> str:
    """``errors-<file>[-<sheet>]``, safe as a file name on every system."""
    parts = [Path(source).stem, sheet] if sheet else [Path(source).stem]
    return "-".join(["errors", *(re.sub(r"[^\w.-]+", "_", part) for part in parts)])


def free_stem(stem: str, entity: str, taken: set[str]) -> str:
    """``stem``, or with the entity (then a number) added when another input has it."""
    if stem not in taken:
        return stem
    stem = f"{stem}-{entity}"
    candidate, n = stem, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def _text(value: object) -> str:
    return "" if value is None else str(value)
