"""API error bodies -> RowError records: the captured live bodies, the shapes API-FACTS.md
describes, and the real sandbox's 400s."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.api import ApiClient, ApiSettings
from pipeline.api.error_bodies import UNKNOWN_CODE, parse_error_body
from pipeline.errors import RowError
from pipeline.sandbox import SandboxConfig, run_sandbox
from tests.fixtures import ERROR_BODIES

#: (property, code, message, value) for every captured body, by file name.
CAPTURED: dict[str, list[tuple[str, str, str, object]]] = {
    "not-found-404.json": [("", "404", "Resource not found.", None)],
    "validation-customer-group-not-found.json": [
        ("customerGroup", "E07140", "CustomerGroup '1' not found.", 1),
    ],
    "validation-two-errors.json": [
        ("paymentTerms", "E07080", "PaymentTerms '4711' not found.", 4711),
        (
            "paymentTermsType",
            "E07180",
            "Payment terms type does not match the type on the payment terms specified.",
            "invoiceMonth",
        ),
    ],
}


def _tuples(errors: list[RowError]) -> list[tuple[str, str, str, object]]:
    return [(e.property, e.code, e.message, e.value) for e in errors]


def test_every_captured_body_has_an_expectation() -> None:
    assert sorted(p.name for p in ERROR_BODIES.glob("*.json")) == sorted(CAPTURED)


@pytest.mark.parametrize("name", sorted(CAPTURED), ids=sorted(CAPTURED))
def test_captured_live_bodies(name: str) -> None:
    body = json.loads((ERROR_BODIES / name).read_text())
    errors = parse_error_body(body, row=7)
    assert _tuples(errors) == CAPTURED[name]
    assert {(e.row, e.origin) for e in errors} == {(7, "api")}


def _leaf(name: str, code: str, message: str, value: object = None) -> dict[str, Any]:
    return {"propertyName": name, "errorCode": code, "errorMessage": message, "inputValue": value}


SHAPES: list[tuple[str, dict[str, Any], list[tuple[str, str, str, object]]]] = [
    (
        "nested-object",
        {
            "errorCode": "E04300",
            "errors": {
                "customerGroup": {
                    "customerGroupNumber": {"errors": [_leaf("customerGroupNumber", "E1", "m", 0)]}
                }
            },
        },
        [("customerGroup.customerGroupNumber", "E1", "m", 0)],
    ),
    (
        "array-items",
        {
            "errorCode": "E04300",
            "errors": {
                "emailNotifications": {
                    "items": [
                        {"arrayIndex": 1, "errors": [_leaf("emailNotifications", "E2", "bad")]}
                    ]
                }
            },
        },
        [("emailNotifications[1]", "E2", "bad", None)],
    ),
    (
        "array-items-with-properties",
        {
            "errors": {
                "lines": {
                    "items": [{"arrayIndex": 0, "name": {"errors": [_leaf("name", "E3", "x")]}}]
                }
            }
        },
        [("lines[0].name", "E3", "x", None)],
    ),
    (
        "body-is-an-array",
        {"errors": [{"arrayIndex": 2, "name": {"errors": [_leaf("name", "E4", "y", "")]}}]},
        [("[2].name", "E4", "y", "")],
    ),
    (
        "property-and-child-both-fail",
        {
            "errors": {
                "vatZone": {
                    "errors": [_leaf("vatZone", "E5", "a")],
                    "vatZoneNumber": {"errors": [_leaf("vatZoneNumber", "E6", "b", 9)]},
                }
            }
        },
        [("vatZone", "E5", "a", None), ("vatZone.vatZoneNumber", "E6", "b", 9)],
    ),
    (
        "bad-filter-strings",
        {
            "message": "Invalid filter.",
            "errorCode": "E04820",
            "errors": ["Filtering on 'foo' is not allowed.", "Unknown operator '$zz:'."],
            "allowedFilteringFields": ["name"],
        },
        [
            ("", "E04820", "Filtering on 'foo' is not allowed.", None),
            ("", "E04820", "Unknown operator '$zz:'.", None),
        ],
    ),
    (
        "leaf-without-code-uses-top-level-code",
        {"errorCode": "E04300", "errors": {"name": {"errors": [{"errorMessage": "Too long."}]}}},
        [("name", "E04300", "Too long.", None)],
    ),
    (
        "message-only",
        {"message": "Conflict.", "httpStatusCode": 409},
        [("", "409", "Conflict.", None)],
    ),
    (
        "empty-errors-falls-back-to-message",
        {"message": "Validation failed.", "errorCode": "E04300", "errors": {}},
        [("", "E04300", "Validation failed.", None)],
    ),
]


@pytest.mark.parametrize(("body", "expected"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_documented_shapes(
    body: dict[str, Any], expected: list[tuple[str, str, str, object]]
) -> None:
    assert _tuples(parse_error_body(body, row=3)) == expected


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ("<html>Bad gateway</html>", 502, [("", "502", "<html>Bad gateway</html>", None)]),
        (b"oops", None, [("", UNKNOWN_CODE, "oops", None)]),
        (None, 418, [("", "418", "HTTP 418 with an empty body", None)]),
        ({}, 400, [("", "400", "HTTP 400 without a message", None)]),
    ],
    ids=["html-text", "bytes-no-status", "empty-body", "empty-object"],
)
def test_bodies_that_are_not_the_api_shape(
    body: object, status: int | None, expected: list[tuple[str, str, str, object]]
) -> None:
    assert _tuples(parse_error_body(body, row=1, http_status=status)) == expected


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(body=JSON)
def test_any_json_gives_at_least_one_error(body: object) -> None:
    errors = parse_error_body(body, row=4, http_status=400)
    assert errors and all(e.row == 4 and e.origin == "api" and e.code for e in errors)


@pytest.fixture
async def client() -> AsyncIterator[ApiClient]:
    async with run_sandbox(SandboxConfig()) as sandbox:
        settings = ApiSettings(sandbox.url, "app-secret", "grant-secret")
        async with ApiClient(settings) as api:
            yield api


VALID = {
    "name": "Acme",
    "currency": "DKK",
    "customerGroup": {"customerGroupNumber": 1},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}


async def test_sandbox_400_with_two_errors(client: ApiClient) -> None:
    body = {k: v for k, v in VALID.items() if k != "name"} | {"currency": "DKKX"}
    response = await client.send("POST", "/customers", json=body, idempotency_key="k-two")
    assert response.status == 400
    errors = parse_error_body(response.body, row=12, http_status=response.status)
    assert sorted((e.property, e.value) for e in errors) == [("currency", "DKKX"), ("name", None)]
    assert all(e.row == 12 and e.origin == "api" and e.code and e.message for e in errors)


async def test_sandbox_400_for_missing_references(client: ApiClient) -> None:
    body = VALID | {"paymentTerms": {"paymentTermsNumber": 4711}, "customerNumber": 0}
    response = await client.send("POST", "/customers", json=body, idempotency_key="k-refs")
    errors = parse_error_body(response.body, row=2, http_status=response.status)
    by_property = {e.property: e for e in errors}
    assert set(by_property) == {"paymentTerms", "customerNumber"}
    assert by_property["paymentTerms"].code == "E07080"
    assert by_property["customerNumber"].value == 0


async def test_sandbox_bad_filter_and_404(client: ApiClient) -> None:
    bad_filter = await client.send("GET", "/customers", params={"filter": "foo$eq:1"})
    [error] = parse_error_body(bad_filter.body, row=0, http_status=bad_filter.status)
    assert bad_filter.status == 400 and "foo" in error.message and error.property == ""
    missing = await client.send("GET", "/customers/424242")
    assert _tuples(parse_error_body(missing.body, row=5, http_status=404)) == [
        ("", "404", "Resource not found.", None)
    ]
