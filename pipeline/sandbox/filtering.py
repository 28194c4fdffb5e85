"""The live ``filter`` and ``sort`` query languages.

Source: slate ``_introduction.md`` "Filtering" and "Sorting", summarised in API-FACTS.md
"Collections". ``filter=name$eq:Joe$and:(city$like:*port$or:zip$lt:4000)``:

- operators ``$eq: $ne: $gt: $gte: $lt: $lte: $like: $in: $nin:``, joined by ``$and:`` /
  ``$or:``; ``$and:`` binds tighter than ``$or:`` (the docs leave precedence open; use
  parentheses to be sure), parentheses group;
- ``$like:`` without ``*`` means contains; string comparison is case-insensitive;
- ``$null:`` is null; ``$in:[1,2,$null:]`` takes numbers (and null), at most 200;
- ``$$ $( $) $* $, $[ $]`` escape special characters.

``sort=-name,customerNumber,~zip``: ``-`` descending, ``~`` alphabetical.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

MAX_IN_VALUES = 200
NULL = "$null:"
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq:": operator.eq,
    "$ne:": operator.ne,
    "$gte:": operator.ge,
    "$gt:": operator.gt,
    "$lte:": operator.le,
    "$lt:": operator.lt,
}
# Longest first, so that "$gte:" is not read as "$gt:" followed by "e:".
_OPERATORS = ("$eq:", "$ne:", "$gte:", "$gt:", "$lte:", "$lt:", "$like:", "$in:", "$nin:")
_ESCAPABLE = frozenset("$()*,[]")
_PROPERTY = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
_BOOLEANS = {"true": True, "false": False}


class FilterError(ValueError):
    """A ``filter`` or ``sort`` the sandbox answers with 400; ``field`` is set when the
    property exists in the syntax but is not allowed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _lookup(record: dict[str, Any], parts: tuple[str, ...]) -> Any:
    value: Any = record
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Predicate:
    """``property operator value``; ``value`` None is ``$null:``."""

    prop: str
    op: str
    value: str | None
    like: re.Pattern[str] | None = None
    items: frozenset[float | None] = frozenset()

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.prop.split("."))

    def matches(self, record: dict[str, Any]) -> bool:
        """True when ``record`` satisfies the predicate."""
        actual = _lookup(record, self.parts)
        if self.op in ("$in:", "$nin:"):
            key = None if actual is None else _number(str(actual))
            hit = key in self.items and (key is not None or actual is None)
            return hit if self.op == "$in:" else not hit
        if self.value is None:
            return (actual is None) == (self.op == "$eq:")
        if actual is None:
            return self.op == "$ne:"
        if self.like is not None:
            return self.like.fullmatch(str(actual)) is not None
        mine = actual.casefold() if isinstance(actual, str) else actual
        return _COMPARISONS[self.op](mine, _coerce(actual, self))


def _coerce(actual: Any, p: Predicate) -> Any:
    text = p.value or ""
    if isinstance(actual, bool):
        if text.lower() not in _BOOLEANS:
            raise FilterError(f"'{text}' is not a boolean (true/false) for '{p.prop}'.")
        return _BOOLEANS[text.lower()]
    if isinstance(actual, (int, float)):
        number = _number(text)
        if number is None:
            raise FilterError(f"'{text}' is not a number for '{p.prop}'.")
        return number
    return text.casefold()


@dataclass(frozen=True)
class Junction:
    """Predicates joined by ``$and:`` (``all``) or ``$or:`` (``any``)."""

    all: bool
    parts: tuple[Predicate | Junction, ...]

    def matches(self, record: dict[str, Any]) -> bool:
        """True when ``record`` satisfies all (or any) parts."""
        test = all if self.all else any
        return test(p.matches(record) for p in self.parts)


Filter = Predicate | Junction


def parse_filter(text: str, allowed: Iterable[str]) -> Filter:
    """Parse ``text``; ``FilterError`` on bad syntax or a property not in ``allowed``."""
    parser = _Parser(text, frozenset(allowed))
    node = parser.disjunction()
    if parser.i != len(text):
        raise FilterError(f"Unexpected '{text[parser.i :]}' at position {parser.i} of the filter.")
    return node


