"""The vectorised column checks the validation schema is built from (``pipeline.validate``).

Each check takes a column of cell text and answers, per cell, "may be fine" (True) or
"look closer" (False). They are a fast filter: they may flag a good cell, never pass a bad
one, and ``pipeline.validate.cell_violations`` settles every flagged cell with the rules
the sandbox uses. Empty text passes every check but ``required``: it is never sent.

They run over whole columns of a chunk, on millions of rows, so each works on the column's
numpy array of ``str`` and takes the common case in one C-level step where it can (a
column of plain digits is one ``str.isdigit`` over the joined text; a column of a few
distinct values, such as group, terms or zone, is checked once per distinct value).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.constraints import CODE_TYPE, Field, Violation, check_value, convert

SeriesCheck = Callable[[pd.Series], pd.Series]

#: The name of the check that a required cell is not empty.
CHECK_REQUIRED = "required"


def cell_violations(f: Field, text: str) -> list[Violation]:
    """Every constraint of ``f`` that the cell ``text`` breaks once converted.

    Empty text is never sent, so it breaks nothing here (``required`` is a row matter).
    Text that cannot be converted gives one ``CODE_TYPE`` violation worded by
    ``convert_cell``; otherwise the sandbox's own ``check_value`` decides.
    """
    if text == "":
        return []
    try:
        value = convert.convert_cell(f, text)
    except convert.ConversionError as exc:
        return [Violation(CODE_TYPE, str(exc))]
    return check_value(f, value)


def _ascii_or_empty(pattern: re.Pattern[str]) -> re.Pattern[str]:
    # convert.py's own pattern, narrowed to ASCII digits and unstripped: a subset of what
    # convert_cell accepts, so this filter may over-flag (settled by cell_violations) but
    # never misses. Empty text is allowed: it is never sent.
    flags = (pattern.flags & ~re.UNICODE) | re.ASCII
    return re.compile(f"(?:{pattern.pattern})?", flags)


_PATTERNS = {
    "integer": _ascii_or_empty(convert._INTEGER),
    "number": _ascii_or_empty(convert._NUMBER),
}
_BOOLEAN_WORDS = convert.TRUE_WORDS | convert.FALSE_WORDS


def _cells(s: pd.Series) -> np.ndarray:
    """The column as a numpy array of ``str`` (no copy for pandas' Python strings)."""
    return s.to_numpy(dtype=object)


def _answer(s: pd.Series, ok: np.ndarray | bool) -> pd.Series:
    if isinstance(ok, bool | np.bool_):
        ok = np.full(len(s), bool(ok))
    return pd.Series(ok, index=s.index, dtype=bool)


def _lengths(cells: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))


def _plain_digits(cells: np.ndarray) -> bool:
    """True when every cell is empty or ASCII digits: one C-level test over the column."""
    joined = "".join(cells)
    return joined.isascii() and (joined.isdigit() or joined == "")


def _on_distinct(fn: SeriesCheck) -> SeriesCheck:
    """``fn`` run once per distinct value when values repeat (group, terms, flags)."""

    def check(s: pd.Series) -> pd.Series:
        distinct = pd.Series(pd.unique(s), dtype=s.dtype)
        if 2 * len(distinct) > len(s):
            return fn(s)
        bad = distinct[~fn(distinct).to_numpy(dtype=bool)]
        return ~s.isin(bad)

    return check


def filled(s: pd.Series) -> pd.Series:
    """The ``required`` check: the cell is not empty."""
    return _answer(s, _cells(s) != "")


def _pattern_check(pattern: re.Pattern[str]) -> SeriesCheck:
    fullmatch = pattern.fullmatch

    def matches(s: pd.Series) -> pd.Series:
        cells = _cells(s)
        if _plain_digits(cells):  # what every well-kept number column is
            return _answer(s, True)
        return _answer(s, np.fromiter((fullmatch(c) is not None for c in cells), bool, len(cells)))

    return _on_distinct(matches)


def _boolean_check(s: pd.Series) -> pd.Series:
    return (s == "") | s.str.strip().str.lower().isin(_BOOLEAN_WORDS)


def type_check(f: Field) -> SeriesCheck | None:
    """The check that a cell's text can be ``f``'s type, or None for text properties."""
    if f.type in _PATTERNS:
        return _pattern_check(_PATTERNS[f.type])
    if f.type == "boolean":
        return _on_distinct(_boolean_check)
    if f.type == "array":  # the one rule for a whole cell decides
        return _on_distinct(lambda s: s.map(lambda text: not cell_violations(f, text)))
    return None


def _numbers(cells: np.ndarray) -> np.ndarray:
    """The cells as floats, NaN where empty or not a number (that is the type check's)."""
    out = np.full(len(cells), np.nan)
    filled = cells != ""
    try:
        out[filled] = cells[filled].astype(np.float64)
    except (ValueError, OverflowError):
        # Some cell is not a number: per cell, like pd.to_numeric(errors="coerce").
        out[filled] = pd.to_numeric(pd.Series(cells[filled]), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    return out


def range_check(f: Field) -> SeriesCheck:
    """The check that a number cell is within ``f``'s minimum and maximum."""

    # Not named ``in_range``: pandera dispatches check functions by name and would take it
    # for its own built-in of that name.
    def within_bounds(s: pd.Series) -> pd.Series:
        # Unparsed text (NaN) passes: whatever the type check lets through parses here.
        number = _numbers(_cells(s))
        with np.errstate(invalid="ignore"):
            inside = np.ones(len(number), dtype=bool)
            if f.minimum is not None:
                inside &= number >= f.minimum
            if f.maximum is not None:
                inside &= number <= f.maximum
        return _answer(s, np.isnan(number) | inside)

    return within_bounds


def max_length_check(limit: int) -> SeriesCheck:
    """The check that a cell has at most ``limit`` characters."""
    return lambda s: _answer(s, _lengths(_cells(s)) <= limit)


def min_length_check(least: int) -> SeriesCheck:
    """The check that a non-empty cell has at least ``least`` characters."""

    def long_enough(s: pd.Series) -> pd.Series:
        cells = _cells(s)
        return _answer(s, (_lengths(cells) >= least) | (cells == ""))

    return long_enough


def field_checks(f: Field, *, required: bool) -> list[tuple[str, SeriesCheck]]:
    """(name, check) for every documented constraint of ``f`` that text can break."""
    checks: list[tuple[str, SeriesCheck]] = []
    if required:
        checks.append((CHECK_REQUIRED, filled))
    by_type = type_check(f)
    if by_type is not None:
        checks.append((f"type:{f.type}", by_type))
    if f.max_length is not None:
        checks.append(("max_length", max_length_check(f.max_length)))
    if f.min_length is not None:
        checks.append(("min_length", min_length_check(f.min_length)))
    if f.type in ("integer", "number") and (f.minimum is not None or f.maximum is not None):
        checks.append(("range", range_check(f)))
    return checks
