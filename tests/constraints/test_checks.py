"""The required-property check (``missing_required``) agrees with the sandbox's validator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.constraints import CODE_REQUIRED, ENTITIES, Entity, missing_required
from pipeline.sandbox.validation import validate_body

#: A value for every property of every entity that keeps its constraints.
GOOD: dict[str, object] = {
    "string": "Abc",
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "array": ["invoices"],
}


def full_body(entity: Entity, *, update: bool) -> dict[str, Any]:
    """A body with every property the write accepts (the parent's number is the URL's)."""
    body: dict[str, Any] = {}
    for f in entity.fields:
        if f.path == entity.parent_path or not (f.on_update if update else f.on_create):
            continue
        value = (
            "DKK" if f.path == "currency" else "1234567890" if f.path == "pNumber" else GOOD[f.type]
        )
        head, _, leaf = f.path.partition(".")
        if leaf:
            body.setdefault(head, {})[leaf] = value
        else:
            body[head] = value
    return body


def sandbox_required(entity: Entity, body: dict[str, Any], *, update: bool) -> set[str]:
    """The top-level properties the sandbox answers "required" for."""
    found = validate_body(entity.name, body, update=update)
    if found is None:
        return set()
    return {
        name
        for name, node in found[0].items()
        for error in _errors(node)
        if error["errorCode"] == CODE_REQUIRED
    }


def _errors(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(node.get("errors", []))
    for key, child in node.items():
        if key != "errors" and isinstance(child, dict):
            out += _errors(child)
    return out


CASES = [(name, update) for name in ENTITIES for update in (False, True)]


@pytest.mark.parametrize(
    ("name", "update"), CASES, ids=[f"{n}-{'put' if u else 'post'}" for n, u in CASES]
)
@given(data=st.data())
def test_missing_required_agrees_with_the_sandbox(
    name: str, update: bool, data: st.DataObject
) -> None:
    entity = ENTITIES[name]
    body = full_body(entity, update=update)
    dropped = data.draw(st.sets(st.sampled_from(sorted(body) or ["-"])))
    for head in dropped:
        body.pop(head, None)
    for head, value in body.items():  # a reference named by its self link instead
        if isinstance(value, dict) and data.draw(st.booleans()):
            body[head] = {"self": f"https://restapi.e-conomic.com/{head}/1"}

    missing = missing_required(entity, body, update=update)

    assert {path.partition(".")[0] for path in missing} == sandbox_required(
        entity, body, update=update
    )


def test_a_complete_body_misses_nothing_and_an_empty_one_every_required_property() -> None:
    customers = ENTITIES["customers"]

    assert missing_required(customers, full_body(customers, update=False), update=False) == []
    assert missing_required(customers, {}, update=True) == [
        "name",
        "currency",
        "customerGroup.customerGroupNumber",
        "paymentTerms.paymentTermsNumber",
        "vatZone.vatZoneNumber",
    ]
    assert missing_required(ENTITIES["contacts"], {}, update=False) == ["name"]
    assert missing_required(ENTITIES["delivery-locations"], {}, update=True) == []
