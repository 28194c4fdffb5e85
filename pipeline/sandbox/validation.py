"""The sandbox's request validator, built from ``pipeline.constraints`` and nothing else.

It behaves as the live server does (API-FACTS.md "Observed server behaviour"; spec/003,
"validation of the supplied data before the create/update operation"): every error of a
request is collected into one tree that mirrors the body; explicit ``null`` is rejected;
unknown and read-only properties are ignored; a reference object is identified by its
number or its ``self`` link (slate _introduction.md "Required Properties") and must point
at something that exists; a caller-chosen key must be free.

One ``_Schema`` per (entity, create/update) is computed at import, so a request costs a few
dict lookups per property.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.constraints import (
    CODE_DUPLICATE,
    CODE_NOT_FOUND,
    CODE_NULL,
    CODE_REQUIRED,
    CODE_TYPE,
    ENTITIES,
    Entity,
    Field,
    Reference,
    Violation,
    check_value,
    required_message,
)

DEFAULT_BASE_URL = "https://restapi.e-conomic.com"

#: The customer PUT schema's pointers at the customer's own contacts and delivery location
#: (spec/001 PUT /customers/:customerNumber). They are not in ``constraints`` references
#: because the importer cannot check them before the customer exists; the live codes for
#: them are not published, so they share CODE_NOT_FOUND.
SUB_REFERENCES: dict[str, tuple[Reference, ...]] = {
    "customers": (
        Reference(
            "attention", "customerContactNumber", "contacts", "CustomerContact", CODE_NOT_FOUND
        ),
        Reference(
            "customerContact",
            "customerContactNumber",
            "contacts",
            "CustomerContact",
            CODE_NOT_FOUND,
        ),
        Reference(
            "defaultDeliveryLocation",
            "deliveryLocationNumber",
            "delivery-locations",
            "DeliveryLocation",
            CODE_NOT_FOUND,
        ),
    ),
}

_TRAILING_NUMBER = re.compile(r"/(\d+)/?$")
_JSON_TYPES = {
    type(None): "Null",
    str: "String",
    bool: "Boolean",
    int: "Integer",
    float: "Number",
    list: "Array",
}


class Lookup(Protocol):
    """What the validator asks the store: does ``number`` exist in ``collection``?"""

    def exists(self, collection: str, number: int) -> bool:
        """True when ``collection`` (e.g. ``customer-groups``) holds ``number``."""
        ...


@dataclass(frozen=True)
class _Object:
    """An object property (``customerGroup``) whose single sub-field identifies its target."""

    name: str
    number: Field
    number_property: str
    required: bool
    reference: Reference | None


@dataclass(frozen=True)
class _Schema:
    entity: Entity
    simple: dict[str, Field]
    objects: dict[str, _Object]
    required: tuple[str, ...]
    key: Field | None


def _build(entity: Entity, *, update: bool) -> _Schema:
    refs = {r.object: r for r in (*entity.references, *SUB_REFERENCES.get(entity.name, ()))}
    simple: dict[str, Field] = {}
    objects: dict[str, _Object] = {}
    for f in entity.fields:
        if not (f.on_update if update else f.on_create) or f.path == entity.parent_path:
            continue  # the parent's number comes from the URL (spec/001 "picked up from the url")
        if "." not in f.path:
            simple[f.path] = f
            continue
        obj, prop = f.path.split(".", 1)
        objects[obj] = _Object(obj, f, prop, f.required, refs.get(obj))
    required = tuple(p for p, f in simple.items() if f.required)
    required += tuple(o.name for o in objects.values() if o.required)
    key = simple.get(entity.key) if not entity.key_is_server_assigned else None
    return _Schema(entity, simple, objects, required, key)


_SCHEMAS: dict[tuple[str, bool], _Schema] = {
    (name, update): _build(e, update=update)
    for name, e in ENTITIES.items()
    for update in (False, True)
}


@dataclass
class _Collector:
    """The ``errors`` tree of a live 400, filled one violation at a time."""

    base_url: str
    tree: dict[str, Any] = field(default_factory=dict)
    count: int = 0

    def add(self, path: tuple[str, ...], v: Violation, value: object, hint: str = "") -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(part, {})
        node.setdefault("errors", []).append(
            {
                "propertyName": path[-1],
                "errorMessage": v.message,
                "errorCode": v.code,
                "inputValue": value,
                "developerHint": hint or _HINTS.get(v.code, "Correct the value and try again."),
            }
        )
        self.count += 1


_HINTS = {
    CODE_REQUIRED: "Include the property in the request body.",
    CODE_NULL: "Omit a property instead of sending null.",
}


def validate_body(
    entity_name: str,
    body: dict[str, Any],
    *,
    update: bool,
    lookup: Lookup | None = None,
    current_key: int | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> tuple[dict[str, Any], int] | None:
    """The live-shaped ``errors`` tree and its error count for ``body``, or None when valid.

    ``lookup`` (when given) checks references and that a caller-chosen key is free;
    ``current_key`` is the resource's own number on update (renumbering to it is no clash).
    """
    schema = _SCHEMAS[(entity_name, update)]
    out = _Collector(base_url)
    for name in schema.required:
        if name not in body:
            out.add((name,), required_message(name), None)
    for name, value in body.items():
        if name in schema.simple:
            for v in check_value(schema.simple[name], value):
                out.add((name,), v, value)
        elif name in schema.objects:
            _check_object(schema.objects[name], value, out, lookup)
    if schema.key is not None and lookup is not None:
        _check_key_free(schema, body, out, lookup, current_key)
    return (out.tree, out.count) if out.count else None


def _check_object(spec: _Object, value: object, out: _Collector, lookup: Lookup | None) -> None:
    if not isinstance(value, dict):
        got = _JSON_TYPES.get(type(value), type(value).__name__)
        code = CODE_NULL if value is None else CODE_TYPE
        out.add(
            (spec.name,), Violation(code, f"Invalid type. Expected Object but got {got}."), value
        )
        return
    number: int | None = None
    if spec.number_property in value:
        raw = value[spec.number_property]
        problems = check_value(spec.number, raw)
        for v in problems:
            out.add((spec.name, spec.number_property), v, raw)
        if problems:
            return
        number = int(raw)
    elif isinstance(value.get("self"), str):
        match = _TRAILING_NUMBER.search(value["self"])
        number = int(match.group(1)) if match else None
        if number is None:
            _not_found(spec, value["self"], out)
            return
    else:
        message = (
            f"No identifiers present on {spec.name}. "
            f"Please include either a self link or a {spec.number_property}."
        )
        out.add((spec.name,), Violation(CODE_REQUIRED, message), value)
        return
    ref = spec.reference
    if ref is not None and lookup is not None and not lookup.exists(ref.collection, number):
        _not_found(spec, number, out)


def _not_found(spec: _Object, shown: object, out: _Collector) -> None:
    ref = spec.reference
    label = ref.label if ref else spec.name
    code = ref.error_code if ref else CODE_NOT_FOUND
    collection = ref.collection if ref else spec.name
    # Worded as error-bodies/validation-customer-group-not-found.json.
    hint = f"Find a list of {collection.replace('-', ' ')} at {out.base_url}/{collection} ."
    out.add((spec.name,), Violation(code, f"{label} '{shown}' not found."), shown, hint)


def _check_key_free(
    schema: _Schema, body: dict[str, Any], out: _Collector, lookup: Lookup, current: int | None
) -> None:
    key = schema.entity.key
    if key not in body or key in out.tree:
        return  # missing, or already reported as the wrong type or out of range
    value = int(body[key])
    if value != current and lookup.exists(schema.entity.name, value):
        label = schema.entity.label.capitalize()
        message = f"{label} number '{value}' is already in use."
        out.add(
            (key,),
            Violation(CODE_DUPLICATE, message),
            value,
            f"Choose a free {key} or update the existing {schema.entity.label}.",
        )


def accepted_properties(entity_name: str, body: dict[str, Any], *, update: bool) -> dict[str, Any]:
    """The properties of a valid ``body`` that the write keeps, in stored form.

    Unknown and read-only properties are dropped (API-FACTS.md); a reference object is
    reduced to its number, taken from the ``self`` link when the number is absent.
    """
    schema = _SCHEMAS[(entity_name, update)]
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name in schema.simple:
            f = schema.simple[name]
            out[name] = int(value) if f.type == "integer" else value
        elif name in schema.objects:
            spec = schema.objects[name]
            if spec.number_property in value:
                number = int(value[spec.number_property])
            else:
                match = _TRAILING_NUMBER.search(value["self"])
                number = int(match.group(1)) if match else 0
            out[name] = {spec.number_property: number}
    return out
