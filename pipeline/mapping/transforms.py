"""Named cell transforms for mappings: text in, text out, ``''`` stays ``''``.

A mapping rule lists them by name (``transforms = ["strip", "digits-only"]``); an unknown
name fails listing the keys of ``TRANSFORMS`` (``pipeline.mapping``). Each one is written so
that the common, already-clean cell costs no regex: at a million rows and a dozen columns
they run tens of millions of times.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

Transform = Callable[[str], str]

_NON_DIGITS = re.compile(r"[^0-9]")
_WHITESPACE = re.compile(r"\s+")


class TransformError(ValueError):
    """A cell the transform refuses (a number outside its convention): the row's error,
    never the run's (``transform_cells`` turns it into a reason per cell)."""


@dataclass(frozen=True)
class NumberConvention:
    """How a column writes numbers: one decimal mark, thousands grouped in threes."""

    name: str
    decimal: str
    groups: str  # the characters that may group thousands (one of them per number)
    example: str
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        group = "[" + re.escape(self.groups) + "]"
        # Plain digits, or 1-3 digits then groups of three, each after the SAME separator
        # (the backreference): "1.234 567" mixes two and is refused rather than guessed.
        whole = rf"[0-9]+|[0-9]{{1,3}}(?:({group})[0-9]{{3}})(?:\3[0-9]{{3}})*"
        pattern = rf"([+-]?)({whole})(?:{re.escape(self.decimal)}([0-9]+))?"
        object.__setattr__(self, "pattern", re.compile(pattern))

    def read(self, text: str) -> str:
        """``text`` as a plain number (``-1234567.89``); ``TransformError`` outside the
        convention. ``''`` stays ``''``; spaces around the number are ignored."""
        if text.isdigit() and text.isascii():
            return text  # the common case, first
        value = text.strip()
        if not value:
            return text
        found = self.pattern.fullmatch(value)
        if found is None:
            raise TransformError(self.refusal(text))
        sign, whole, separator, decimals = found.groups()
        if separator:
            whole = whole.replace(separator, "")
        return f"{sign}{whole}.{decimals}" if decimals is not None else f"{sign}{whole}"

    def refusal(self, text: str) -> str:
        """Why ``text`` is not a number of this convention, with an example of one."""
        groups = " or ".join(_SEPARATOR_NAMES[c] for c in self.groups if c in _SEPARATOR_NAMES)
        return (
            f"'{text}' is not a {self.name} number: the decimal mark is "
            f"'{self.decimal}' and {groups} groups thousands in threes, e.g. {self.example}"
        )


_SEPARATOR_NAMES = {".": "'.'", ",": "','", " ": "a space"}
#: Danish, German, ...: ``1.234.567,89`` (also ``1 234 567,89``).
DECIMAL_COMMA = NumberConvention("decimal-comma", ",", ". \xa0", "1.234.567,89")
#: English: ``1,234,567.89`` (also ``1 234 567.89``).
DECIMAL_POINT = NumberConvention("decimal-point", ".", ", \xa0", "1,234,567.89")


def decimal_comma(text: str) -> str:
    """'1.234,50' -> '1234.50', '5.000' -> '5000', '12,5' -> '12.5'; '5.00', '1,234.50'
    and '12,345,6' raise ``TransformError`` (never guessed at)."""
    return DECIMAL_COMMA.read(text)


def decimal_point(text: str) -> str:
    """'1,234.50' -> '1234.50', '5,000' -> '5000'; '1.234,50' raises ``TransformError``."""
    return DECIMAL_POINT.read(text)


def digits_only(text: str) -> str:
    """Only the ASCII digits: '+45 71 23' -> '457123'."""
    return text if text.isascii() and text.isdigit() else _NON_DIGITS.sub("", text)


def collapse_spaces(text: str) -> str:
    """Every run of whitespace (tabs, newlines, no-break spaces) as one space."""
    # isprintable() is False for every whitespace character but ' ': the usual clean cell
    # skips the regex.
    return text if "  " not in text and text.isprintable() else _WHITESPACE.sub(" ", text)


#: Named cell transforms (text -> text, '' stays ''); an unknown name in a mapping fails
#: listing these. Applied with map() over a list: on pandas' Python-backed strings that is
#: several times faster than the ``.str`` accessor (1M rows x 16 columns in about a second).
TRANSFORMS: dict[str, Transform] = {
    "strip": str.strip,
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "digits-only": digits_only,
    "decimal-comma": decimal_comma,
    "decimal-point": decimal_point,
    "collapse-spaces": collapse_spaces,
}


def _plain_digits(cells: list[str]) -> bool:
    joined = "".join(cells)
    return joined.isascii() and joined.isdigit()


#: For some transforms, one C-level test over a whole column that proves no cell changes
#: (a column of EAN or CVR numbers is usually clean throughout).
_UNCHANGED: dict[str, Callable[[list[str]], bool]] = {"digits-only": _plain_digits}


def transform_column(name: str, cells: list[str]) -> list[str]:
    """``TRANSFORMS[name]`` applied to every cell of a column (``cells`` itself when no
    cell would change); ``TransformError`` on the first cell it refuses."""
    unchanged = _UNCHANGED.get(name)
    if unchanged is not None and unchanged(cells):
        return cells
    return list(map(TRANSFORMS[name], cells))


def transform_cells(name: str, cells: list[str]) -> tuple[list[str], dict[int, str]]:
    """``transform_column``, and the reason for each cell (by position) it refuses.

    A refused cell keeps its text; its row is invalid (``pipeline.mapping.map_chunk``).
    """
    try:
        return transform_column(name, cells), {}
    except TransformError:
        pass  # rare: walk the column again, cell by cell, to name every refused cell
    transform = TRANSFORMS[name]
    out: list[str] = []
    refused: dict[int, str] = {}
    for n, cell in enumerate(cells):
        try:
            out.append(transform(cell))
        except TransformError as exc:
            refused[n] = str(exc)
            out.append(cell)
    return out, refused
