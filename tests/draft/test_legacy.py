"""``econ-import map`` on exports from legacy databases, whose headers are field codes, not
words (issue #21 point 3): a German ERP's customer table (``KU_NUM``, ``KU_RECH_NAM``…),
Navision / Business Central (``No_``, ``Phone No_``…) and SAP Business One's OCRD
(``CardCode``, ``CardName``…), as real files through the real CLI."""

from __future__ import annotations

from pathlib import Path

from tests.draft.test_draft import properties, run_map, write_csv, write_xlsx

ERP_HEADER = ["KU_NUM", "KU_RECH_NAM", "KU_RECH_ZUS_1", "KU_RECH_STR", "KU_RECH_PLZ",
              "KU_RECH_ORT", "KU_NORM_Z_KOND", "KU_BESTAETIGUNG_EMAIL_01", "KU_SPRACHE",
              "KU_ANLAGE_DATUM"]  # fmt: skip


def test_a_german_erp_table_places_all_seven_placeable_columns(cli, tmp_path: Path) -> None:
    rows = [ERP_HEADER] + [
        [f"{10000 + n}", f"Müller & Söhne {n} GmbH", "z. Hd. Einkauf" if n % 2 else "",
         f"Hauptstr. {n}", f"{20095 + n}", "Hamburg", "14 Tage netto", f"bestellung{n}@mueller.de",
         "DE", f"2019-0{n}-01"]
        for n in range(1, 9)
    ]  # fmt: skip
    source = write_csv(tmp_path / "KUNDEN.csv", rows, sep=";", encoding="cp1252")
    mapping, commented, out = run_map(cli, source, tmp_path / "kunden.toml")

    assert properties(mapping) == {
        "KU_NUM": "customerNumber",
        "KU_RECH_NAM": "name",
        "KU_RECH_STR": "address",
        "KU_RECH_PLZ": "zip",
        "KU_RECH_ORT": "city",
        "KU_NORM_Z_KOND": "paymentTerms.paymentTermsNumber",
        "KU_BESTAETIGUNG_EMAIL_01": "email",
    }
    assert mapping.key == "KU_NUM"
    assert set(commented) == {"KU_RECH_ZUS_1", "KU_SPRACHE", "KU_ANLAGE_DATUM"}
    # The words after the shared prefix KU, through the abbreviations (NAM = Name).
    assert "header 'KU_RECH_NAM' ~ name (property name 'name', 95)" in out
    assert "header 'KU_RECH_PLZ' ~ zip (synonym 'PLZ', 95)" in out


NAVISION_HEADER = ["No_", "Name", "Search Name", "Name 2", "Address", "Address 2", "City",
                   "Contact", "Phone No_", "Customer Posting Group", "Currency Code",
                   "Payment Terms Code", "Country_Region Code", "Fax No_",
                   "VAT Registration No_", "Post Code", "E-Mail", "Home Page",
                   "VAT Bus_ Posting Group", "Credit Limit (LCY)", "Language Code"]  # fmt: skip


def test_navision_field_names_and_its_no_as_the_key(cli, tmp_path: Path) -> None:
    rows: list[list[object]] = [NAVISION_HEADER]
    for n in range(1, 11):
        rows.append([
            f"C{10000 + 10 * n}", f"Cronus {n} A/S", f"CRONUS {n}", "", f"Kongevejen {n}", "",
            "Lyngby", "Anna Berg", f"+45 45 87 {n:02d} 00", "INDLAND", "", "14 DAGE", "DK",
            f"+45 45 87 {n:02d} 01", f"DK{27000000 + n}", f"{2800 + n}", f"ordre{n}@cronus.dk",
            f"www.cronus{n}.dk", "DOMESTIC", 10000 * n, "DAN",
        ])  # fmt: skip
    source = write_xlsx(tmp_path / "Customer.xlsx", rows, sheet="Customer")
    mapping, commented, out = run_map(cli, source, tmp_path / "nav.toml")

    assert properties(mapping) == {
        "Name": "name",
        "Address": "address",
        "City": "city",
        "Phone No_": "telephoneAndFaxNumber",
        "Customer Posting Group": "customerGroup.customerGroupNumber",
        "Payment Terms Code": "paymentTerms.paymentTermsNumber",
        "Country_Region Code": "country",
        "VAT Registration No_": "vatNumber",
        "Post Code": "zip",
        "E-Mail": "email",
        "Home Page": "website",
        "VAT Bus_ Posting Group": "vatZone.vatZoneNumber",
        "Credit Limit (LCY)": "creditLimit",
    }
    # No_ holds C10010-style codes: not a customer number, but unique and filled: the key.
    assert mapping.key == "No_"
    assert "its header names the customerNumber, but the values are id codes" in out
    assert mapping.match == ("email",)  # no CVR column; the e-mails are unique
    assert set(commented) == {"Search Name", "Name 2", "Address 2", "Contact", "Fax No_",
                              "Currency Code", "Language Code"}  # fmt: skip
    # An empty column for a required property is named, but not placed.
    assert commented["Currency Code"].startswith("every sampled cell is empty, and currency")
    # "DOMESTIC" is the standard name of VAT zone 1.
    assert next(r for r in mapping.rules if r.source == "VAT Bus_ Posting Group").values == {
        "DOMESTIC": "1"
    }


