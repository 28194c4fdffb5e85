"""Reference names in the user's own language, and the agreement's own names (issue #21
points 2 and 3): a ``Momszone`` column of ``Indenlandsk``/``EU``/``Udland`` drafts to the
standard zone numbers, ``lookup = "name"`` accepts the standard names (VAT zones and payment
term types), and with a target ``econ-import map`` matches every distinct value of a
reference column to the agreement's names, scored, leaving out what it cannot place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.mapping import load_mapping
from pipeline.mapping.reference_names import (
    LANGUAGES,
    PAYMENT_TERMS,
    STANDARD_NAMES,
    VAT_ZONES,
    fold,
    payment_terms_words,
)
from tests.conftest import SandboxHandle, api_get
from tests.draft.test_draft import properties, rule, run_map, write_csv
from tests.runs import read_results


def test_a_momszone_column_in_danish_drafts_to_the_standard_zone_numbers(
    cli, sandbox: SandboxHandle, tokens: object, tmp_path: Path
) -> None:
    rows = [["Kundenr", "Navn", "Valuta", "Kundegruppe", "Betalingsbetingelse", "Momszone"]] + [
        [str(n), f"Kunde {n}", "DKK", "1", "1", ["Indenlandsk", "EU", "Udland"][n % 3]]
        for n in range(1, 7)
    ]
    source = write_csv(tmp_path / "kunder.csv", rows, sep=";")
    mapping, _, _ = run_map(cli, source, tmp_path / "kunder.toml")

    text = (tmp_path / "kunder.toml").read_text(encoding="utf-8")
    assert 'values = { "Indenlandsk" = 1, "EU" = 2, "Udland" = 3 }' in text
    assert rule(mapping, "Momszone").lookup is None
    result = cli("import", source, "--mapping", tmp_path / "kunder.toml", "--base-url",
                 sandbox.url, "--report", tmp_path / "r", "--no-progress")  # fmt: skip
    assert result.code == 0, result.out + result.err
    zones = {
        n: sandbox.call(lambda n=n: api_get(sandbox.url, f"/customers/{n}"))["vatZone"]
        for n in range(1, 7)
    }
    assert {n: z["vatZoneNumber"] for n, z in zones.items()} == {1: 2, 2: 3, 3: 1, 4: 2, 5: 3, 6: 1}


LOOKUP_MAPPING = """\
entity = "customers"
key = "Nr"
[columns]
"Nr" = "customerNumber"
"Navn" = "name"
"Momszone" = { property = "vatZone.vatZoneNumber", lookup = "name" }
"Betaling" = { property = "paymentTerms.paymentTermsNumber", lookup = "name" }
[constants]
"currency" = "DKK"
"customerGroup.customerGroupNumber" = 1
"""


def test_lookup_by_name_accepts_the_standard_names_and_guesses_nothing(
    cli, sandbox: SandboxHandle, tokens: object, tmp_path: Path
) -> None:
    # zone name (any language) and payment term (the agreement's name, or its type and days)
    cases = [
        ("Indenlandsk", "Netto 14 dage", 1, 2),  # the agreement's own name
        ("Udland", "Net 14 days", 3, 2),  # English: type net, 14 days
        ("Inland", "Netto 30 Tage", 1, 3),  # German
        ("Utland", "Kontant", 3, 5),  # Swedish zone; the agreement's name
        ("EU", "Løbende måned + 30 dage", 2, 4),
        ("Abroad", "Cash", 3, 5),  # the API's own zone name; paidInCash
        ("Innenlands", "30 dage", 1, 3),  # Norwegian; days alone are net days
    ]
    bad = [("Mars", "Netto 14 dage"), ("EU", "Netto")]  # no such zone; three net terms
    rows = [["Nr", "Navn", "Momszone", "Betaling"]]
    rows += [[str(n), f"Kunde {n}", z, t] for n, (z, t, _, _) in enumerate(cases, start=1)]
    rows += [[str(100 + n), "Forkert", z, t] for n, (z, t) in enumerate(bad)]
    source = write_csv(tmp_path / "k.csv", rows)
    (tmp_path / "k.toml").write_text(LOOKUP_MAPPING, encoding="utf-8")

    result = cli("import", source, "--mapping", tmp_path / "k.toml", "--base-url", sandbox.url,
                 "--report", tmp_path / "r", "--no-progress")  # fmt: skip
    assert result.code == 1, result.out + result.err  # the two bad rows

    for n, (_, _, zone, terms) in enumerate(cases, start=1):
        got = sandbox.call(lambda n=n: api_get(sandbox.url, f"/customers/{n}"))
        assert (got["vatZone"]["vatZoneNumber"], got["paymentTerms"]["paymentTermsNumber"]) == (
            zone,
            terms,
        ), cases[n - 1]
    results = {r["row"]: r for r in read_results(tmp_path / "r")}
    first_bad, second_bad = str(len(cases) + 2), str(len(cases) + 3)
    assert results[first_bad]["status"] == "invalid"
    assert "VatZone named 'Mars' not found in /vat-zones" in results[first_bad]["errors"]
    assert results[second_bad]["status"] == "invalid"
    assert "PaymentTerms named 'Netto' not found" in results[second_bad]["errors"]


def seed_groups(cli, sandbox: SandboxHandle, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two customer groups of the agreement's own, besides the two every agreement has."""
    groups = write_csv(tmp_path / "groups.csv", [
        ["customerGroupNumber", "name", "account.accountNumber"],
        ["3", "Engroskunder", "5620"],
        ["4", "Detailkunder", "5630"],
    ])  # fmt: skip
    seeded = cli("import", groups, "--entity", "customer-groups", "--base-url", sandbox.url,
                 "--report", tmp_path / "seed", "--no-progress")  # fmt: skip
    assert seeded.code == 0, seeded.out + seeded.err


