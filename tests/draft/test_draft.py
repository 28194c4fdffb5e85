"""``econ-import map`` (pipeline.draft, pipeline.draft.render) on realistic exports, through
the real CLI: each column's property, what is commented and why, then ``validate`` (and
an import into the sandbox) with the draft."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.constraints import ENTITIES
from pipeline.draft.agreement import Agreement
from pipeline.draft.drafter import Draft, choose_key, place_column, resolve_competition
from pipeline.draft.identity import propose_match
from pipeline.draft.profile import profile_column
from pipeline.draft.render import render_mapping
from pipeline.mapping import Mapping, load_mapping
from pipeline.mapping.reference_names import reference_record
from pipeline.sandbox.seed import READ_ONLY
from tests.conftest import REPO, SandboxHandle, api_get

_COMMENTED = re.compile(r'^# "(?P<column>[^"]+)" = .*?  # (?P<why>.*)$')


def write_csv(
    path: Path, rows: list[list[str]], *, encoding: str = "utf-8", sep: str = ","
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=sep).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Sheet1") -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def run_map(cli, source: Path, out: Path, *flags: str) -> tuple[Mapping, dict[str, str], str]:  # type: ignore[no-untyped-def]
    """Draft ``source`` into ``out``: the loaded mapping, commented column -> why, output."""
    result = cli("map", source, "-o", out, *flags)
    assert result.code == 0, result.err
    text = out.read_text(encoding="utf-8")
    commented = {m["column"]: m["why"] for m in map(_COMMENTED.match, text.splitlines()) if m}
    return load_mapping(out), commented, result.out


def properties(mapping: Mapping) -> dict[str, str]:
    return {rule.source: rule.property for rule in mapping.rules}


def rule(mapping: Mapping, column: str):  # type: ignore[no-untyped-def]
    return next(r for r in mapping.rules if r.source == column)


# --- a C5-style export: Windows-1252, semicolons, Danish headers --------------------------

C5_HEADER = ["Konto", "Navn", "Adresse 1", "Adresse 2", "Postnr.", "Bynavn", "Land", "Telefon",
             "Telefax", "CVR-nr.", "EAN-nummer", "E-mail", "Hjemmeside", "Debitorgruppe",
             "Betalingsbetingelser", "Momszone", "Valuta", "Kreditmax", "Spærret",
             "Søgenavn"]  # fmt: skip


def c5_rows() -> list[list[str]]:
    rows = [C5_HEADER]
    for n in range(1, 13):
        rows.append([
            str(1000 + n), f"Ærøskøbing Tømrer {n} ApS", f"Østergade {n}",
            "1. sal" if n % 3 else "",
            f"{5970 + n % 3}", "Ærøskøbing", "Danmark", f"62 52 {10 + n} 00", f"62 52 {10 + n} 01",
            f"{31000000 + n * 7}", f"57900012345{n:02d}", f"post{n}@tomrer.dk", f"www.tomrer{n}.dk",
            "1", "Netto 30 dage" if n % 2 else "Netto 8 dage", "1", "DKK",
            f"{n}.250,50", "Ja" if n == 5 else "Nej", f"TØMRER{n}",
        ])  # fmt: skip
    return rows


def test_a_c5_export_in_cp1252_with_semicolons(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "debitorer.csv", c5_rows(), encoding="cp1252", sep=";")
    mapping, commented, out = run_map(cli, source, tmp_path / "draft.toml")

    assert properties(mapping) == {
        "Konto": "customerNumber",
        "Navn": "name",
        "Adresse 1": "address",
        "Postnr.": "zip",
        "Bynavn": "city",
        "Land": "country",
        "Telefon": "telephoneAndFaxNumber",
        "CVR-nr.": "corporateIdentificationNumber",
        "EAN-nummer": "ean",
        "E-mail": "email",
        "Hjemmeside": "website",
        "Debitorgruppe": "customerGroup.customerGroupNumber",
        "Betalingsbetingelser": "paymentTerms.paymentTermsNumber",
        "Momszone": "vatZone.vatZoneNumber",
        "Valuta": "currency",
        "Kreditmax": "creditLimit",
        "Spærret": "barred",
    }
    assert mapping.key == "Konto"
    assert rule(mapping, "Kreditmax").transforms == ("decimal-comma",)
    assert rule(mapping, "Spærret").values == {"Nej": "false", "Ja": "true"}
    assert rule(mapping, "Betalingsbetingelser").lookup == "name"
    assert rule(mapping, "Momszone").lookup is None  # numbers already
    assert set(commented) == {"Adresse 2", "Telefax", "Søgenavn"}
    assert commented["Adresse 2"].startswith("competes with 'Adresse 1' for address")
    assert commented["Telefax"].startswith("competes with 'Telefon' for telephoneAndFaxNumber")
    assert commented["Søgenavn"].startswith("not placed: no header or value match")
    # The table: column, property, why.
    assert re.search(r"Postnr\.\s+zip\s+header 'Postnr\.' ~ zip \(synonym 'Postnr', 100\)", out)
    assert re.search(r"CVR-nr\.\s+corporateIdentificationNumber\s+header 'CVR-nr\.'", out)
    assert "values look like 8-digit CVR numbers" in out
    assert "3 commented, key 'Konto'" in out


def test_the_c5_draft_imports_into_the_sandbox(
    cli, sandbox: SandboxHandle, tokens: object, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "debitorer.csv", c5_rows(), encoding="cp1252", sep=";")
    run_map(cli, source, tmp_path / "draft.toml")

    dry = cli("validate", source, "--mapping", tmp_path / "draft.toml", "--sandbox",
              "--report", tmp_path / "dry")  # fmt: skip
    assert dry.code == 0, dry.out + dry.err
    result = cli("import", source, "--mapping", tmp_path / "draft.toml",
                 "--base-url", sandbox.url, "--report", tmp_path / "run")  # fmt: skip
    assert result.code == 0, result.out + result.err

    got = sandbox.call(lambda: api_get(sandbox.url, "/customers/1005"))
    assert got["name"] == "Ærøskøbing Tømrer 5 ApS"
    assert got["zip"] == "5972" and got["city"] == "Ærøskøbing"
    assert got["creditLimit"] == 5250.5
    assert got["barred"] is True
    assert got["paymentTerms"]["paymentTermsNumber"] == 3  # "Netto 30 dage", by name
    assert got["corporateIdentificationNumber"] == "31000035"
    assert got["ean"] == "5790001234505"


# --- an English CRM export (HubSpot-like), XLSX ------------------------------------------


def test_an_english_crm_export_in_xlsx_uses_values_where_headers_say_nothing(
    cli, tmp_path: Path
) -> None:
    header = [
        "Record ID",
        "Company name",
        "Company Domain Name",
        "Phone Number",
        "Street Address",
        "Street Address 2",
        "City",
        "Postal Code",
        "Country/Region",
        "Industry",
        "Custom field 1",
        "Custom field 2",
        "Billing contact",
        "Create Date",
    ]
    rows: list[list[object]] = [header]
    for n in range(1, 9):
        rows.append([
            9_800_000_000 + n, f"Nordic Widgets {n} A/S", f"widgets{n}.dk", f"+45 33 12 34 {n:02d}",
            f"Vesterbrogade {n}", "", "København V", "1620", "Denmark", "Retail",
            f"{42000000 + n}", f"{5790000000000 + n}", f"billing{n}@widgets.dk", "2024-01-0{n}",
        ])  # fmt: skip
    source = write_xlsx(tmp_path / "hubspot.xlsx", rows, sheet="Companies")
    mapping, commented, out = run_map(cli, source, tmp_path / "draft.toml")

    assert properties(mapping) == {
        "Company name": "name",
        "Company Domain Name": "website",
        "Phone Number": "telephoneAndFaxNumber",
        "Street Address": "address",
        "City": "city",
        "Postal Code": "zip",
        "Country/Region": "country",
        "Custom field 1": "corporateIdentificationNumber",
        "Custom field 2": "ean",
        "Billing contact": "email",
    }
    assert mapping.key == "Record ID"  # too long for a customerNumber: the source key only
    assert mapping.sheet == "Companies"
    assert set(commented) == {"Street Address 2", "Industry", "Create Date"}
    assert "every sampled cell is empty" in commented["Street Address 2"]
    assert re.search(r"Custom field 1\s+corporateIdentificationNumber\s+values look like 8-digit "
                     r"CVR numbers", out)  # fmt: skip
    assert "13-digit EAN numbers" in out and "e-mail addresses" in out
    dry = cli("validate", source, "--mapping", tmp_path / "draft.toml", "--report", tmp_path / "r")
    assert dry.code == 1  # currency, group, terms and zone are required and not in the file
    text = (tmp_path / "draft.toml").read_text(encoding="utf-8")
    assert '# "currency" = "DKK"' in text and '# "vatZone.vatZoneNumber" = 1' in text


# --- a German DATEV/SAP-like list --------------------------------------------------------


def test_a_german_customer_list(cli, tmp_path: Path) -> None:
    header = ["Kundennummer", "Name 1", "Name 2", "Straße", "PLZ", "Ort", "Land", "Telefon",
              "E-Mail", "USt-IdNr.", "Zahlungsbedingung", "Kreditlimit", "Währung",
              "Debitorengruppe", "Gesperrt", "Steuerzone", "Bemerkung"]  # fmt: skip
    rows = [header]
    for n in range(1, 7):
        rows.append([
            f"{10000 + n}", f"Müller & Söhne GmbH {n}", "Vertrieb", f"Hauptstraße {n}",
            f"2{n}095", "Hamburg", "Deutschland", f"+49 40 1234{n}", f"info{n}@mueller.de",
            f"DE12345678{n}", "2", f"{n}.500,00", "EUR", "1", "Nein" if n != 2 else "Ja", "2",
            "Stammkunde",
        ])  # fmt: skip
    source = write_csv(tmp_path / "kunden.csv", rows, sep=";")
    mapping, commented, _ = run_map(cli, source, tmp_path / "draft.toml")

    assert properties(mapping) == {
        "Kundennummer": "customerNumber",
        "Name 1": "name",
        "Straße": "address",
        "PLZ": "zip",
        "Ort": "city",
        "Land": "country",
        "Telefon": "telephoneAndFaxNumber",
        "E-Mail": "email",
        "USt-IdNr.": "vatNumber",
        "Zahlungsbedingung": "paymentTerms.paymentTermsNumber",
        "Kreditlimit": "creditLimit",
        "Währung": "currency",
        "Debitorengruppe": "customerGroup.customerGroupNumber",
        "Gesperrt": "barred",
        "Steuerzone": "vatZone.vatZoneNumber",
    }
    assert mapping.key == "Kundennummer"
    assert rule(mapping, "Kreditlimit").transforms == ("decimal-comma",)
    assert rule(mapping, "Gesperrt").values == {"Nein": "false", "Ja": "true"}
    assert set(commented) == {"Name 2", "Bemerkung"}
    assert commented["Name 2"].startswith("competes with 'Name 1' for name")

    dry = cli("validate", source, "--mapping", tmp_path / "draft.toml", "--report", tmp_path / "r")
    assert dry.code == 0, dry.out + dry.err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["valid"] == 6


# --- the other entities -------------------------------------------------------------------


def test_contacts_find_their_customer_by_number_or_by_source_key(cli, tmp_path: Path) -> None:
    header = ["Contact ID", "Customer No", "Kundekode", "First Name", "Last Name", "Email",
              "Mobile", "Notes"]  # fmt: skip
    rows = [header] + [
        [
            f"K{n}",
            str(100 + n),
            f"C-{n:04d}",
            f"Anna {n}",
            "Berg",
            f"anna{n}@x.dk",
            f"+45 20 30 40 {n:02d}",
            "VIP",
        ]
        for n in range(1, 6)
    ]
    source = write_csv(tmp_path / "contacts.csv", rows)
    mapping, commented, _ = run_map(cli, source, tmp_path / "c.toml", "--entity", "contacts")

    assert properties(mapping) == {
        "Customer No": "customer.customerNumber",
        "Kundekode": "customer.key",
        "First Name": "name",
        "Email": "email",
        "Mobile": "phone",
        "Notes": "notes",
    }
    assert mapping.key == "Contact ID"
    assert set(commented) == {"Last Name"}
    dry = cli("validate", source, "--entity", "contacts", "--mapping", tmp_path / "c.toml",
              "--report", tmp_path / "r")  # fmt: skip
    assert dry.code in (0, 1), dry.err  # it runs: the source keys name no customer yet


def test_customer_groups_and_delivery_locations(cli, tmp_path: Path) -> None:
    groups = write_csv(
        tmp_path / "g.csv",
        [
            ["Gruppenr", "Beskrivelse", "Samlekonto"],
            ["10", "Engros", "5600"],
            ["11", "Detail", "5610"],
        ],
    )
    mapping, commented, _ = run_map(cli, groups, tmp_path / "g.toml", "--entity", "customer-groups")
    assert properties(mapping) == {"Gruppenr": "customerGroupNumber", "Beskrivelse": "name",
                                   "Samlekonto": "account.accountNumber"}  # fmt: skip
    assert mapping.key == "Gruppenr" and not commented

    locations = write_csv(tmp_path / "l.csv", [
        ["Leveringskode", "Kundenr", "Leveringsadresse", "Postnr", "By", "Leveringsbetingelser"],
        ["L1", "1001", "Havnen 1", "8000", "Aarhus C", "Fritt leveret"],
        ["L2", "1002", "Kajen 2", "9000", "Aalborg", ""],
    ])  # fmt: skip
    mapping, commented, _ = run_map(cli, locations, tmp_path / "l.toml", "--entity",
                                    "delivery-locations")  # fmt: skip
    assert properties(mapping) == {
        "Kundenr": "customer.customerNumber",
        "Leveringsadresse": "address",
        "Postnr": "postalCode",
        "By": "city",
        "Leveringsbetingelser": "termsOfDelivery",
    }
    assert mapping.key == "Leveringskode" and not commented


def test_values_that_cannot_be_the_property_leave_the_column_commented(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "k.csv", [["Kundenr", "Navn", "Kreditmax", "Spærret"],
                                            ["A-1", "Et", "meget", "måske"],
                                            ["A-2", "To", "lidt", "nok"]])  # fmt: skip
    mapping, commented, _ = run_map(cli, source, tmp_path / "k.toml")
    assert properties(mapping) == {"Navn": "name"}
    assert commented == {
        "Kreditmax": "not placed on creditLimit: the values are not numbers ('meget', 'lidt')",
        "Spærret": "not placed on barred: the values are not yes/no words ('måske', 'nok')",
    }
    # Not a customer number, but a unique, always-filled id code: the source key.
    assert mapping.key == "Kundenr"
    text = (tmp_path / "k.toml").read_text(encoding="utf-8")
    assert "its header names the customerNumber, but the values are id codes ('A-1', 'A-2')" in (
        text
    )


def test_the_project_samples_draft_like_their_hand_written_mappings(cli, tmp_path: Path) -> None:
    for name, hand in (
        ("legacy-export.csv", "legacy-export.toml"),
        ("customers.csv", "customers.toml"),
    ):
        drafted, _, _ = run_map(cli, REPO / "samples" / name, tmp_path / f"{name}.toml")
        written = load_mapping(REPO / "mappings" / hand)
        assert properties(drafted) == properties(written), name
        assert drafted.key == written.key


def test_a_second_run_does_not_overwrite_the_draft(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "k.csv", [["Kundenr", "Navn"], ["1", "Et"]])
    out = tmp_path / "k.toml"
    run_map(cli, source, out)
    out.write_text(out.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")

    again = cli("map", source, "-o", out)
    assert again.code == 2
    assert (
        again.err
        == f"econ-import: {out}: already exists; nothing written (use --force to replace it)\n"
    )
    assert out.read_text(encoding="utf-8").endswith("# edited by hand\n")
    forced = cli("map", source, "-o", out, "--force")
    assert forced.code == 0 and "edited by hand" not in out.read_text(encoding="utf-8")


def test_an_unreadable_input_is_one_line(cli, tmp_path: Path) -> None:
    result = cli("map", tmp_path / "nope.csv", "-o", tmp_path / "x.toml")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "cannot read the file" in result.err
    assert not (tmp_path / "x.toml").exists()


def test_headers_that_need_quoting_round_trip(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "q.csv", [['"Navn"', "Post\\nr"], ["Et", "8000"]])
    mapping, _, _ = run_map(cli, source, tmp_path / "q.toml")
    assert properties(mapping) == {'"Navn"': "name", "Post\\nr": "zip"}


@pytest.mark.parametrize(
    ("cells", "kind"),
    [
        (["12345678", "87654321"], "cvr"),
        (["5790001234567"], "ean"),
        (["8000", "0800", ""], "zip"),
        (["a@b.dk", "c.d@e.com"], "email"),
        (["www.x.dk", "https://y.com/z"], "url"),
        (["+45 12 34 56 78", "0045 1234 5678", "(040) 123-45"], "phone"),
        (["Ja", "Nej", "nej"], "boolean"),
        (["1", "0"], "integer"),
        (["1.234,50", "10,5", "7"], "decimal-comma"),
        (["1234.50", "7"], "decimal-point"),
        (["Netto 30", "Kontant"], "text"),
        (["", " "], "empty"),
    ],
)
def test_value_kinds(cells: list[str], kind: str) -> None:
    assert profile_column("x", cells).kind == kind


#: The sandbox's seeded reference collections, as ``map --sandbox`` reads them.
SEEDED_AGREEMENT = Agreement(
    "http://127.0.0.1:1",
    {
        c.path: tuple(r for r in (reference_record(i, number_property=c.key) for i in c.items) if r)
        for c in READ_ONLY.values()
    },
)

_HEADER = st.one_of(
    # headers of reference columns and match candidates, so value maps and match rules occur
    st.sampled_from(
        [
            "Momszone",
            "Betaling",
            "Kundegruppe",
            "Sælger",
            "Layout",
            "Navn",
            "CVR",
            "E-mail",
            "Postnr",
            "KU_NUM",
            "KU_RECH_NAM",
            "No_",
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(
        lambda h: h.strip() == h and h.strip()
    ),
)
_CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "12345678",
            "Ja",
            "Nej",
            "1.234,50",
            "a@b.dk",
            "8000",
            "Netto 30",
            "Kontant",
            "EU",
            "Udland",
            'Net "14" days',
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=100, deadline=None)
@given(
    entity=st.sampled_from(["customers", "contacts", "delivery-locations", "customer-groups"]),
    columns=st.lists(
        st.tuples(_HEADER, st.lists(_CELL, min_size=1, max_size=6)),
        min_size=1,
        max_size=8,
        unique_by=lambda c: c[0],
    ),
    with_target=st.booleans(),
)
def test_any_draft_is_a_mapping_the_parser_reads(  # type: ignore[no-untyped-def]
    entity: str, columns, with_target: bool, tmp_path_factory
) -> None:
    rows = min(len(cells) for _, cells in columns)
    profiles = [profile_column(header, cells[:rows]) for header, cells in columns]
    target = ENTITIES[entity]
    agreement = SEEDED_AGREEMENT if with_target else None
    placements = resolve_competition(
        [place_column(target, p, agreement=agreement) for p in profiles]
    )
    key, why = choose_key(target, profiles, placements)
    placed = {str(p.property): p.column for p in placements if p.placed}
    match, match_why = propose_match(target, profiles, placed)
    draft = Draft(target, Path("x.csv"), "", rows, key, why, tuple(placements), (), match,
                  match_why)  # fmt: skip
    path = tmp_path_factory.mktemp("draft") / "m.toml"
    path.write_text(render_mapping(draft), encoding="utf-8")

    mapping = load_mapping(path, entity=entity)

    assert properties(mapping) == {p.column: p.property for p in placements if p.placed}
    assert mapping.key == key
    assert mapping.match == (match or ())  # a proposed rule is always a valid one
    assert len({p for p in properties(mapping).values()}) == len(mapping.rules)


def test_the_issue_export_gets_the_right_hints_then_a_draft_that_validates(
    cli, tmp_path: Path
) -> None:
    header = ["Kundenummer", "Firmanavn", "Adresse", "Postnummer", "By", "CVR-nummer",
              "Betalingsbetingelser", "Momszone", "Kreditgrænse"]  # fmt: skip
    rows = [header, ["1", "Lyngby Isenkram A/S", "Ørstedsvej 47B", "2800", "Kgs. Lyngby",
                     "10830968", "Netto 30 dage", "Indland", "10.000,00"]]  # fmt: skip
    source = write_csv(tmp_path / "kunder.csv", rows, encoding="cp1252", sep=";")

    first = cli("validate", source, "--report", tmp_path / "r0")
    assert first.code == 2
    assert "'Postnummer' (did you mean 'zip'?)" in first.err
    assert "'CVR-nummer' (did you mean 'corporateIdentificationNumber'?)" in first.err
    assert "'Kreditgrænse' (did you mean 'creditLimit'?)" in first.err

    mapping, commented, _ = run_map(cli, source, tmp_path / "kunder.toml")
    assert properties(mapping)["Postnummer"] == "zip"
    assert properties(mapping)["CVR-nummer"] == "corporateIdentificationNumber"
    # A standard zone name in Danish ("Indland"): its standard number, no lookup needed.
    assert rule(mapping, "Momszone").values == {"Indland": "1"}
    assert rule(mapping, "Momszone").lookup is None
    assert not commented
    dry = cli("validate", source, "--mapping", tmp_path / "kunder.toml", "--report", tmp_path / "r")
    assert dry.code == 1  # it runs; currency and the customer group are not in the file
    errors = (tmp_path / "r" / "results.csv").read_text(encoding="utf-8")
    assert "currency" in errors


def test_an_id_column_that_repeats_is_not_the_key(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "k.csv", [["ID", "Navn"], ["7", "Et"], ["7", "To"],
                                            ["8", "Tre"]])  # fmt: skip
    mapping, commented, out = run_map(cli, source, tmp_path / "k.toml")
    assert mapping.key is None
    assert commented == {"ID": "not placed: a source id, not a property"}
    text = (tmp_path / "k.toml").read_text(encoding="utf-8")
    assert '# key = "..."  # no id column is unique and filled in every row' in text
    assert "no key" in out


def test_an_errors_file_drafts_without_its_errors_column(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "errors.csv", [["Kundenr", "Navn", "errors"],
                                                 ["1", "", "name: required (E04310)"]])  # fmt: skip
    mapping, commented, _ = run_map(cli, source, tmp_path / "k.toml")
    # Named by its header, but not placed: a required property every row would lack.
    assert properties(mapping) == {"Kundenr": "customerNumber"}
    assert commented == {
        "Navn": "every sampled cell is empty, and name is required: fill the column, or give "
        "a constant (below)"
    }
    assert '# "name" = "..."' in (tmp_path / "k.toml").read_text(encoding="utf-8")
    assert '"errors"' not in (tmp_path / "k.toml").read_text(encoding="utf-8")
