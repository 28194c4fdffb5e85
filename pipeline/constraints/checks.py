"""Whether a JSON value keeps the documented constraints of its property.

The one place where the constraints table (``pipeline.constraints``) is applied to a
value. The sandbox calls it on request bodies, the local validator on converted cells, so
a row fails locally exactly when the sandbox would answer 400, and in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .codes import (
    CODE_ENUM,
    CODE_MAX_LENGTH,
    CODE_MAXIMUM,
    CODE_MIN_LENGTH,
    CODE_MINIMUM,
    CODE_NULL,
    CODE_REQUIRED,
    CODE_TYPE,
    CODE_UNIQUE_ITEMS,
)
from .table import Entity, Field, FieldType


@dataclass(frozen=True)
class Violation:
    """One broken constraint: the error code and a message in the live server's wording."""

    code: str
    message: str


_JSON_TYPE_NAMES = {
    str: "String",
    bool: "Boolean",
    int: "Integer",
    float: "Number",
    list: "Array",
    dict: "Object",
    type(None): "Null",
}


def _json_type_name(value: object) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _type_matches(ftype: FieldType, value: object) -> bool:
    if ftype == "string":
        return isinstance(value, str)
    if ftype == "boolean":
        return isinstance(value, bool)
    if ftype == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if ftype == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, list)


def check_value(f: Field, value: object) -> list[Violation]:
    """Every documented constraint of ``f`` that the JSON ``value`` breaks.

    The wording follows the live server's Json.NET schema messages as captured in
    API-FACTS.md ("Expected String but got Null", "Integer 0 is less than minimum value
    of 1"). Both the sandbox (on request bodies) and the local validator (on converted
    cells) call this, so a row fails locally exactly when the sandbox would answer 400.
    """
    if value is None:
        return [Violation(CODE_NULL, f"Invalid type. Expected {f.type.capitalize()} but got Null.")]
    if not _type_matches(f.type, value):
        got = _json_type_name(value)
        return [
            Violation(CODE_TYPE, f"Invalid type. Expected {f.type.capitalize()} but got {got}.")
        ]
    out: list[Violation] = []
    if isinstance(value, str):
        if f.max_length is not None and len(value) > f.max_length:
            out.append(
                Violation(
                    CODE_MAX_LENGTH,
                    f"String '{_clip(value)}' exceeds maximum length of {f.max_length}.",
                )
            )
        if f.min_length is not None and len(value) < f.min_length:
            out.append(
                Violation(
                    CODE_MIN_LENGTH,
                    f"String '{_clip(value)}' is less than minimum length of {f.min_length}.",
                )
            )
    elif isinstance(value, list):
        out.extend(_check_array(f, value))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        kind = "Integer" if f.type == "integer" else "Float"
        shown = int(value) if f.type == "integer" else value
        if f.minimum is not None and value < f.minimum:
            out.append(
                Violation(
                    CODE_MINIMUM, f"{kind} {shown} is less than minimum value of {f.minimum}."
                )
            )
        if f.maximum is not None and value > f.maximum:
            out.append(
                Violation(CODE_MAXIMUM, f"{kind} {shown} exceeds maximum value of {f.maximum}.")
            )
    return out


def _check_array(f: Field, items: list[object]) -> list[Violation]:
    out: list[Violation] = []
    if f.enum is not None:
        for item in items:
            if item not in f.enum:
                allowed = ", ".join(f.enum)
                out.append(
                    Violation(
                        CODE_ENUM, f"Value '{item}' is not defined in enum (allowed: {allowed})."
                    )
                )
    if f.unique_items:
        seen: list[object] = []
        for index, item in enumerate(items):
            if item in seen:
                out.append(Violation(CODE_UNIQUE_ITEMS, f"Non-unique array item at index {index}."))
            seen.append(item)
    return out


def required_message(path: str) -> Violation:
    """The violation for a required property that is missing."""
    return Violation(CODE_REQUIRED, f"Required property '{path}' is missing.")


def missing_required(entity: Entity, body: Mapping[str, object], *, update: bool) -> list[str]:
    """The required property paths that the JSON ``body`` of a create (or, ``update``, of
    a PUT) lacks, in table order: what the API would answer "Required property ... is
    missing" for.

    Read from the constraints table's ``required`` flags, restricted to the properties
    the write accepts (``on_create`` / ``on_update``; the published POST and PUT schemas
    require the same properties of a customer or a contact, spec/001). A reference is
    present when its object carries its number or a ``self`` link, as the sandbox
    accepts it (slate _introduction.md "Required Properties"); a child's parent number
    comes from the URL and is never missing here.
    """
    missing: list[str] = []
    for f in entity.fields:
        if not f.required or f.path == entity.parent_path:
            continue
        if not (f.on_update if update else f.on_create):
            continue
        head, _, leaf = f.path.partition(".")
        value = body.get(head)
        if leaf and isinstance(value, Mapping):
            present = value.get(leaf) is not None or isinstance(value.get("self"), str)
        else:
            present = value is not None and value != ""
        if not present:
            missing.append(f.path)
    return missing


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