SAP_HEADER = ["CardCode", "CardName", "CardType", "Address", "ZipCode", "City", "Country",
              "Phone1", "Phone2", "E_Mail", "IntrntSite", "LicTradNum", "GroupCode",
              "Currency", "CreditLine", "frozenFor"]  # fmt: skip


def test_sap_business_one_ocrd_fields(cli, tmp_path: Path) -> None:
    rows = [SAP_HEADER] + [
        [f"C{20000 + n}", f"Fyns Værktøj {n} ApS", "C", f"Algade {n}", f"{5000 + n}", "Odense C",
         "DK", f"66 12 {n:02d} 00", f"66 12 {n:02d} 01", f"salg{n}@fynsv.dk", f"www.fynsv{n}.dk",
         f"{29000000 + n}", "1", "DKK", "25000", "N" if n != 3 else "Y"]
        for n in range(1, 9)
    ]  # fmt: skip
    source = write_csv(tmp_path / "OCRD.csv", rows)
    mapping, commented, _ = run_map(cli, source, tmp_path / "sap.toml")

    assert properties(mapping) == {
        "CardName": "name",
        "Address": "address",
        "ZipCode": "zip",
        "City": "city",
        "Country": "country",
        "Phone1": "telephoneAndFaxNumber",
        "E_Mail": "email",
        "IntrntSite": "website",
        "LicTradNum": "corporateIdentificationNumber",
        "GroupCode": "customerGroup.customerGroupNumber",
        "Currency": "currency",
        "CreditLine": "creditLimit",
        "frozenFor": "barred",
    }
    assert mapping.key == "CardCode"
    assert mapping.match == ("corporateIdentificationNumber",)
    assert set(commented) == {"CardType", "Phone2"}
    assert next(r for r in mapping.rules if r.source == "frozenFor").values == {
        "N": "false",
        "Y": "true",
    }
    dry = cli("validate", source, "--mapping", tmp_path / "sap.toml", "--report", tmp_path / "r")
    assert dry.code == 1, dry.out + dry.err  # it runs; payment terms and VAT zone are not given


def test_five_digit_postal_codes_beside_the_city_are_postal_codes(cli, tmp_path: Path) -> None:
    rows = [["Nummer", "Firma", "Feld 4", "Stadt", "Feld 6"]] + [
        [f"{n}", f"Firma {n}", f"{10115 + n}", "Berlin", f"{70000 + n}"] for n in range(1, 7)
    ]
    mapping, commented, out = run_map(cli, write_csv(tmp_path / "k.csv", rows), tmp_path / "k.toml")

    assert properties(mapping) == {"Nummer": "customerNumber", "Firma": "name", "Feld 4": "zip",
                                   "Stadt": "city"}  # fmt: skip
    assert "values look like 5-digit postal codes (e.g. '10116', '10117') beside the city " in out
    # Feld 6 is beside the city too, but the first column beside it keeps the property.
    assert commented["Feld 6"].startswith("competes with 'Feld 4' for zip")


def test_five_digit_numbers_elsewhere_are_only_numbers(cli, tmp_path: Path) -> None:
    rows = [["Navn", "Feld 2", "By"]] + [[f"Et {n}", f"{20000 + n}", "Aarhus"] for n in range(6)]
    rows = [[r[1], r[0], r[2]] for r in rows]  # the numbers first, the city two columns off
    _, commented, _ = run_map(cli, write_csv(tmp_path / "k.csv", rows), tmp_path / "k.toml")
    assert commented["Feld 2"].startswith("not placed: no header or value match (integer)")