def test_with_a_target_every_reference_value_is_matched_to_the_agreement_names(
    cli, sandbox: SandboxHandle, tokens: object, tmp_path: Path
) -> None:
    seed_groups(cli, sandbox, tmp_path)
    terms = ["Netto 8 dage", "14 DAGE", "Lb. md. 30", "Kontant", "Netto", "Efter aftale"]
    groups = ["Engros", "Detailkunder", "Indenlandske kunder", "Udenlandske", "Offentlig", "Engros"]
    sellers = ["Mette", "Lars Østergaard", "Søren", "Mette", "MKH", "Lars Østergaard"]
    layouts = ["Standard", "Engelsk standard", "Standard", "Standard", "Faktura Pro", "Standard"]
    zones = ["Indenlandsk", "EU", "Udland", "Indenlandsk", "Domestic", "Mars"]
    rows = [["Kundenr", "Navn", "Betalingsbetingelser", "Kundegruppe", "Sælger", "Layout",
             "Momszone", "Valuta"]]  # fmt: skip
    rows += [[str(n + 1), f"Kunde {n}", terms[n], groups[n], sellers[n], layouts[n], zones[n],
              "DKK"] for n in range(6)]  # fmt: skip
    source = write_csv(tmp_path / "kunder.csv", rows, sep=";")

    mapping, _, out = run_map(cli, source, tmp_path / "kunder.toml", "--base-url", sandbox.url)

    values = {r.source: dict(r.values) for r in mapping.rules if r.values}
    assert values == {
        "Betalingsbetingelser": {"Netto 8 dage": "1", "14 DAGE": "2", "Lb. md. 30": "4",
                                 "Kontant": "5"},
        "Kundegruppe": {"Engros": "3", "Detailkunder": "4", "Indenlandske kunder": "1",
                        "Udenlandske": "2"},
        "Sælger": {"Mette": "1", "Lars Østergaard": "2", "Søren": "3"},
        "Layout": {"Standard": "19", "Engelsk standard": "21"},
        "Momszone": {"Indenlandsk": "1", "EU": "2", "Udland": "3", "Domestic": "1"},
    }  # fmt: skip
    assert not any(r.lookup for r in mapping.rules)
    text = (tmp_path / "kunder.toml").read_text(encoding="utf-8")
    assert f"# Reference values were matched against the agreement at {sandbox.url}." in text
    lines = set(text.splitlines())
    assert "\"Netto 8 dage\" = 1  # = 'Netto 8 dage'" in lines
    assert "\"14 DAGE\" = 2  # standard name: 'Netto 14 dage'" in lines
    assert re.search(r'^"Engros" = 3  # ~ \'Engroskunder\' \(\d\d\)$', text, re.MULTILINE)
    assert re.search(r'^"Mette" = 1  # ~ \'Mette Kjær Hansen\' \(\d\d\)$', text, re.MULTILINE)
    assert "\"Udland\" = 3  # standard name: 'Abroad'" in lines
    # What it cannot place is commented, with the best candidate: never guessed.
    left_out = {m[1]: m[2] for m in re.finditer(r'^# "([^"]+)" = \.\.\.  # (.*)$', text,
                                                re.MULTILINE)}  # fmt: skip
    assert set(left_out) == {"Netto", "Efter aftale", "Offentlig", "MKH", "Faktura Pro", "Mars"}
    assert left_out["Netto"].startswith("'Netto 8 dage' and 'Netto 14 dage' score alike")
    assert left_out["MKH"].startswith("no name in /employees is close (best 'Mette Kjær Hansen'")
    assert "6 values left for you to map (commented)" in out

    dry = cli("validate", source, "--mapping", tmp_path / "kunder.toml", "--report", tmp_path / "r")
    assert dry.code == 1  # rows 5 and 6 hold the values left out
    statuses = {r["row"]: r["status"] for r in read_results(tmp_path / "r")}
    assert statuses == {"2": "valid", "3": "valid", "4": "valid", "5": "valid", "6": "invalid",
                        "7": "invalid"}  # fmt: skip


