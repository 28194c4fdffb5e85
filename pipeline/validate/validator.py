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
``Validator`` for why the first occurrence stands. Warnings (``pipeline.validate.warnings``:
a malformed e-mail, a currency that is no ISO 4217 code, a Danish CVR that is not 8 digits)
never stop a row: the API accepts those values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from pipeline.constraints import CODE_DUPLICATE, Entity, Field, convert, required_message
from pipeline.errors import RowError

from .checks import CHECK_REQUIRED, SeriesCheck, cell_violations, field_checks
from .first_seen import FirstSeen
from .warnings import find_warnings

__all__ = [
    "CHECK_PARENT",
    "CHECK_REQUIRED",
    "ChunkValidation",
    "Validator",
    "build_schema",
    "cell_violations",
    "checked_fields",
]

#: Pseudo columns of a mapped chunk (not API properties).
KEY_COLUMN = "_key"
PARENT_KEY_COLUMN = "customer.key"

CHECK_PARENT = "required_parent"


def checked_fields(entity: Entity, *, update: bool = False) -> list[Field]:
    """The fields a create (or an update) sends, plus the entity's key, in table order.

    A property the write does not accept is ignored by the live server (API-FACTS.md), so
    it is not validated; the key is, because it names the record to write. So are the
    links (``attention.customerContactNumber``...), sent by the link phase's PUT in every
    mode, and the pseudo-properties (``currentCustomerNumber``), which name a record too.
    """
    linked = {link.path for link in entity.links}
    sent = [
        f
        for f in entity.fields
        if (f.on_update if update else f.on_create) or f.path == entity.key or f.path in linked
    ]
    return sent + list(entity.pseudo)


@dataclass(frozen=True)
class _Rules:
    """Every check of an entity's chunks: per column, and across columns (frame-wide)."""

    columns: dict[str, list[tuple[str, SeriesCheck]]]
    parent: str | None  # a child's parent number path: it or ``customer.key`` is required


@functools.cache
def _rules(entity: Entity, update: bool, partial: bool = False) -> _Rules:
    columns = {
        f.path: field_checks(
            f, required=f.required and f.path != entity.parent_path and not partial
        )
        for f in checked_fields(entity, update=update)
    }
    return _Rules(columns, entity.parent_path)


