"""Validation before any write, in the live 400 shape (issue #2, point 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.constraints.codes import (
    CODE_DUPLICATE,
    CODE_ENUM,
    CODE_MAX_LENGTH,
    CODE_MAXIMUM,
    CODE_MIN_LENGTH,
    CODE_MINIMUM,
    CODE_NULL,
    CODE_REQUIRED,
    CODE_TYPE,
    CODE_UNIQUE_ITEMS,
    CODE_VALIDATION_FAILED,
)
from pipeline.sandbox import validate_body
from tests.fixtures import ERROR_BODIES
from tests.sandbox.helpers import Api, customer_body, error_leaves


def _captured(name: str) -> dict[str, Any]:
    return json.loads((ERROR_BODIES / name).read_text())


def _assert_live_shape(body: dict[str, Any]) -> None:
    """Top level and every error object carry exactly the captured bodies' keys."""
    captured = _captured("validation-customer-group-not-found.json")
    assert set(body) == set(captured)
    captured_error = captured["errors"]["customerGroup"]["errors"][0]
    leaves = error_leaves(body["errors"])
    assert leaves and all(set(e) == set(captured_error) for e in leaves)
    assert body["errorCount"] == len(leaves)
    assert body["errorCode"] == CODE_VALIDATION_FAILED and body["httpStatusCode"] == 400


async def test_missing_customer_group_matches_the_captured_body(api: Api) -> None:
    reply = await api.post("/customers", customer_body(customerGroup={"customerGroupNumber": 9}))
    assert reply.status == 400
    _assert_live_shape(reply.body)
    captured = _captured("validation-customer-group-not-found.json")
    expected = captured["errors"]["customerGroup"]["errors"][0]
    got = reply.body["errors"]["customerGroup"]["errors"][0]
    assert got["errorMessage"] == "CustomerGroup '9' not found."
    assert got["errorCode"] == expected["errorCode"] == "E07140"
    assert got["inputValue"] == 9 and got["propertyName"] == "customerGroup"
    assert got["developerHint"] == f"Find a list of customer groups at {api.base}/customer-groups ."
    assert reply.body["message"] == "Validation failed. 1 error found."


async def test_two_errors_in_one_response_like_the_captured_body(api: Api) -> None:
    body = customer_body(paymentTerms={"paymentTermsNumber": 4711}, name="x" * 256)
    reply = await api.post("/customers", body)
    _assert_live_shape(reply.body)
    captured = _captured("validation-two-errors.json")
    assert reply.body["message"] == captured["message"] == "Validation failed. 2 errors found."
    terms = reply.body["errors"]["paymentTerms"]["errors"][0]
    assert terms["errorMessage"] == "PaymentTerms '4711' not found."
    assert terms["errorCode"] == captured["errors"]["paymentTerms"]["errors"][0]["errorCode"]
    assert (await api.get("/customers")).body["collection"] == []  # nothing was written


CASES: list[tuple[str, dict[str, Any], tuple[str, ...], str]] = [
    ("null", {"name": None}, ("name",), CODE_NULL),
    ("missing", {}, ("currency",), CODE_REQUIRED),
    ("type", {"name": 42}, ("name",), CODE_TYPE),
    ("max-length", {"zip": "1" * 31}, ("zip",), CODE_MAX_LENGTH),
    ("min-length", {"currency": "DK"}, ("currency",), CODE_MIN_LENGTH),
    ("minimum", {"customerNumber": 0}, ("customerNumber",), CODE_MINIMUM),
    ("maximum", {"customerNumber": 1_000_000_000}, ("customerNumber",), CODE_MAXIMUM),
    ("number-type", {"creditLimit": "many"}, ("creditLimit",), CODE_TYPE),
    ("boolean-type", {"barred": "ja"}, ("barred",), CODE_TYPE),
    ("object-null", {"vatZone": None}, ("vatZone",), CODE_NULL),
    ("object-type", {"vatZone": 1}, ("vatZone",), CODE_TYPE),
    ("no-identifier", {"vatZone": {}}, ("vatZone",), CODE_REQUIRED),
    ("nested-type", {"vatZone": {"vatZoneNumber": "1"}}, ("vatZone", "vatZoneNumber"), CODE_TYPE),
    ("layout", {"layout": {"layoutNumber": 99}}, ("layout",), "E07120"),
    ("vat-zone", {"vatZone": {"vatZoneNumber": 5}}, ("vatZone",), "E07100"),
    ("employee", {"salesPerson": {"employeeNumber": 4}}, ("salesPerson",), "E07160"),
    (
        "self-link",
        {"customerGroup": {"self": "http://x/customer-groups/8"}},
        ("customerGroup",),
        "E07140",
    ),
]


