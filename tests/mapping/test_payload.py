"""Payloads: mapped rows to JSON bodies and API records back, as properties and examples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.constraints import CONTACTS, CUSTOMERS, ConversionError, Entity, Field
from pipeline.constraints import entity as entity_named
from pipeline.mapping.payload import build_payload, flatten, value_text


def test_build_payload_nests_converts_and_leaves_out_empty_cells() -> None:
    record = {
        "customerNumber": "1004",
        "name": "Nordisk ApS",
        "zip": "0800",
        "address": "",
        "customerGroup.customerGroupNumber": "1",
        "paymentTerms.paymentTermsNumber": "3",
        "vatZone.vatZoneNumber": "",
        "creditLimit": "1234.50",
        "barred": "nej",
        "_key": "K-1004",
        "customer.key": "ignored",
    }

    assert build_payload(record, CUSTOMERS) == {
        "customerNumber": 1004,
        "name": "Nordisk ApS",
        "zip": "0800",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 3},
        "creditLimit": 1234.5,
        "barred": False,
    }


def test_build_payload_for_a_contact() -> None:
    record = {
        "customer.customerNumber": "7",
        "name": "Ann",
        "emailNotifications": "invoices, orders",
    }

    assert build_payload(record, CONTACTS) == {
        "customer": {"customerNumber": 7},
        "name": "Ann",
        "emailNotifications": ["invoices", "orders"],
    }


def test_build_payload_raises_on_a_cell_that_does_not_convert() -> None:
    with pytest.raises(ConversionError, match="expected a whole number, got 'abc'"):
        build_payload({"customerNumber": "abc"}, CUSTOMERS)


def test_build_payload_refuses_an_unknown_property() -> None:
    with pytest.raises(ValueError, match="customers has no property 'nme'"):
        build_payload({"nme": "x"}, CUSTOMERS)


def test_flatten_an_api_record() -> None:
    record = {
        "customerNumber": 1004,
        "name": "Nordisk ApS",
        "balance": 17.5,
        "zip": "0800",
        "customerGroup": {"customerGroupNumber": 1, "self": "https://restapi.e-conomic.com/x"},
        "vatZone": None,
        "creditLimit": 250000.0,
        "barred": True,
        "ean": None,
        "attention": {"customerContactNumber": 12},
        "self": "https://restapi.e-conomic.com/customers/1004",
    }

    assert flatten(record, CUSTOMERS) == {
        "customerNumber": "1004",
        "name": "Nordisk ApS",
        "zip": "0800",
        "customerGroup.customerGroupNumber": "1",
        "creditLimit": "250000",
        "barred": "true",
        "attention.customerContactNumber": "12",
    }
    assert "attention.customerContactNumber" not in flatten(
        record, CUSTOMERS, paths=CUSTOMERS.writable_paths()
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (3.0, "3"),
        (1234.5, "1234.5"),
        (["invoices", "orders"], "invoices,orders"),
        ("0800", "0800"),
    ],
    ids=["true", "false", "int", "whole-float", "float", "array", "text"],
)
def test_value_text(value: object, text: str) -> None:
    assert value_text(value) == text


# --- properties --------------------------------------------------------------------------


def json_value(field: Field) -> st.SearchStrategy[object]:
    """A JSON value the API could hold for ``field``."""
    if field.type == "string":
        return st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)
    if field.type == "integer":
        return st.integers(-(10**12), 10**12)
    if field.type == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**6), 10**6)
    if field.type == "boolean":
        return st.booleans()
    return st.lists(st.sampled_from(field.enum or ("x",)), min_size=1, max_size=4, unique=True)


@st.composite
def api_records(draw: st.DrawFn, entity: Entity) -> dict[str, object]:
    """A nested API record over a random subset of the entity's properties."""
    record: dict[str, object] = {}
    for field in entity.fields:
        if draw(st.booleans()):
            node = record
            *parents, leaf = field.path.split(".")
            for part in parents:
                child = node.setdefault(part, {})
                assert isinstance(child, dict)
                node = child
            node[leaf] = draw(json_value(field))
    return record


ENTITY = st.sampled_from(["customers", "contacts"]).map(entity_named)


@given(st.data(), ENTITY)
def test_api_record_survives_flatten_and_build(data: st.DataObject, entity: Entity) -> None:
    record = data.draw(api_records(entity))

    rebuilt = build_payload(flatten(record, entity), entity)

    assert rebuilt == record


@st.composite
def mapped_rows(draw: st.DrawFn, entity: Entity) -> dict[str, str]:
    """A row as apply_mapping makes it: every property, '' or the canonical text of a value."""
    return {f.path: draw(st.just("") | json_value(f).map(value_text)) for f in entity.fields} | {
        "_key": draw(st.text(max_size=5))
    }


@given(st.data(), ENTITY)
def test_row_survives_build_and_flatten(data: st.DataObject, entity: Entity) -> None:
    row = data.draw(mapped_rows(entity))

    flat = flatten(build_payload(row, entity), entity)

    assert flat == {path: text for path, text in row.items() if text and path != "_key"}


def leaves(body: dict[str, object]) -> Iterator[object]:
    """Every non-object value in ``body``; a nested object is never empty."""
    for value in body.values():
        if isinstance(value, dict):
            assert value, "an empty nested object"
            yield from leaves(value)
        else:
            yield value


@given(st.data(), ENTITY)
def test_payload_never_holds_null_or_empty_text(data: st.DataObject, entity: Entity) -> None:
    row = data.draw(mapped_rows(entity))

    values = list(leaves(build_payload(row, entity)))

    assert None not in values
    assert "" not in values
    assert len(values) == sum(1 for path, text in row.items() if text and path != "_key")
