"""Mappings: TOML files checked up front, applied to real files read from tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pipeline.constraints import CODE_NUMBER_FORMAT, CONTACTS, CUSTOMERS, ENTITIES
from pipeline.errors import ConfigError
from pipeline.mapping import identity_mapping, load_mapping
from pipeline.mapping.rules import ColumnRule, Mapping, apply_mapping, map_chunk
from pipeline.read import open_table
from tests.conftest import CliResult
from tests.runs import read_results

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


def frame(rows: dict[int, dict[str, str]]) -> pd.DataFrame:
    """A chunk as ``Table.chunks`` yields it: str cells indexed by spreadsheet row."""
    return pd.DataFrame.from_dict(rows, orient="index", dtype=str)


# --- the shipped mappings, on files like the ones they are written for ----------------------


def test_legacy_export_mapping_on_a_windows_1252_export(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_bytes(
        "Kundenr;Navn;Adresse;Postnr;By;Land;Telefon;Email;CVR;Betalingsbetingelse;"
        "Momszone;Valuta;Kreditmax\r\n"
        "2001;Søren  Ærø ApS ;Ørstedsvej 4;0800;Høje Taastrup;Danmark;65 27 37 76;"
        "Info@Aero.DK;10830968;Løbende måned + 30;EU;dkk;10.000,50\r\n"
        "2002;B;;;;;;;;Netto 60;Grønland;;\r\n".encode("cp1252")
    )
    mapping = load_mapping(MAPPINGS / "legacy-export.toml", entity="customers")
    table = open_table(source, skip_rows=mapping.skip_rows)
    mapping.check_columns(table.columns, source=source)

    out = apply_mapping(next(table.chunks()), mapping)

    first = out.loc[2]
    assert first["name"] == "Søren Ærø ApS"
    assert first["zip"] == "0800"
    assert first["email"] == "info@aero.dk"
    assert first["currency"] == "DKK"
    assert first["creditLimit"] == "10000.50"
    assert first["paymentTerms.paymentTermsNumber"] == "4"
    assert first["vatZone.vatZoneNumber"] == "2"
    assert first["customerGroup.customerGroupNumber"] == "1"
    assert first["_key"] == "2001"
    # Unmapped names pass through for the validator to reject; nothing is guessed.
    assert out.loc[
        3, ["paymentTerms.paymentTermsNumber", "vatZone.vatZoneNumber", "currency"]
    ].tolist() == ["Netto 60", "Grønland", ""]
    assert mapping.unused_columns(table.columns) == []


def test_customers_mapping_on_a_csv(tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(
        "CustomerNo,Name,Address,Zip,City,Country,Email,Phone,CVR,EAN,Currency,Group,"
        "PaymentTerms,VatZone,CreditLimit,Website\n"
        '1004,Nordisk ApS,"Vej 1, Port 3",0800,Høje Taastrup,Danmark,A@B.DK,+45 60 67 64 55,'
        "11273860,5790 0012 3456 7,dkk,,3,1,250000.00,www.nordisk.dk\n",
        encoding="utf-8",
    )
    mapping = load_mapping(MAPPINGS / "customers.toml")
    table = open_table(source)
    mapping.check_columns(table.columns, source=source)

    row = apply_mapping(next(table.chunks()), mapping).loc[2]

    assert (row["zip"], row["ean"], row["email"], row["currency"]) == (
        "0800",
        "5790001234567",
        "a@b.dk",
        "DKK",
    )
    assert row["customerGroup.customerGroupNumber"] == "1"  # the default for an empty cell
    assert mapping.properties()[:2] == ["customerNumber", "name"]


# --- apply_mapping -------------------------------------------------------------------------


def test_apply_mapping_rules_constants_defaults_and_key(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        """
entity = "customers"
key = "Nr"
[columns]
"Nr" = "customerNumber"
"Navn" = { property = "name", transforms = ["strip", "collapse-spaces", "title"] }
"Zone" = { property = "vatZone.vatZoneNumber", values = { "Indland" = 1, "*" = 3 } }
"Spærret" = { property = "barred", values = { "x" = true } }
"Noter" = false
[constants]
"customerGroup.customerGroupNumber" = 2
[defaults]
"currency" = "DKK"
"paymentTerms.paymentTermsNumber" = 3
""",
    )
    mapping = load_mapping(path)
    chunk = frame(
        {
            7: {
                "Nr": " 12 ",
                "Navn": "  jens   hansen ",
                "Zone": "Indland",
                "Spærret": "x",
                "Noter": "n",
            },
            9: {"Nr": "13", "Navn": "", "Zone": "Grønland", "Spærret": "", "Noter": ""},
            11: {"Nr": "", "Navn": "a", "Zone": "", "Spærret": "nej", "Noter": ""},
        }
    )

    out = apply_mapping(chunk, mapping)

    assert out.index.tolist() == [7, 9, 11]
    assert out.to_dict("index") == {
        7: {
            "customerNumber": " 12 ",
            "name": "Jens Hansen",
            "vatZone.vatZoneNumber": "1",
            "barred": "true",
            "currency": "DKK",
            "paymentTerms.paymentTermsNumber": "3",
            "customerGroup.customerGroupNumber": "2",
            "_key": "12",
        },
        9: {
            "customerNumber": "13",
            "name": "",
            "vatZone.vatZoneNumber": "3",
            "barred": "",
            "currency": "DKK",
            "paymentTerms.paymentTermsNumber": "3",
            "customerGroup.customerGroupNumber": "2",
            "_key": "13",
        },
        11: {
            "customerNumber": "",
            "name": "A",
            "vatZone.vatZoneNumber": "",
            "barred": "nej",
            "currency": "DKK",
            "paymentTerms.paymentTermsNumber": "3",
            "customerGroup.customerGroupNumber": "2",
            "_key": "",
        },
    }
    assert all(isinstance(v, str) for v in out.to_numpy().ravel())
    assert mapping.properties() == [
        "customerNumber",
        "name",
        "vatZone.vatZoneNumber",
        "barred",
        "currency",
        "paymentTerms.paymentTermsNumber",
        "customerGroup.customerGroupNumber",
    ]
    assert mapping.ignored == ("Noter",)


def test_lookup_and_parent_key_for_contacts(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        """
entity = "contacts"
[columns]
"Kunde" = "customer.key"
"Navn" = "name"
"Notifikationer" = "emailNotifications"
""",
    )
    mapping = load_mapping(path)
    out = apply_mapping(
        frame({2: {"Kunde": "K-7", "Navn": "Ann", "Notifikationer": "invoices"}}), mapping
    )

    assert out.loc[2].to_dict() == {
        "customer.key": "K-7",
        "name": "Ann",
        "emailNotifications": "invoices",
        "_key": "",
    }
    assert mapping.lookups() == {}


def test_lookups_lists_name_lookups(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        """
entity = "customers"
[columns]
"Betaling" = { property = "paymentTerms.paymentTermsNumber", lookup = "name" }
"Zone" = { property = "vatZone.vatZoneNumber", lookup = "name", values = { "DK" = "Indland" } }
""",
    )

    assert load_mapping(path).lookups() == {
        "paymentTerms.paymentTermsNumber": "name",
        "vatZone.vatZoneNumber": "name",
    }


def test_identity_mapping() -> None:
    mapping = identity_mapping(CUSTOMERS, ["customerNumber", "name", "vatZone.vatZoneNumber"])

    out = apply_mapping(
        frame({2: {"customerNumber": "5", "name": "A", "vatZone.vatZoneNumber": "1"}}), mapping
    )

    assert (mapping.key, mapping.path) == ("customerNumber", None)
    assert out.loc[2].to_dict() == {
        "customerNumber": "5",
        "name": "A",
        "vatZone.vatZoneNumber": "1",
        "_key": "5",
    }
    assert identity_mapping(CONTACTS, ["customer.key", "name"]).key is None


def test_identity_mapping_rejects_unknown_columns() -> None:
    with pytest.raises(ConfigError) as info:
        identity_mapping(CUSTOMERS, ["customernumber", "Navn", "name"])

    assert str(info.value) == (
        "columns 'customernumber' (did you mean 'customerNumber'?), 'Navn' (did you mean "
        "'name'?) are not customers properties; without a mapping file the headers must be "
        "property paths, as in `econ-import template customers` (`econ-import map` drafts "
        "a mapping)"
    )


@pytest.mark.parametrize(
    ("entity", "header", "hint"),
    [
        (CUSTOMERS, "Postnummer", "zip"),
        (CUSTOMERS, "CVR-nummer", "corporateIdentificationNumber"),
        (CUSTOMERS, "Postal Code", "zip"),
        (CUSTOMERS, "USt-IdNr.", "vatNumber"),
        (CUSTOMERS, "Kreditmax", "creditLimit"),
        (CUSTOMERS, "Debitorgruppe", "customerGroup.customerGroupNumber"),
        (CUSTOMERS, "P-nummer", "pNumber"),
        (ENTITIES["delivery-locations"], "Postnr.", "postalCode"),
        (ENTITIES["contacts"], "Tlf.", "phone"),
        (CUSTOMERS, "nme", "name"),  # no synonym: the closest property path
    ],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_identity_mapping_hints_come_from_the_synonym_table(entity, header, hint) -> None:
    with pytest.raises(ConfigError) as info:
        identity_mapping(entity, [header])

    assert f"column '{header}' (did you mean '{hint}'?) is not a" in str(info.value)


def test_check_columns_names_missing_columns(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path, 'entity = "customers"\nkey = "Nr"\n[columns]\n"Navn" = "name"\n"Postnr" = "zip"\n'
    )
    mapping = load_mapping(path)

    with pytest.raises(ConfigError) as info:
        mapping.check_columns(["Nr", "Name", "Post nr"], source="kunder.csv")

    assert str(info.value) == (
        f"kunder.csv: no column 'Navn', 'Postnr' (did you mean 'Post nr'?) (needed by {path}); "
        "the columns are: Nr, Name, Post nr"
    )
    mapping.check_columns(["Nr", "Navn", "Postnr", "Extra"])
    assert mapping.unused_columns(["Nr", "Navn", "Postnr", "Extra"]) == ["Extra"]


# --- every mistake in a mapping file, and its message -------------------------------------

BAD_MAPPINGS = [
    ("entity = \n", "not valid TOML: Invalid value (at line 1, column 10)"),
    (
        'entity = "customers"\ncolums = {}\n',
        "unknown key 'colums'; did you mean 'columns'? valid: entity, key, skip_rows, sheet, "
        "match, columns, constants, defaults",
    ),
    (
        "[columns]\n",
        'no entity given; add entity = "..." (customer-groups, customers, '
        "contacts, delivery-locations)",
    ),
    (
        'entity = "customer"\n',
        "unknown entity 'customer'; did you mean 'customers'? valid: "
        "customer-groups, customers, contacts, delivery-locations",
    ),
    (
        'entity = "customers"\n[columns]\n"Navn" = "nme"\n',
        "[columns] 'Navn': unknown customers property 'nme' (did you mean 'name'?); the valid "
        "ones are the headers of `econ-import template customers`",
    ),
    (
        'entity = "customers"\n[columns]\n"Navn" = "customer.key"\n',
        "[columns] 'Navn': 'customer.key' (the parent customer's source key) is only for "
        "contacts, delivery-locations",
    ),
    (
        'entity = "customers"\n[columns]\n"Navn" = true\n',
        "[columns] 'Navn': expected a property path, a table or false, got True",
    ),
    (
        'entity = "customers"\n[columns]\n"Zip" = { property = "zip", transform = ["strip"] }\n',
        "[columns] 'Zip': unknown key 'transform'; did you mean 'transforms'? valid: property, "
        "transforms, values, lookup",
    ),
    (
        'entity = "customers"\n[columns]\n"Zip" = { transforms = ["strip"] }\n',
        "[columns] 'Zip': missing property = \"...\" (the API property path)",
    ),
    (
        'entity = "customers"\n[columns]\n"Zip" = { property = "zip", transforms = ["digits"] }\n',
        "[columns] 'Zip': unknown transform 'digits'; did you mean 'digits-only'? valid: strip, "
        "upper, lower, title, digits-only, decimal-comma, decimal-point, collapse-spaces",
    ),
    (
        'entity = "customers"\n[columns]\n"By" = { property = "city", lookup = "name" }\n',
        "[columns] 'By': lookup works only on a reference number (customerGroup."
        "customerGroupNumber, paymentTerms.paymentTermsNumber, vatZone.vatZoneNumber, "
        "layout.layoutNumber, salesPerson.employeeNumber)",
    ),
    (
        'entity = "customers"\n[columns]\n"Z" = { property = "vatZone.vatZoneNumber", '
        'lookup = "navn" }\n',
        "[columns] 'Z': cannot look up by 'navn'; valid: name",
    ),
    (
        'entity = "customers"\n[columns]\n"T" = { property = "paymentTerms.paymentTermsNumber",'
        ' values = { "Netto 8" = "otte" } }\n',
        "[columns] 'T': value 'Netto 8' maps to 'otte': expected a whole number, got 'otte'",
    ),
    (
        'entity = "customers"\n[constants]\n"currency" = "DKKK"\n',
        "[constants] 'currency' = 'DKKK': String 'DKKK' exceeds maximum length of 3.",
    ),
    (
        'entity = "customers"\n[defaults]\n"customerNumber" = 0\n',
        "[defaults] 'customerNumber' = '0': Integer 0 is less than minimum value of 1.",
    ),
    (
        'entity = "customers"\n[constants]\n"when" = 2024-01-01\n',
        "[constants] 'when': unknown customers property 'when'; the valid ones are the headers "
        "of `econ-import template customers`",
    ),
    (
        'entity = "customers"\n[constants]\n"name" = 2024-01-01\n',
        "[constants] 'name': expected text, a number or true/false, got datetime.date(2024, 1, 1)",
    ),
    (
        'entity = "customers"\n[columns]\n"A" = "name"\n"B" = "name"\n',
        "property 'name' is mapped from both 'A' and 'B'",
    ),
    (
        'entity = "customers"\n[columns]\n"V" = "currency"\n[constants]\n"currency" = "DKK"\n',
        "property 'currency' is both a constant and mapped from column 'V'; use [defaults] to "
        "fill empty cells",
    ),
    (
        'entity = "customers"\nskip_rows = -1\n',
        "skip_rows must be a whole number of 0 or more, got -1",
    ),
    ('entity = "customers"\nkey = 3\n', "key must be text (a column or sheet name), got 3"),
    ('entity = "customers"\ncolumns = 3\n', '[columns] must be a table of "name" = value lines'),
]


@pytest.mark.parametrize(
    ("text", "message"),
    BAD_MAPPINGS,
    ids=[
        "toml",
        "top-key",
        "no-entity",
        "entity",
        "property",
        "parent-key-on-customers",
        "column-true",
        "rule-key",
        "no-property",
        "transform",
        "lookup-path",
        "lookup-attr",
        "value-target",
        "constant-length",
        "default-minimum",
        "constant-path",
        "constant-type",
        "mapped-twice",
        "constant-and-column",
        "skip-rows",
        "key-type",
        "columns-type",
    ],
)
def test_bad_mapping(tmp_path: Path, text: str, message: str) -> None:
    path = write_toml(tmp_path, text)

    with pytest.raises(ConfigError) as info:
        load_mapping(path)

    assert str(info.value) == f"{path}: {message}"


def test_entity_argument_must_agree(tmp_path: Path) -> None:
    path = write_toml(tmp_path, 'entity = "customers"\n')

    assert load_mapping(path, entity="customers").entity is CUSTOMERS
    with pytest.raises(ConfigError) as info:
        load_mapping(path, entity="contacts")
    assert str(info.value) == f"{path}: the mapping is for customers, not contacts"


def test_entity_from_the_argument_alone(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[columns]\n"Navn" = "name"\n')

    mapping = load_mapping(path, entity="contacts")

    assert mapping.entity is CONTACTS
    assert mapping.rules == (ColumnRule("Navn", "name"),)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_mapping(tmp_path / "nope.toml")

    assert (
        str(info.value)
        == f"{tmp_path / 'nope.toml'}: cannot read the mapping (No such file or directory)"
    )


def test_shipped_mappings_load() -> None:
    for path in (MAPPINGS / "customers.toml", MAPPINGS / "legacy-export.toml"):
        assert isinstance(load_mapping(path), Mapping)


# --- numbers a transform refuses --------------------------------------------------------------


def test_a_refused_number_makes_its_row_invalid_naming_the_cell(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    source = tmp_path / "kunder.csv"
    source.write_text(
        "Kundenr;Navn;Kreditmax\n1;A;5.000\n2;B;5.00\n3;C;1,234.50\n4;D;12,5\n",
        encoding="utf-8",
    )
    mapping = write_toml(
        tmp_path,
        'entity = "customers"\nkey = "Kundenr"\n[columns]\n"Kundenr" = "customerNumber"\n'
        '"Navn" = "name"\n"Kreditmax" = { property = "creditLimit", transforms = '
        '["decimal-comma"] }\n[constants]\n"currency" = "DKK"\n'
        '"customerGroup.customerGroupNumber" = "1"\n"paymentTerms.paymentTermsNumber" = "1"\n'
        '"vatZone.vatZoneNumber" = "1"\n',
    )
    report = tmp_path / "report"

    result = cli("validate", source, "--mapping", mapping, "--report", report)

    assert result.code == 1
    lines = {r["row"]: r for r in read_results(report)}
    assert [lines[r]["status"] for r in ("2", "3", "4", "5")] == [
        "valid",
        "invalid",
        "invalid",
        "valid",
    ]
    errors = [json.loads(line) for line in (report / "errors.jsonl").read_text().splitlines()]
    assert [(e["row"], e["property"], e["code"], e["value"]) for e in errors] == [
        (3, "creditLimit", CODE_NUMBER_FORMAT, "5.00"),
        (4, "creditLimit", CODE_NUMBER_FORMAT, "1,234.50"),
    ]
    assert errors[0]["message"] == (
        "column 'Kreditmax': '5.00' is not a decimal-comma number: the decimal mark is ',' "
        "and '.' or a space groups thousands in threes, e.g. 1.234.567,89"
    )


def test_map_chunk_reads_numbers_exactly_and_reports_the_rest() -> None:
    mapping = Mapping(
        CUSTOMERS, rules=(ColumnRule("Kredit", "creditLimit", ("strip", "decimal-point")),)
    )

    mapped, errors = map_chunk(
        frame({2: {"Kredit": " 1,234.50"}, 3: {"Kredit": "1.234,5"}}), mapping
    )

    assert mapped["creditLimit"].tolist() == ["1234.50", "1.234,5"]
    assert list(errors) == [3]
    assert errors[3][0].property == "creditLimit"
    assert errors[3][0].value == "1.234,5"
