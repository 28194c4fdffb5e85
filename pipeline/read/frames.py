"""A pandas DataFrame read as an input (``pipeline.import_frame``, issue #20).

A query result imports without a file: its columns are the header, each cell becomes the
text a workbook cell of the same value would be (``xlsx.cell_text``: 12 not 12.0, dates
as ISO; missing values, NaN and NaT are empty), and its rows are numbered as a sheet's
would be (the header is row 1, the first row 2), so the report and the errors file read
as they do for a file. The fingerprint is the SHA-256 of that text, so the same frame
run again is the same input to the journal and resumes or recognises what it holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pipeline.errors import InputError

from .table import Table, parse_header, rows_to_frames
from .xlsx import cell_text

__all__ = ["open_frame"]


def open_frame(frame: pd.DataFrame, *, name: str) -> tuple[Table, str]:
    """(the frame as a ``Table`` named ``name``, its fingerprint)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{name}: expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(frame.columns, pd.MultiIndex):
        raise InputError(f"{name}: the frame has a column MultiIndex; give one header row")
    if frame.columns.empty:
        raise InputError(f"{name}: the frame has no columns")
    header = [_header_text(c) for c in frame.columns]
    table = parse_header(Path(name), header)
    digest = hashlib.sha256()
    for record in [header, *_records(frame)]:  # one pass now, one per read: memory stays flat
        digest.update("\x1f".join(record).encode() + b"\x1e")

    def read(table: Table, size: int) -> Iterator[pd.DataFrame]:
        yield from rows_to_frames(table, enumerate(_records(frame), start=2), size)

    return Table(table.path, "", table.columns, None, None, width=table.width,
                 lead=table.lead, _reader=read), digest.hexdigest()  # fmt: skip


def _records(frame: pd.DataFrame) -> Iterator[list[str]]:
    for row in frame.itertuples(index=False, name=None):
        yield [_text(value) for value in row]


def _header_text(name: object) -> str:
    return "" if _missing(name) else str(name)


def _text(value: object) -> str:
    if _missing(value):
        return ""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # a numpy scalar as the Python value it holds
    return cell_text(value)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False  # a list or an array in a cell: not missing, shown as text