class _Parser:
    def __init__(self, text: str, allowed: frozenset[str]) -> None:
        self.s = text
        self.i = 0
        self.allowed = allowed

    def _take(self, token: str) -> bool:
        if self.s.startswith(token, self.i):
            self.i += len(token)
            return True
        return False

    def disjunction(self) -> Filter:
        parts = [self.conjunction()]
        while self._take("$or:"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Junction(False, tuple(parts))

    def conjunction(self) -> Filter:
        parts = [self.term()]
        while self._take("$and:"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Junction(True, tuple(parts))

    def term(self) -> Filter:
        if self._take("("):
            node = self.disjunction()
            if not self._take(")"):
                raise FilterError(f"Missing ')' at position {self.i} of the filter.")
            return node
        return self.predicate()

    def predicate(self) -> Predicate:
        match = _PROPERTY.match(self.s, self.i)
        if match is None:
            raise FilterError(f"Expected a property name at position {self.i} of the filter.")
        prop = match.group(0)
        self.i = match.end()
        op = next((o for o in _OPERATORS if self._take(o)), None)
        if op is None:
            raise FilterError(f"Expected an operator ($eq:, $like:, ...) after '{prop}'.")
        if prop not in self.allowed:
            raise FilterError(f"Filtering on '{prop}' is not allowed.", field=prop)
        if op in ("$in:", "$nin:"):
            return Predicate(prop, op, "", items=self.items(prop))
        if self._take(NULL):
            if op not in ("$eq:", "$ne:"):
                raise FilterError(f"$null: can only be used with $eq: or $ne: ('{prop}').")
            return Predicate(prop, op, None)
        text, pattern, wildcard = self.value()
        if op != "$like:":
            return Predicate(prop, op, text)
        # $like: without * is a contains match (slate "Substring matching").
        source = pattern if wildcard else f".*{pattern}.*"
        return Predicate(prop, op, text, like=re.compile(source, re.IGNORECASE | re.DOTALL))

    def value(self, stop: str = ")") -> tuple[str, str, bool]:
        text: list[str] = []
        pattern: list[str] = []
        wildcard = False
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "$":
                escaped = self.s[self.i + 1 : self.i + 2]
                if escaped and escaped in _ESCAPABLE:
                    text.append(escaped)
                    pattern.append(re.escape(escaped))
                    self.i += 2
                    continue
                if self.s.startswith(("$and:", "$or:"), self.i):
                    break
                raise FilterError(f"Unescaped '$' at position {self.i}; write '$$' for '$'.")
            if c in stop:
                break
            wildcard = wildcard or c == "*"
            text.append(c)
            pattern.append(".*" if c == "*" else re.escape(c))
            self.i += 1
        return "".join(text), "".join(pattern), wildcard

    def items(self, prop: str) -> frozenset[float | None]:
        if not self._take("["):
            raise FilterError(f"$in:/$nin: on '{prop}' needs a list in brackets: [1,2,3].")
        values: list[float | None] = []
        while True:
            if self._take(NULL):
                values.append(None)
            else:
                text = self.value(stop=",]")[0]
                number = _number(text)
                if number is None:  # slate: "only on numeric properties"
                    raise FilterError(f"$in:/$nin: takes numbers only; got '{text}' for '{prop}'.")
                values.append(number)
            if self._take("]"):
                break
            if not self._take(","):
                raise FilterError(f"Missing ']' in the $in:/$nin: list on '{prop}'.")
        if len(values) > MAX_IN_VALUES:
            count = len(values)
            raise FilterError(f"$in:/$nin: takes at most {MAX_IN_VALUES} values; got {count}.")
        return frozenset(values)


@dataclass(frozen=True)
class SortKey:
    """One ``sort`` term: the property, its direction and whether to compare as text."""

    parts: tuple[str, ...]
    descending: bool
    alphabetical: bool


def parse_sort(text: str, allowed: Iterable[str]) -> list[SortKey]:
    """Parse ``-name,customerNumber``; ``FilterError`` names a property not in ``allowed``."""
    permitted = frozenset(allowed)
    keys: list[SortKey] = []
    for term in text.split(","):
        name = term.strip()
        descending = name.startswith("-")
        name = name.lstrip("-")
        alphabetical = name.startswith("~")
        name = name.lstrip("~")
        if name not in permitted:
            raise FilterError(f"Sorting on '{name}' is not allowed.", field=name)
        keys.append(SortKey(tuple(name.split(".")), descending, alphabetical))
    return keys


def _sort_value(value: Any, alphabetical: bool) -> tuple[int, Any]:
    # None first; numbers before text so that mixed columns still sort.
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not alphabetical:
        return (1, value)
    return (2, str(value).casefold())


def sort_records(records: list[dict[str, Any]], keys: list[SortKey]) -> list[dict[str, Any]]:
    """``records`` ordered by ``keys`` (stable; strings case-insensitive)."""
    out = list(records)
    for key in reversed(keys):
        out.sort(key=_sort_function(key), reverse=key.descending)
    return out


def _sort_function(key: SortKey) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def value(record: dict[str, Any]) -> tuple[int, Any]:
        return _sort_value(_lookup(record, key.parts), key.alphabetical)

    return value
