"""Turn a cell's text into the JSON value a property takes.

Every cell is read as text (``pipeline.read.readers``); this is the one place that decides
what ``"ja"``, ``"1.234,50"`` or ``"007"`` means for a property of a given type. Both the
validator (to check ranges on the converted value) and the payload builder call it.
"""

from __future__ import annotations

import re

from .table import Field

#: Words accepted for booleans, case-insensitive (English and Danish).
TRUE_WORDS = frozenset({"true", "yes", "ja", "1", "y", "j"})
FALSE_WORDS = frozenset({"false", "no", "nej", "0", "n"})

_INTEGER = re.compile(r"[+-]?\d+(\.0+)?")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ARRAY_SPLIT = re.compile(r"[,;\s]+")


class ConversionError(ValueError):
    """The text cannot be the property's type; the message says what was expected."""


def convert_cell(f: Field, text: str) -> object:
    """The JSON value for ``text`` in property ``f``; ``ConversionError`` when impossible.

    ``text`` must be non-empty: empty cells are left out of the payload, never sent.
    """
    value = text.strip() if f.type != "string" else text
    if f.type == "string":
        return value
    if f.type == "integer":
        if not _INTEGER.fullmatch(value):
            raise ConversionError(f"expected a whole number, got '{text}'")
        return int(value.split(".")[0])
    if f.type == "number":
        if not _NUMBER.fullmatch(value):
            raise ConversionError(
                f"expected a number with a decimal point (e.g. 1234.50), got '{text}'"
            )
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    if f.type == "boolean":
        lowered = value.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise ConversionError(f"expected true/false, yes/no, ja/nej or 1/0, got '{text}'")
    return [item for item in _ARRAY_SPLIT.split(value) if item]
