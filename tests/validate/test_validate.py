"""Local validation: pandera schemas built from the constraints table, row by row."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.constraints import ConversionError, check_value, convert_cell, entity
from pipeline.constraints.codes import (
    CODE_DUPLICATE,
    CODE_ENUM,
    CODE_MAX_LENGTH,
    CODE_MAXIMUM,
    CODE_MIN_LENGTH,
    CODE_MINIMUM,
    CODE_REQUIRED,
    CODE_TYPE,
    CODE_UNIQUE_ITEMS,
)
from pipeline.errors import RowError
from pipeline.validate.validator import Validator, build_schema, cell_violations
from pipeline.validate.warnings import WARN_CURRENCY, WARN_CVR, WARN_EMAIL

#: A row each entity accepts; tests override single cells.
BASE: dict[str, dict[str, str]] = {
    "customers": {
        "customerNumber": "1001",
        "name": "Kunde ApS",
        "currency": "DKK",
        "customerGroup.customerGroupNumber": "1",
        "paymentTerms.paymentTermsNumber": "1",
        "vatZone.vatZoneNumber": "1",
        "_key": "",
    },
    "customer-groups": {"customerGroupNumber": "10", "name": "Danske kunder", "_key": ""},
    "contacts": {
        "customer.customerNumber": "1001",
        "customer.key": "",
        "name": "Jens Hansen",
        "_key": "",
    },
    "delivery-locations": {
        "customer.customerNumber": "1001",
        "customer.key": "",
        "address": "Havnegade 1",
        "_key": "",
    },
}


def frame(name: str, *rows: dict[str, str], first: int = 2) -> pd.DataFrame:
    """A mapped chunk of ``name``: BASE overridden per row, indexed from row ``first``.

    Each row gets its own number (1001, 1002, ...) unless the test sets one.
    """
    key = entity(name).key
    records = []
    for n, row in enumerate(rows):
        record = {**BASE[name], **row}
        if key in BASE[name] and key not in row:
            record[key] = str(int(BASE[name][key]) + first + n)
        records.append(record)
    return pd.DataFrame(records, index=range(first, first + len(records)))


LONG_NAME = "x" * 256
CLIPPED = "x" * 37 + "..."

BAD_CELLS = [
    # (entity, property, cell text, code, message)
    ("customers", "name", "", CODE_REQUIRED, "Required property 'name' is missing."),
    ("customers", "name", LONG_NAME, CODE_MAX_LENGTH,
     f"String '{CLIPPED}' exceeds maximum length of 255."),
    ("customers", "currency", "DK", CODE_MIN_LENGTH,
     "String 'DK' is less than minimum length of 3."),
    ("customers", "currency", "DKKR", CODE_MAX_LENGTH,
     "String 'DKKR' exceeds maximum length of 3."),
    ("customers", "customerNumber", "0", CODE_MINIMUM,
     "Integer 0 is less than minimum value of 1."),
    ("customers", "customerNumber", "1000000000", CODE_MAXIMUM,
     "Integer 1000000000 exceeds maximum value of 999999999."),
    ("customers", "customerNumber", "abc", CODE_TYPE, "expected a whole number, got 'abc'"),
    ("customers", "customerNumber", "12.5", CODE_TYPE, "expected a whole number, got '12.5'"),
    ("customers", "vatZone.vatZoneNumber", "", CODE_REQUIRED,
     "Required property 'vatZone.vatZoneNumber' is missing."),
    ("customers", "customerGroup.customerGroupNumber", "A", CODE_TYPE,
     "expected a whole number, got 'A'"),
    ("customers", "creditLimit", "1.234,50", CODE_TYPE,
     "expected a number with a decimal point (e.g. 1234.50), got '1.234,50'"),
    ("customers", "barred", "maybe", CODE_TYPE,
     "expected true/false, yes/no, ja/nej or 1/0, got 'maybe'"),
    ("customers", "pNumber", "123", CODE_MIN_LENGTH,
     "String '123' is less than minimum length of 10."),
    ("customers", "ean", "5790000000001X", CODE_MAX_LENGTH,
     "String '5790000000001X' exceeds maximum length of 13."),
    ("customer-groups", "customerGroupNumber", "", CODE_REQUIRED,
     "Required property 'customerGroupNumber' is missing."),
    ("customer-groups", "customerGroupNumber", "0", CODE_MINIMUM,
     "Integer 0 is less than minimum value of 1."),
    ("customer-groups", "name", "n" * 51, CODE_MAX_LENGTH,
     f"String '{'n' * 37}...' exceeds maximum length of 50."),
    ("customer-groups", "account.accountNumber", "-5", CODE_MINIMUM,
     "Integer -5 is less than minimum value of 1."),
    ("contacts", "name", "", CODE_REQUIRED, "Required property 'name' is missing."),
    ("contacts", "customer.customerNumber", "", CODE_REQUIRED,
     "Required property 'customer.customerNumber' is missing."),
    ("contacts", "emailNotifications", "invoices, spam", CODE_ENUM,
     "Value 'spam' is not defined in enum (allowed: invoices, orders, quotations, reminders)."),
    ("contacts", "emailNotifications", "orders orders", CODE_UNIQUE_ITEMS,
     "Non-unique array item at index 1."),
    ("contacts", "phone", "1" * 51, CODE_MAX_LENGTH,
     f"String '{'1' * 37}...' exceeds maximum length of 50."),
    ("delivery-locations", "postalCode", "1" * 16, CODE_MAX_LENGTH,
     f"String '{'1' * 16}' exceeds maximum length of 15."),
    ("delivery-locations", "sortKey", "0", CODE_MINIMUM,
     "Integer 0 is less than minimum value of 1."),
    ("delivery-locations", "barred", "x", CODE_TYPE,
     "expected true/false, yes/no, ja/nej or 1/0, got 'x'"),
    ("delivery-locations", "customer.customerNumber", "-1", CODE_MINIMUM,
     "Integer -1 is less than minimum value of 1."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "prop", "text", "code", "message"),
    BAD_CELLS,
    ids=[f"{c[0]}.{c[1]}={c[2][:12]!r}:{c[3]}" for c in BAD_CELLS],
)
def test_bad_cell_gives_exact_error(name: str, prop: str, text: str, code: str, message: str):
    chunk = frame(name, {}, {prop: text})
    result = Validator(entity(name)).validate(chunk)
    expected_value = "" if code == CODE_REQUIRED else text
    assert result.errors == {3: [RowError(3, prop, code, message, expected_value, "local")]}
    assert list(result.valid.index) == [2]


GOOD_CELLS = [
    ("customers", "customerNumber", " 7 "),
    ("customers", "customerNumber", "+7"),
    ("customers", "customerNumber", "12.00"),
    ("customers", "customerNumber", "\u0663"),  # Arabic-Indic three: int() reads it
    ("customers", "customerNumber", "999999999"),
    ("customers", "barred", " JA "),
    ("customers", "creditLimit", "-1e3"),
    ("customers", "creditLimit", ".5"),
    ("customers", "email", ""),
    ("customers", "pNumber", "1234567890"),
    ("contacts", "emailNotifications", "invoices;orders, reminders"),
    ("customer-groups", "customerGroupNumber", "999999999999"),  # no maximum documented
]


@pytest.mark.parametrize(
    ("name", "prop", "text"), GOOD_CELLS, ids=[f"{c[0]}.{c[1]}={c[2]!r}" for c in GOOD_CELLS]
)
def test_good_cell_passes(name: str, prop: str, text: str):
    chunk = frame(name, {prop: text})
    result = Validator(entity(name)).validate(chunk)
    assert result.errors == {}
    assert list(result.valid.index) == [2]


def test_child_may_name_its_parent_by_source_key_instead_of_number():
    chunk = frame("contacts", {"customer.customerNumber": "", "customer.key": "K-1"})
    assert Validator(entity("contacts")).validate(chunk).errors == {}


def test_child_without_any_parent_columns_reports_the_number_as_required():
    chunk = frame("delivery-locations", {}).drop(
        columns=["customer.customerNumber", "customer.key"]
    )
    errors = Validator(entity("delivery-locations")).validate(chunk).errors
    assert [e.code for e in errors[2]] == [CODE_REQUIRED]
    assert errors[2][0].property == "customer.customerNumber"


@pytest.mark.parametrize("dtype", [None, object], ids=["str-dtype", "object-dtype"])
def test_every_failing_cell_of_every_row_is_reported_in_field_order(dtype: object):
    chunk = frame(
        "customers",
        {"name": "", "currency": "DKKR", "customerNumber": "x"},
        {},
        {"barred": "?", "vatZone.vatZoneNumber": ""},
    ).astype(dtype if dtype is not None else "str")
    result = Validator(entity("customers")).validate(chunk)
    assert {row: [e.property for e in errs] for row, errs in result.errors.items()} == {
        2: ["customerNumber", "name", "currency"],
        4: ["vatZone.vatZoneNumber", "barred"],
    }
    assert list(result.valid.index) == [3]
    assert list(result.valid.columns) == list(chunk.columns)


def test_a_required_column_missing_from_the_chunk_fails_every_row():
    chunk = frame("customers", {}, {}).drop(columns=["currency"])
    errors = Validator(entity("customers")).validate(chunk).errors
    assert sorted(errors) == [2, 3]
    assert all(e == [RowError(r, "currency", CODE_REQUIRED, "Required property 'currency' is "
                              "missing.", "")] for r, e in errors.items())  # fmt: skip


def test_duplicate_numbers_and_keys_are_found_across_chunks():
    validator = Validator(entity("customers"))
    first = validator.validate(
        frame("customers", {"customerNumber": "1001", "_key": "A"},
              {"customerNumber": "1002", "_key": "B"})
    )  # fmt: skip
    second = validator.validate(
        frame("customers", {"customerNumber": "1001.0", "_key": "C"},
              {"customerNumber": "1003", "_key": "B"},
              {"customerNumber": "1003", "_key": "D"}, first=4)
    )  # fmt: skip
    assert first.errors == {}
    assert second.errors == {
        4: [RowError(4, "customerNumber", CODE_DUPLICATE, "customerNumber 1001 also on row 2",
                     "1001.0")],
        5: [RowError(5, "_key", CODE_DUPLICATE, "source key 'B' also on row 3", "B")],
        6: [RowError(6, "customerNumber", CODE_DUPLICATE, "customerNumber 1003 also on row 5",
                     "1003")],
    }  # fmt: skip
    assert list(second.valid.index) == []


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # The key column is the number's column: the number's error says it all.
        pytest.param("1035", [("customerNumber", "customerNumber 1035 also on row 2")],
                     id="key-is-the-number"),
        # Another key, repeated too: its own error, naming the mapping's key column.
        pytest.param("K-7", [("customerNumber", "customerNumber 1035 also on row 2"),
                             ("Kundekode", "source key 'K-7' also on row 2")],
                     id="key-is-another-value"),
    ],
)  # fmt: skip
def test_a_repeated_key_is_reported_once_and_names_the_key_column(
    key: str, expected: list[tuple[str, str]]
):
    validator = Validator(entity("customers"), key_column="Kundekode")
    chunk = frame("customers", {"customerNumber": "1035", "_key": key},
                  {"customerNumber": " 1035", "_key": key})  # fmt: skip
    errors = validator.validate(chunk).errors
    assert [(e.property, e.message) for e in errors[3]] == expected
    assert {e.code for e in errors[3]} == {CODE_DUPLICATE}
    assert 2 not in errors


def test_a_repeated_key_alone_names_the_key_column_with_its_value():
    validator = Validator(entity("customers"), key_column="Kundekode")
    chunk = frame("customers", {"_key": "K-7"}, {"_key": "K-7"})  # numbers 1002 and 1003
    assert validator.validate(chunk).errors == {
        3: [RowError(3, "Kundekode", CODE_DUPLICATE, "source key 'K-7' also on row 2", "K-7")]
    }


def test_duplicate_group_numbers_and_blank_customer_numbers():
    groups = Validator(entity("customer-groups"))
    chunk = frame("customer-groups", {"customerGroupNumber": "10"}, {"customerGroupNumber": "10"})
    result = groups.validate(chunk)
    assert [e.message for e in result.errors[3]] == ["customerGroupNumber 10 also on row 2"]
    # A blank customerNumber is assigned by the server: never a duplicate.
    blanks = frame("customers", {"customerNumber": ""}, {"customerNumber": ""})
    assert Validator(entity("customers")).validate(blanks).errors == {}


def test_contacts_numbers_are_server_assigned_so_only_source_keys_are_deduplicated():
    chunk = frame("contacts", {"_key": "C1"}, {"_key": "C1"})
    errors = Validator(entity("contacts")).validate(chunk).errors
    assert [(e.property, e.code) for e in errors[3]] == [("_key", CODE_DUPLICATE)]
    assert 2 not in errors


def test_warnings_do_not_invalidate_a_row():
    chunk = frame(
        "customers",
        {"email": "a@b.dk c@d.dk", "currency": "EUR", "country": "Danmark",
         "corporateIdentificationNumber": "12345678"},
        {"email": "a@b.dk;c@d.dk", "currency": "XYZ", "country": " denmark ",
         "corporateIdentificationNumber": "1234"},
        {"email": "nobody", "currency": "DKKR", "country": "Sverige",
         "corporateIdentificationNumber": "1234"},
    )  # fmt: skip
    result = Validator(entity("customers")).validate(chunk)
    assert list(result.valid.index) == [2, 3]
    assert {row: [w.code for w in ws] for row, ws in result.warnings.items()} == {
        3: [WARN_EMAIL, WARN_CURRENCY, WARN_CVR],
        4: [WARN_EMAIL],  # DKKR has an error, so no currency warning on top
    }
    assert result.warnings[3][1].message == (
        "'XYZ' is not an ISO 4217 currency code (such as DKK or EUR)"
    )
    assert [e.code for e in result.errors[4]] == [CODE_MAX_LENGTH]


def test_contact_email_is_one_address():
    chunk = frame("contacts", {"email": "a@b.dk"}, {"email": "a@b.dk c@d.dk"})
    warnings = Validator(entity("contacts")).validate(chunk).warnings
    assert list(warnings) == [3]


def test_update_mode_validates_what_a_put_accepts():
    chunk = frame("customers", {"attention.customerContactNumber": "x"})
    # A link is set by the link phase's PUT in every mode (issue #14): always checked.
    for update in (False, True):
        errors = Validator(entity("customers"), update=update).validate(chunk).errors
        assert [e.property for e in errors[2]] == ["attention.customerContactNumber"]
    # The group number is read-only on PUT but names the group to update: still required.
    groups = Validator(entity("customer-groups"), update=True)
    assert groups.validate(frame("customer-groups", {"customerGroupNumber": ""})).errors


@pytest.mark.parametrize("update", [False, True], ids=["upsert", "update"])
def test_partial_rows_are_checked_cell_by_cell_but_not_for_required_properties(
    update: bool,
) -> None:
    validator = Validator(entity("customers"), update=update, partial=True)
    chunk = pd.DataFrame(
        {"customerNumber": ["7", "8"], "email": ["a@b.dk", ""], "name": ["", "x" * 256]},
        index=[2, 3],
    )

    errors = validator.validate(chunk).errors

    assert list(errors) == [3]  # the row that gives only a number and an e-mail is fine
    assert [e.code for e in errors[3]] == [CODE_MAX_LENGTH]


def test_a_partial_child_still_needs_its_parent() -> None:
    validator = Validator(entity("contacts"), partial=True)
    errors = validator.validate(pd.DataFrame({"email": ["a@b.dk"]}, index=[2])).errors

    assert [(e.property, e.code) for e in errors[2]] == [("customer.customerNumber", CODE_REQUIRED)]


def test_schema_is_built_once_per_entity_and_mode():
    assert build_schema(entity("customers")) is build_schema(entity("customers"))
    assert build_schema(entity("customers"), update=True) is not build_schema(entity("customers"))
    assert set(build_schema(entity("contacts")).columns) == {
        "customer.customerNumber", "name", "email", "phone", "eInvoiceId", "notes",
        "emailNotifications",
    }  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_row_is_invalid_iff_text_exceeds_max_length(text: str):
    city = entity("customers").field("city")
    assert city is not None and city.max_length == 50
    result = Validator(entity("customers")).validate(frame("customers", {"city": text}))
    if len(text) > 50:
        [error] = result.errors[2]
        assert error.message == check_value(city, text)[0].message
    else:
        assert result.errors == {}


def _sandbox_verdict(prop: str, text: str) -> list[str]:
    f = entity("customers").field(prop)
    assert f is not None
    try:
        return [v.message for v in check_value(f, convert_cell(f, text))]
    except ConversionError as exc:
        return [str(exc)]


numberish = st.one_of(
    st.text(alphabet="0123456789+-.eE ,\u0663", max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.text(max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(number=numberish, limit=numberish, flag=st.text(max_size=6))
def test_vectorised_checks_agree_with_convert_and_check_value(number, limit, flag):
    cells = {"customerNumber": number, "creditLimit": limit, "barred": flag}
    errors = Validator(entity("customers")).validate(frame("customers", cells)).errors
    got = {e.property: [x.message for x in errors.get(2, []) if x.property == e.property]
           for e in errors.get(2, [])}  # fmt: skip
    expected = {p: _sandbox_verdict(p, t) for p, t in cells.items() if t != ""}
    assert got == {p: m for p, m in expected.items() if m}


def test_cell_violations_treats_empty_as_absent():
    name = entity("customers").field("name")
    assert name is not None
    assert cell_violations(name, "") == []