def _has_parent(parent: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: (df[parent] != "") | (df[PARENT_KEY_COLUMN] != "")


@functools.cache
def build_schema(
    entity: Entity, *, update: bool = False, partial: bool = False
) -> pa.DataFrameSchema:
    """The pandera schema for mapped chunks of ``entity``, built from its constraints.

    Columns are optional (a chunk holds the mapped ones only); ``Validator`` adds the
    missing required columns empty so that each row reports its own required error.
    A child's ``customer.customerNumber`` is required unless ``customer.key`` names the
    parent by its source key, which needs both columns: a frame-wide check. ``partial``
    leaves the required checks out (``Validator``), never the parent's.
    """
    rules = _rules(entity, update, partial)
    columns = {
        path: pa.Column(
            checks=[pa.Check(fn, name=name) for name, fn in checks],
            name=path,
            required=False,
            nullable=True,
        )
        for path, checks in rules.columns.items()
    }
    frame_checks = []
    if rules.parent is not None:
        frame_checks.append(pa.Check(_has_parent(rules.parent), name=CHECK_PARENT))
    return pa.DataFrameSchema(columns, checks=frame_checks, name=entity.name)


def _suspects(rules: _Rules, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Rows that some check of the schema flags, and the columns whose checks flag them:
    all that pandera has to see."""
    flagged = np.zeros(len(frame), dtype=bool)
    columns: list[str] = []
    for path, checks in rules.columns.items():
        if path not in frame.columns:
            continue
        cells = frame[path]
        # pandera leaves missing values (NaN) out of a nullable column's checks; so does
        # this. A chunk read from a file has none: every cell is text.
        present = cells.notna().to_numpy() if cells.hasnans else None
        if present is not None:
            cells = cells[present]
        failed = np.zeros(len(cells), dtype=bool)
        for _, check in checks:
            failed |= ~check(cells).to_numpy(dtype=bool)
        if failed.any():
            columns.append(path)
            if present is None:
                flagged |= failed
            else:
                flagged[present] |= failed
    if rules.parent is not None:
        flagged |= ~_has_parent(rules.parent)(frame).to_numpy(dtype=bool)
        if flagged.any():  # the frame-wide check runs on every call: give it its columns
            columns += [c for c in (rules.parent, PARENT_KEY_COLUMN) if c not in columns]
    return flagged, columns


@dataclass
class ChunkValidation:
    """The outcome of validating one chunk."""

    chunk: pd.DataFrame
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    warnings: dict[int, list[RowError]] = field(default_factory=dict)

    @property
    def valid(self) -> pd.DataFrame:
        """The rows of the chunk without errors (built on demand: the batch needs none)."""
        if not self.errors:
            return self.chunk
        return self.chunk[~self.chunk.index.isin(list(self.errors))]


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

    A repeated source key's error names ``key_column``, the column the mapping reads keys
    from (``_key`` when not given), and is left out of a row whose number is repeated
    with the same value: that error already says it (a mapping's key column is often the
    one mapped to ``customerNumber``).

    ``partial`` (``--mode update`` and ``upsert``): a row may hold only what identifies
    its record and the columns it changes, so the required properties are not checked
    here but once what exists is known (``pipeline.write.decide``); every given cell still is.
    A child still needs its parent, which is how it is found.
    """

    def __init__(
        self,
        entity: Entity,
        *,
        update: bool = False,
        partial: bool = False,
        key_column: str | None = None,
    ) -> None:
        self.entity = entity
        self.update = update
        self.key_column = key_column or KEY_COLUMN
        self._schema = build_schema(entity, update=update, partial=partial)
        self._rules = _rules(entity, update, partial)
        self._fields = {f.path: f for f in checked_fields(entity, update=update)}
        self._order = {path: n for n, path in enumerate(self._fields)}
        self._needed = [p for p, f in self._fields.items() if f.required and not partial]
        if entity.parent_path is not None:  # the frame-wide parent check reads both
            self._needed += [
                c for c in (entity.parent_path, PARENT_KEY_COLUMN) if c not in self._needed
            ]
        numbered = not entity.key_is_server_assigned and entity.key in self._fields
        self._numbers = FirstSeen() if numbered else None
        self._keys = FirstSeen()

    def validate(self, chunk: pd.DataFrame) -> ChunkValidation:
        """Errors and warnings for every row of ``chunk``; the rows without errors."""
        cells = self._cell_errors(chunk)
        self._add_duplicates(chunk, cells)
        errors: dict[int, list[RowError]] = {}
        for (row, _), found in sorted(cells.items(), key=self._sort_key):
            errors.setdefault(row, []).extend(found)
        warnings = find_warnings(self.entity, chunk, skip=set(cells))
        return ChunkValidation(chunk, errors=errors, warnings=warnings)

    def _sort_key(self, item: tuple[tuple[int, str], list[RowError]]) -> tuple[int, int]:
        (row, prop), _ = item
        return row, self._order.get(prop, len(self._order))

    def _cell_errors(self, chunk: pd.DataFrame) -> dict[tuple[int, str], list[RowError]]:
        missing = {c: "" for c in self._needed if c not in chunk.columns}
        frame = chunk.assign(**missing) if missing else chunk
        # The schema's checks screen the whole chunk first, vectorised; pandera then
        # validates only the flagged cells' rows and columns. Its own bookkeeping costs
        # about a millisecond per column and call, several times what the checks do, and
        # on a clean row or column it finds nothing anyway.
        rows, columns = _suspects(self._rules, frame)
        if not columns:
            return {}
        try:
            self._schema.validate(frame.loc[rows, columns], lazy=True, inplace=True)
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
        repeated: dict[int, tuple[str, str]] = {}  # row -> its repeated number, as texts
        if self._numbers is not None and key in chunk.columns:
            rows, numbers = _numbers_of(chunk[key], self._fields[key], cells, key)
            for row, number, first in self._numbers.repeats(rows, numbers):
                text = chunk.at[row, key]
                message = f"{key} {number} also on row {first}"
                error = RowError(row, key, CODE_DUPLICATE, message, text)
                cells.setdefault((row, key), []).append(error)
                repeated[row] = (str(number), str(text).strip())
        if KEY_COLUMN in chunk.columns:
            keys = chunk[KEY_COLUMN]
            keys = keys[keys != ""]
            for row, value, first in self._keys.repeats(keys.index.tolist(), keys.tolist()):
                if value in repeated.get(row, ()):
                    continue  # the number's error already says it
                message = f"source key '{value}' also on row {first}"
                error = RowError(row, self.key_column, CODE_DUPLICATE, message, value)
                cells.setdefault((row, KEY_COLUMN), []).append(error)


def _numbers_of(
    cells: pd.Series, f: Field, errors: dict[tuple[int, str], list[RowError]], path: str
) -> tuple[list[int], Sequence[object]]:
    """(rows, numbers) of the non-empty, error-free cells, as the converted numbers."""
    bad = [row for (row, prop) in errors if prop == path]
    cells = cells[(cells != "") & ~cells.index.isin(bad)] if bad else cells[cells != ""]
    texts = cells.tolist()
    joined = "".join(texts)
    if joined.isascii() and joined.isdigit():  # the usual column: plain digits
        return cells.index.tolist(), list(map(int, texts))
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