def test_map_with_the_embedded_sandbox(cli, tmp_path: Path) -> None:
    rows = [["Navn", "Betaling", "Momszone"], ["Et", "Netto 30 dage", "EU"], ["To", "8 dage", "EU"]]
    mapping, _, out = run_map(cli, write_csv(tmp_path / "k.csv", rows), tmp_path / "k.toml",
                              "--sandbox")  # fmt: skip
    assert rule(mapping, "Betaling").values == {"Netto 30 dage": "3", "8 dage": "1"}
    assert rule(mapping, "Momszone").values == {"EU": "2"}
    assert "reference values matched against http://127.0.0.1:" in out


def test_a_target_that_cannot_be_read_is_one_line(
    cli, sandbox: SandboxHandle, tokens: object, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "k.csv", [["Navn", "Momszone"], ["Et", "EU"]])
    wrong = sandbox.url + "/not-the-api"
    result = cli("map", source, "-o", tmp_path / "k.toml", "--base-url", wrong)
    assert result.code == 2
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith(
        f"econ-import: cannot read the agreement's names at {wrong}: GET /"
    )
    assert "HTTP 404" in result.err
    assert not (tmp_path / "k.toml").exists()


def test_a_target_needs_the_tokens(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ECONOMIC_APP_SECRET_TOKEN", raising=False)
    source = write_csv(tmp_path / "k.csv", [["Navn"], ["Et"]])
    result = cli("map", source, "-o", tmp_path / "k.toml", "--base-url", "http://127.0.0.1:9")
    assert result.code == 2
    assert "ECONOMIC_APP_SECRET_TOKEN" in result.err and result.err.count("\n") == 1


def test_an_empty_ean_column_is_still_mapped_by_its_header(cli, tmp_path: Path) -> None:
    rows = [["Kundenr", "Navn", "EAN-nummer", "Adresse 2"]] + [
        [str(n), f"Kunde {n}", "", ""] for n in range(1, 6)
    ]
    mapping, commented, out = run_map(cli, write_csv(tmp_path / "k.csv", rows), tmp_path / "k.toml")

    assert properties(mapping) == {"Kundenr": "customerNumber", "Navn": "name", "EAN-nummer": "ean",
                                   "Adresse 2": "address"}  # fmt: skip
    assert not commented
    assert re.search(r"EAN-nummer\s+ean\s+header 'EAN-nummer' ~ ean \(synonym 'EAN-nr', 100\); "
                     r"every sampled cell is empty: placed by the header alone", out)  # fmt: skip


def test_an_empty_column_loses_to_a_filled_one(cli, tmp_path: Path) -> None:
    rows = [["EAN", "GLN-nummer", "Navn"]] + [["", f"{5790000000000 + n}", "Et"] for n in range(3)]
    mapping, commented, _ = run_map(cli, write_csv(tmp_path / "k.csv", rows), tmp_path / "k.toml")
    assert properties(mapping) == {"GLN-nummer": "ean", "Navn": "name"}
    assert commented["EAN"].startswith("competes with 'GLN-nummer' for ean")
    assert commented["EAN"].endswith("every sampled cell is empty: placed by the header alone")


# --- the table of standard names ----------------------------------------------------------


@pytest.mark.parametrize("collection", [VAT_ZONES, PAYMENT_TERMS])
def test_every_standard_record_has_names_in_every_language(collection: str) -> None:
    import tomllib

    from pipeline.mapping.reference_names import REFERENCE_NAMES_FILE

    data = tomllib.loads(REFERENCE_NAMES_FILE.read_text(encoding="utf-8"))
    for item in data[collection]:
        assert set(LANGUAGES) <= set(item), item
    names = [fold(n) for entry in STANDARD_NAMES[collection] for n in set(map(fold, entry.names))]
    assert len(names) == len(set(names)), "a name stands for two records"


def test_the_zone_numbers_are_the_standard_ones() -> None:
    assert {e.number: e.api_name for e in STANDARD_NAMES[VAT_ZONES]} == {
        1: "Domestic", 2: "EU", 3: "Abroad", 4: "Domestic exempt"}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "kind", "days"),
    [
        ("Netto 14 dage", "net", 14),
        ("Net 30 days", "net", 30),
        ("netto 30 Tage", "net", 30),
        ("14 DAGE", "net", 14),
        ("Løbende måned + 30 dage", "invoiceMonth", 30),
        ("Lb. md. 30", "invoiceMonth", 30),
        ("Laufender Monat 15 Tage", "invoiceMonth", 15),
        ("Kontant", "paidInCash", None),
        ("Vorauskasse", "prepaid", None),
        ("Förfallodatum", "dueDate", None),
    ],
)
def test_payment_term_words(value: str, kind: str, days: int | None) -> None:
    parsed = payment_terms_words(value)
    assert parsed is not None
    assert (parsed[0].type, parsed[1]) == (kind, days)


@pytest.mark.parametrize("value", ["Efter aftale", "Netto 14 30", "", "Special"])
def test_other_words_are_no_payment_term(value: str) -> None:
    assert payment_terms_words(value) is None


def test_the_drafted_value_maps_parse(tmp_path: Path) -> None:
    """A draft's scored tables are a normal mapping (also checked by ``write_draft``)."""
    path = tmp_path / "m.toml"
    path.write_text(
        'entity = "customers"\n[columns]\n"Navn" = "name"\n\n[columns."Betaling"]  # why\n'
        'property = "paymentTerms.paymentTermsNumber"\ntransforms = ["strip"]\n'
        '[columns."Betaling".values]\n"14 DAGE" = 2  # ~ \'Netto 14 dage\' (86)\n'
        '# "Special" = ...  # left out\n',
        encoding="utf-8",
    )
    assert dict(rule(load_mapping(path), "Betaling").values) == {"14 DAGE": "2"}
