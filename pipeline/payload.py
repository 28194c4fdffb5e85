"""Rows of text to JSON request bodies, and API records back to rows of text.

``build_payload`` turns one mapped row (property path -> cell text) into the body of a
POST/PUT: empty cells are left out, never sent as ``null`` (the live server rejects an
explicit null, API-FACTS.md "Observed server behaviour"), and dotted paths become nested
objects (``customerGroup.customerGroupNumber`` -> ``{"customerGroup": {...}}``).
``flatten`` is the reverse, for exports and for comparing an API record with a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipeline.constraints import Entity
from pipeline.convert import convert_cell

#: Columns of a mapped row that are not properties of the request body: the source key
#: and the parent's source key of a contact or delivery location (``pipeline.mapping``).
NON_BODY_COLUMNS = frozenset({"_key", "customer.key"})


def build_payload(record: Mapping[str, str], entity: Entity) -> dict[str, object]:
    """The JSON body for one mapped row; ``ConversionError`` if a cell does not convert.

    Columns starting with ``_`` and ``customer.key`` are bookkeeping, not properties. A
    path the entity does not have is a programming error (the mapping checked them all).
    """
    body: dict[str, object] = {}
    for path, text in record.items():
        if text == "" or path in NON_BODY_COLUMNS or path.startswith("_"):
            continue
        field = entity.field(path)
        if field is None:
            raise ValueError(f"{entity.name} has no property {path!r}")
        _put(body, path.split("."), convert_cell(field, text))
    return body


def _put(body: dict[str, object], parts: list[str], value: object) -> None:
    node = body
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        assert isinstance(child, dict), f"{part!r} is both a value and an object"
        node = child
    node[parts[-1]] = value


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