@pytest.mark.parametrize(("name", "change", "path", "code"), CASES, ids=[c[0] for c in CASES])
async def test_each_kind_of_customer_error(
    api: Api, name: str, change: dict[str, Any], path: tuple[str, ...], code: str
) -> None:
    body = customer_body(**change)
    if name == "missing":
        del body["currency"]
    reply = await api.post("/customers", body)
    assert reply.status == 400
    _assert_live_shape(reply.body)
    node = reply.body["errors"]
    for part in path:
        node = node[part]
    assert [e["errorCode"] for e in node["errors"]] == [code]
    assert node["errors"][0]["propertyName"] == path[-1]


async def test_contact_enum_and_unique_items(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=1))
    reply = await api.post(
        "/customers/1/contacts",
        {"name": "Ane", "emailNotifications": ["invoices", "spam", "invoices"]},
    )
    assert reply.status == 400
    _assert_live_shape(reply.body)
    codes = [e["errorCode"] for e in reply.body["errors"]["emailNotifications"]["errors"]]
    assert codes == [CODE_ENUM, CODE_UNIQUE_ITEMS]


async def test_group_account_number_is_checked_when_account_is_sent(api: Api) -> None:
    reply = await api.post(
        "/customer-groups", {"customerGroupNumber": 5, "account": {"accountNumber": 0}}
    )
    assert reply.status == 400
    errs = reply.body["errors"]["account"]["accountNumber"]["errors"]
    assert [e["errorCode"] for e in errs] == [CODE_MINIMUM]
    no_id = await api.post("/customer-groups", {"customerGroupNumber": 5, "account": {}})
    assert no_id.body["errors"]["account"]["errors"][0]["errorCode"] == CODE_REQUIRED


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        ("/customers", customer_body(customerNumber=1), "customerNumber"),
        ("/customer-groups", {"customerGroupNumber": 1}, "customerGroupNumber"),
    ],
    ids=["customerNumber", "customerGroupNumber"],
)
async def test_duplicate_keys_are_rejected(
    api: Api, path: str, body: dict[str, Any], key: str
) -> None:
    if path == "/customers":
        assert (await api.post(path, body)).status == 201
    reply = await api.post(path, body)  # group 1 is seeded
    assert reply.status == 400
    assert reply.body["errors"][key]["errors"][0]["errorCode"] == CODE_DUPLICATE


async def test_unknown_and_read_only_properties_are_ignored(api: Api) -> None:
    body = customer_body(balance=123.45, favouriteColour="blå", lastUpdated="1999-01-01")
    reply = await api.post("/customers", body)
    assert reply.status == 201
    assert reply.body["balance"] == 0.0
    assert "favouriteColour" not in reply.body
    assert reply.body["lastUpdated"] != "1999-01-01"


async def test_reference_to_a_contact_of_another_customer_is_rejected(api: Api) -> None:
    for n in (1, 2):
        await api.post("/customers", customer_body(customerNumber=n))
    other = (await api.post("/customers/2/contacts", {"name": "Ulla"})).body
    body = customer_body(customerContact={"customerContactNumber": other["customerContactNumber"]})
    reply = await api.put("/customers/1", body)
    assert reply.status == 400
    assert "customerContact" in reply.body["errors"]


async def test_all_errors_of_a_request_are_reported_together(api: Api) -> None:
    body = {"name": "", "currency": None, "customerGroup": {"customerGroupNumber": 77}}
    reply = await api.post("/customers", body)
    _assert_live_shape(reply.body)
    assert set(reply.body["errors"]) == {
        "name",
        "currency",
        "customerGroup",
        "paymentTerms",
        "vatZone",
    }
    assert reply.body["errorCount"] == 5


async def test_a_body_that_is_not_an_object_is_400(api: Api) -> None:
    reply = await api.call("POST", "/customers", json=[customer_body()])
    assert reply.status == 400 and reply.body["errorCode"] == "E04850"
    raw = await api.session.post(api.base + "/customers", data=b"{not json", headers={**api.tokens})
    assert raw.status == 400
    raw.release()


def test_validator_is_usable_without_a_server() -> None:
    assert validate_body("customers", customer_body(), update=False) is None
    found = validate_body("contacts", {"phone": "1" * 51}, update=False)
    assert found is not None
    tree, count = found
    assert count == 2 and set(tree) == {"name", "phone"}
    # On update, a customer group's number is read-only and so ignored.
    assert validate_body("customer-groups", {"customerGroupNumber": 0}, update=True) is None
