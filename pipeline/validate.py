"""Local validation of mapped rows: pandera schemas built from ``pipeline.constraints``.

A mapped chunk is a DataFrame indexed by spreadsheet row number whose columns are property
paths of one entity, every cell a ``str`` (``''`` = empty, which the payload leaves out),
plus ``_key`` (the row's source-system key) and, for child entities, ``customer.key`` (the
parent's source key).

How a cell's verdict is reached: pandera runs one vectorised check per documented
constraint over whole columns. Those checks are a fast filter that may flag a good cell but
never passes a bad one (they accept ASCII digits only, where ``convert_cell`` also takes
other Unicode digits). Each flagged cell is then judged by ``cell_violations``, i.e. by
``convert_cell`` and ``check_value``, the functions the payload builder and the sandbox
use, so a row is invalid here exactly when the sandbox would answer 400, with the same
code and wording. Python work is done per flagged cell only, which keeps a valid
10,000-row chunk in the tens of milliseconds.

Across rows (spec/001 customerNumber: "a positive unique numerical identifier"), a number
or source key seen earlier in the same file makes every later row with it invalid; see
``Validator`` for why the first occurrence stands. Warnings (``pipeline.validate_warnings``:
a malformed e-mail, a currency that is no ISO 4217 code, a Danish CVR that is not 8 digits)
never stop a row: the API accepts those values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pipeline import convert
from pipeline.checks import Violation, check_value, required_message
from pipeline.constraints import (
    CODE_DUPLICATE,
    CODE_TYPE,
    Entity,
    Field,
)
from pipeline.errors import RowError
from pipeline.validate_warnings import find_warnings

#: Pseudo columns of a mapped chunk (not API properties).
KEY_COLUMN = "_key"
PARENT_KEY_COLUMN = "customer.key"

CHECK_REQUIRED = "required"
CHECK_PARENT = "required_parent"


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

SeriesCheck = Callable[[pd.Series], pd.Series]


def _on_distinct(fn: SeriesCheck) -> SeriesCheck:
    """``fn`` run once per distinct value when values repeat (group, terms, flags)."""

    def check(s: pd.Series) -> pd.Series:
        distinct = pd.Series(pd.unique(s), dtype=s.dtype)
        if 2 * len(distinct) > len(s):
            return fn(s)
        bad = distinct[~fn(distinct).to_numpy(dtype=bool)]
        return ~s.isin(bad)

    return check


def _type_check(f: Field) -> SeriesCheck | None:
    if f.type in _PATTERNS:
        pattern = _PATTERNS[f.type]
        return _on_distinct(lambda s: s.str.fullmatch(pattern))
    if f.type == "boolean":
        return _on_distinct(lambda s: (s == "") | s.str.strip().str.lower().isin(_BOOLEAN_WORDS))
    if f.type == "array":
        return _on_distinct(lambda s: s.map(lambda text: not cell_violations(f, text)))
    return None


def _range_check(f: Field) -> SeriesCheck:
    # Not named ``in_range``: pandera dispatches check functions by name and would take it
    # for its own built-in of that name.
    def within_bounds(s: pd.Series) -> pd.Series:
        # Unparsed text (NaN) passes: whatever the type check lets through parses here.
        number = pd.to_numeric(s, errors="coerce")
        inside = pd.Series(True, index=s.index)
        if f.minimum is not None:
            inside &= number >= f.minimum
        if f.maximum is not None:
            inside &= number <= f.maximum
        return number.isna() | inside

    return within_bounds


def _field_checks(f: Field, *, required: bool) -> list[pa.Check]:
    checks = []
    if required:
        checks.append(pa.Check(lambda s: s != "", name=CHECK_REQUIRED))
    type_check = _type_check(f)
    if type_check is not None:
        checks.append(pa.Check(type_check, name=f"type:{f.type}"))
    if f.max_length is not None:
        limit = f.max_length
        checks.append(pa.Check(lambda s: s.str.len() <= limit, name="max_length"))
    if f.min_length is not None:
        least = f.min_length
        checks.append(pa.Check(lambda s: (s == "") | (s.str.len() >= least), name="min_length"))
    if f.type in ("integer", "number") and (f.minimum is not None or f.maximum is not None):
        checks.append(pa.Check(_range_check(f), name="range"))
    return checks


def checked_fields(entity: Entity, *, update: bool = False) -> list[Field]:
    """The fields a create (or an update) sends, plus the entity's key, in table order.

    A property the write does not accept is ignored by the live server (API-FACTS.md), so
    it is not validated; the key is, because it names the record to write.
    """
    return [
        f for f in entity.fields if (f.on_update if update else f.on_create) or f.path == entity.key
    ]


@functools.cache
def build_schema(entity: Entity, *, update: bool = False) -> pa.DataFrameSchema:
    """The pandera schema for mapped chunks of ``entity``, built from its constraints.

    Columns are optional (a chunk holds the mapped ones only); ``Validator`` adds the
    missing required columns empty so that each row reports its own required error.
    A child's ``customer.customerNumber`` is required unless ``customer.key`` names the
    parent by its source key, which needs both columns: a frame-wide check.
    """
    columns = {
        f.path: pa.Column(
            checks=_field_checks(f, required=f.required and f.path != entity.parent_path),
            name=f.path,
            required=False,
            nullable=True,
        )
        for f in checked_fields(entity, update=update)
    }
    checks = []
    if entity.parent_path is not None:
        parent = entity.parent_path
        checks.append(
            pa.Check(
                lambda df: (df[parent] != "") | (df[PARENT_KEY_COLUMN] != ""), name=CHECK_PARENT
            )
        )
    return pa.DataFrameSchema(columns, checks=checks, name=entity.name)


@dataclass
class ChunkValidation:
    """The outcome of validating one chunk."""

    valid: pd.DataFrame
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    warnings: dict[int, list[RowError]] = field(default_factory=dict)


class _FirstSeen:
    """The first row of each value, across the chunks of one file."""

    def __init__(self) -> None:
        self._first: dict[object, int] = {}

    def repeats(
        self, rows: list[int], values: Sequence[object]
    ) -> Iterator[tuple[int, object, int]]:
        """(row, value, first row) for every row whose value an earlier row had."""
        for row, value in zip(rows, values, strict=True):
            first = self._first.setdefault(value, row)
            if first != row:
                yield row, value, first


class Validator:
    """Validates the chunks of one input file against ``entity``'s documented constraints.

    Keeps state across ``validate`` calls: duplicate numbers (``customerNumber``,
    ``customerGroupNumber``) and duplicate source keys (``_key``) are found across the
    whole file. Decision: the FIRST occurrence stays valid and every later one is invalid,
    naming the first row ("customerNumber 1001 also on row 7"). Invalidating all
    occurrences would be fairer when it is unknown which is right, but chunks are sent as
    they are validated: by the time a duplicate turns up in a later chunk the first row
    may already exist in e-conomic, and a rule that depended on where chunks happen to
    split would make results depend on the chunk size.
    """

    def __init__(self, entity: Entity, *, update: bool = False) -> None:
        self.entity = entity
        self.update = update
        self._schema = build_schema(entity, update=update)
        self._fields = {f.path: f for f in checked_fields(entity, update=update)}
        self._order = {path: n for n, path in enumerate(self._fields)}
        self._needed = [p for p, f in self._fields.items() if f.required]
        if entity.parent_path is not None:
            self._needed.append(PARENT_KEY_COLUMN)
        numbered = not entity.key_is_server_assigned and entity.key in self._fields
        self._numbers = _FirstSeen() if numbered else None
        self._keys = _FirstSeen()

    def validate(self, chunk: pd.DataFrame) -> ChunkValidation:
        """Errors and warnings for every row of ``chunk``; the rows without errors."""
        cells = self._cell_errors(chunk)
        self._add_duplicates(chunk, cells)
        errors: dict[int, list[RowError]] = {}
        for (row, _), found in sorted(cells.items(), key=self._sort_key):
            errors.setdefault(row, []).extend(found)
        warnings = find_warnings(self.entity, chunk, skip=set(cells))
        valid = chunk[~chunk.index.isin(list(errors))] if errors else chunk
        return ChunkValidation(valid=valid, errors=errors, warnings=warnings)

    def _sort_key(self, item: tuple[tuple[int, str], list[RowError]]) -> tuple[int, int]:
        (row, prop), _ = item
        return row, self._order.get(prop, len(self._order))

    def _cell_errors(self, chunk: pd.DataFrame) -> dict[tuple[int, str], list[RowError]]:
        missing = {c: "" for c in self._needed if c not in chunk.columns}
        frame = chunk.assign(**missing) if missing else chunk
        try:
            self._schema.validate(frame, lazy=True, inplace=True)
        except SchemaErrors as exc:
            return self._from_failure_cases(exc.failure_cases)
        return {}

    def _from_failure_cases(self, cases: pd.DataFrame) -> dict[tuple[int, str], list[RowError]]:
        """pandera's failure_cases (column, check, failure_case, index) as RowErrors."""
        out: dict[tuple[int, str], list[RowError]] = {}
        for column, check, value, index in zip(
            cases["column"], cases["check"], cases["failure_case"], cases["index"], strict=True
        ):
            if index is None or pd.isna(index):
                # A schema-wide failure (a check that crashed): never a row's fault.
                raise ValueError(f"validation of {column!r} could not run: {value}")
            row = int(index)
            prop = self.entity.parent_path if check == CHECK_PARENT else str(column)
            if prop is None or (row, prop) in out:
                continue
            if check in (CHECK_REQUIRED, CHECK_PARENT):
                found = [required_message(prop)]
                value = ""
            else:
                found = cell_violations(self._fields[prop], str(value))
            if found:
                out[(row, prop)] = [RowError(row, prop, v.code, v.message, value) for v in found]
        return out

    def _add_duplicates(
        self, chunk: pd.DataFrame, cells: dict[tuple[int, str], list[RowError]]
    ) -> None:
        key = self.entity.key
        if self._numbers is not None and key in chunk.columns:
            rows, numbers = _numbers_of(chunk[key], self._fields[key], cells, key)
            for row, number, first in self._numbers.repeats(rows, numbers):
                message = f"{key} {number} also on row {first}"
                error = RowError(row, key, CODE_DUPLICATE, message, chunk.at[row, key])
                cells.setdefault((row, key), []).append(error)
        if KEY_COLUMN in chunk.columns:
            keys = chunk[KEY_COLUMN]
            keys = keys[keys != ""]
            for row, value, first in self._keys.repeats(keys.index.tolist(), keys.tolist()):
                message = f"source key '{value}' also on row {first}"
                error = RowError(row, KEY_COLUMN, CODE_DUPLICATE, message, value)
                cells.setdefault((row, KEY_COLUMN), []).append(error)


def _numbers_of(
    cells: pd.Series, f: Field, errors: dict[tuple[int, str], list[RowError]], path: str
) -> tuple[list[int], Sequence[object]]:
    """(rows, numbers) of the non-empty, error-free cells, as the converted numbers."""
    bad = [row for (row, prop) in errors if prop == path]
    cells = cells[(cells != "") & ~cells.index.isin(bad)]
    # "1001", " 1001" and "1001.0" are one customer; they are error-free, hence within
    # 1..999999999 and exact as float64.
    numbers = pd.to_numeric(cells, errors="coerce")
    if not numbers.isna().any():
        return cells.index.tolist(), numbers.astype("int64").tolist()
    # The rare non-ASCII digit: let convert_cell, the one rule, read it.
    values: list[object] = [
        int(n) if n == n else convert.convert_cell(f, text)
        for n, text in zip(numbers.tolist(), cells.tolist(), strict=True)
    ]
    return cells.index.tolist(), values
