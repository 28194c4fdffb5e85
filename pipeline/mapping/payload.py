"""Rows of text to JSON request bodies, and API records back to rows of text.

``build_payload`` turns one mapped row (property path -> cell text) into the body of a
POST/PUT: empty cells are left out, never sent as ``null`` (the live server rejects an
explicit null, API-FACTS.md "Observed server behaviour"), and dotted paths become nested
objects (``customerGroup.customerGroupNumber`` -> ``{"customerGroup": {...}}``).
``flatten`` is the reverse, for exports and for comparing an API record with a row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping

from pipeline.constraints import CUSTOMERS, Entity, Field, convert_cell

#: Columns of a mapped row that are not properties of the request body: the source key,
#: the parent's source key of a contact or delivery location (``pipeline.mapping``), and
#: the customer's pseudo-properties and links by key (``pipeline.constraints``).
NON_BODY_COLUMNS = frozenset(
    {"_key", "customer.key"}
    | {f.path for f in CUSTOMERS.pseudo}
    | {link.key_path for link in CUSTOMERS.links}
)


def build_payload(record: Mapping[str, str], entity: Entity) -> dict[str, object]:
    """The JSON body for one mapped row; ``ConversionError`` if a cell does not convert.

    Columns starting with ``_`` and ``customer.key`` are bookkeeping, not properties. A
    path the entity does not have is a programming error (the mapping checked them all).
    """
    # Keyed by identity: hashing a frozen Entity walks all its fields, on every row.
    planned = _PLANS.get(id(entity))
    steps = planned[1] if planned is not None and planned[0] is entity else _plan(entity)
    body: dict[str, object] = {}
    for path, text in record.items():
        if text == "":
            continue
        step = steps.get(path)
        if step is None:
            if path in NON_BODY_COLUMNS or path.startswith("_"):
                continue
            raise ValueError(f"{entity.name} has no property {path!r}")
        head, leaf, convert = step
        value = text if convert is None else convert(text)
        if leaf is None:
            body[head] = value
        elif (child := body.get(head)) is None:
            body[head] = {leaf: value}
        else:
            assert isinstance(child, dict), f"{head!r} is both a value and an object"
            child[leaf] = value
    return body


# A body is built once per row to import, so each entity's paths are compiled once into
# (top-level key, nested key or None, converter or None for text kept as it is).
_Step = tuple[str, str | None, Callable[[str], object] | None]
_PLANS: dict[int, tuple[Entity, dict[str, _Step]]] = {}
#: Distinct values remembered per field for the converters of repetitive columns (group,
#: terms, zone, flags); a column of unique values stops adding once this many are known.
_MEMO_LIMIT = 4096


def _plan(entity: Entity) -> dict[str, _Step]:
    steps: dict[str, _Step] = {}
    for f in entity.fields:
        parts = f.path.split(".")
        if len(parts) > 2:  # no documented property nests deeper; keep the rule general
            raise ValueError(f"{entity.name}: property {f.path!r} nests more than one level")
        steps[f.path] = (parts[0], parts[1] if len(parts) == 2 else None, _converter(f))
    _PLANS[id(entity)] = (entity, steps)
    return steps


def _converter(f: Field) -> Callable[[str], object] | None:
    """``convert_cell`` for ``f``, with the common cases answered before calling it."""
    if f.type == "string":
        return None  # convert_cell returns string cells unchanged
    if f.type == "array":  # a list: a fresh one per row, never shared through a memo
        return functools.partial(convert_cell, f)
    memo: dict[str, object] = {}
    whole = f.type == "integer"

    def convert(text: str) -> object:
        value = memo.get(text)
        if value is not None:
            return value
        # Plain ASCII digits: int() is what convert_cell returns (for a "number", as
        # long as float() is exact, i.e. up to 15 digits).
        if text.isdigit() and text.isascii() and (whole or len(text) <= 15):
            value = int(text)
        else:
            value = convert_cell(f, text)
        if len(memo) < _MEMO_LIMIT:
            memo[text] = value
        return value

    return convert


def flatten(
    obj: Mapping[str, object], entity: Entity, *, paths: Iterable[str] | None = None
) -> dict[str, str]:
    """An API record as ``{path: text}`` for every property of the entity (or ``paths``).

    Update-only properties (``attention.customerContactNumber``) are included so that a
    row setting one is never judged unchanged; an export passes ``writable_paths()``.
    Absent and null properties are left out. Booleans read ``true``/``false``, whole
    numbers have no ``.0`` and arrays are joined with ``,``: the text ``convert_cell``
    turns back into the same JSON value.
    """
    row: dict[str, str] = {}
    for path in [f.path for f in entity.fields] if paths is None else paths:
        value = _get(obj, path)
        if value is not None:
            row[path] = value_text(value)
    return row


def _get(obj: Mapping[str, object], path: str) -> object:
    node: object = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def value_text(value: object) -> str:
    """A JSON value as cell text: ``true``, ``3`` (not ``3.0``), ``1234.5``, ``a,b``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(value_text(item) for item in value)
    return str(value)
