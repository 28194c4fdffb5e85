"""What a column's values look like: the value half of ``econ-import map``.

A column is read as text (``pipeline.read.readers``) and sorted into one ``kind`` by its
non-empty cells: 8-digit CVR numbers, 13-digit EAN numbers, 4-digit Danish postal codes,
e-mail addresses, web addresses, phone numbers, yes/no words, whole numbers, numbers
written the Danish way (``1.234,50``) or with a decimal point, else text. A kind needs
``KIND_SHARE`` of the cells, so one stray typo does not hide a column of e-mails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.mapping import DECIMAL_COMMA, FALSE_WORDS, TRUE_WORDS
from pipeline.read import Table

#: Rows read to judge the values (the header alone is read for the rest).
SAMPLE_ROWS = 5000
#: Share of a column's non-empty cells that must fit a kind.
KIND_SHARE = 0.95

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_URL = re.compile(r"(https?://|www\.)\S+|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(/\S*)?")
_PHONE = re.compile(r"(\+|00)?[\d\s().-]{6,}")
#: Dates are not phone numbers: 2019-01-31, 31-01-2019, 31.01.2019, 31/01/19.
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL_POINT = re.compile(r"[+-]?\d+(\.\d+)?")

#: Kind -> (test of one cell, what the values are, for the reason).
KINDS: dict[str, tuple[Callable[[str], bool], str]] = {
    "cvr": (lambda v: len(v) == 8 and v.isdigit(), "8-digit CVR numbers"),
    "ean": (lambda v: len(v) == 13 and v.isdigit(), "13-digit EAN numbers"),
    "zip": (lambda v: len(v) == 4 and v.isdigit(), "4-digit Danish postal codes"),
    # Not a kind of its own (five digits are as often numbers): the drafter takes them as
    # postal codes only beside a city column.
    "zip5": (lambda v: len(v) == 5 and v.isdigit(), "5-digit postal codes"),
    "email": (lambda v: bool(_EMAIL.fullmatch(v)), "e-mail addresses"),
    "url": (lambda v: bool(_URL.fullmatch(v)) and "@" not in v, "web addresses"),
    "phone": (lambda v: _is_phone(v), "phone numbers"),
    "integer": (lambda v: bool(_INTEGER.fullmatch(v)), "whole numbers"),
    "decimal-point": (lambda v: bool(_DECIMAL_POINT.fullmatch(v)), "numbers"),
    # The transform's own grammar, so a draft proposes decimal-comma only for cells it reads.
    "decimal-comma": (lambda v: bool(DECIMAL_COMMA.pattern.fullmatch(v)), "Danish-style numbers"),
}


#: Tests in ``KINDS`` that never decide a column's kind alone.
NOT_KINDS = frozenset(("zip5",))


def _is_phone(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    spelled = not value.isdigit() or value.startswith("00")
    return digits >= 6 and spelled and bool(_PHONE.fullmatch(value)) and not _DATE.fullmatch(value)


@dataclass(frozen=True)
class ColumnProfile:
    """One column's sampled values: how many rows, how many empty, what they look like."""

    header: str
    values: tuple[str, ...]  # the non-empty cells, stripped, in row order
    rows: int
    kind: str
    examples: tuple[str, ...]
    cells: tuple[str, ...] = ()  # every cell, stripped, '' when empty: one a row

    @property
    def empty(self) -> int:
        return self.rows - len(self.values)

    @property
    def unique(self) -> bool:
        """Filled in every sampled row, and never twice the same: it can identify a row."""
        return self.rows > 0 and not self.empty and len(set(self.values)) == self.rows

    def fits(self, kind: str) -> bool:
        """True when at least ``KIND_SHARE`` of the non-empty cells are of ``kind``."""
        return _share(self.values, KINDS[kind][0]) >= KIND_SHARE

    def booleans(self) -> dict[str, bool] | None:
        """Each distinct yes/no word as true/false, when at least ``KIND_SHARE`` of the
        cells are such words (the rest are left to the validator), else None."""
        words = TRUE_WORDS | FALSE_WORDS
        if not self.values or _share(self.values, lambda v: v.lower() in words) < KIND_SHARE:
            return None
        distinct = dict.fromkeys(self.values)
        return {v: v.lower() in TRUE_WORDS for v in distinct if v.lower() in words}

    def described(self, kind: str | None = None) -> str:
        """``values look like 8-digit CVR numbers (e.g. '12345678')`` (of ``kind``, else
        of the column's own kind)."""
        kind = kind or self.kind
        what = KINDS[kind][1] if kind in KINDS else "text"
        shown = ", ".join(f"'{e}'" for e in self.examples)
        return f"values look like {what}" + (f" (e.g. {shown})" if shown else "")


def profile_table(table: Table, *, rows: int = SAMPLE_ROWS) -> list[ColumnProfile]:
    """A profile of every column of ``table``, from its first ``rows`` data rows."""
    first = next(iter(table.chunks(rows)), None)
    if first is None:
        first = pd.DataFrame(columns=table.columns, dtype=str)
    return [profile_column(str(c), first[c].tolist()) for c in table.columns]


def profile_column(header: str, cells: Sequence[str]) -> ColumnProfile:
    """Profile one column's cells (text, ``''`` when empty)."""
    stripped = tuple(c.strip() for c in cells)
    values = tuple(v for v in stripped if v)
    kind = _kind(values)
    examples = tuple(dict.fromkeys(values))[:2]
    return ColumnProfile(header, values, len(cells), kind, examples, stripped)


def _kind(values: Sequence[str]) -> str:
    if not values:
        return "empty"
    lowered = {v.lower() for v in values}
    if lowered <= TRUE_WORDS | FALSE_WORDS and not lowered <= {"0", "1"}:
        return "boolean"
    for kind, (test, _) in KINDS.items():
        if kind in NOT_KINDS:
            continue
        if _share(values, test) >= KIND_SHARE:
            if kind == "decimal-point" and not any("." in v for v in values):
                continue
            if kind == "decimal-comma" and not any("," in v for v in values):
                continue
            return kind
    return "text"


def _share(values: Sequence[str], test: Callable[[str], bool]) -> float:
    return sum(map(test, values)) / len(values) if values else 0.0
