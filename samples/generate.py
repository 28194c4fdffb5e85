"""(Re)write every sample input under samples/, deterministically.

    .venv/bin/python samples/generate.py

- customers.csv       60 customers (1001-1060), UTF-8, comma; mappings/customers.toml
- legacy-export.csv   40 customers (2001-2040), Windows-1252, semicolon, Danish headers and
                      number format; mappings/legacy-export.toml
- customers.xlsx      sheet "Kunder", 30 customers (3001-3030), numeric and text cells
- legacy-erp.xlsx     a whole migration: CustomerGroups, Customers, Contacts,
                      DeliveryLocations; mappings/legacy-erp.toml (a job file)

The deliberately bad rows sit at fixed places (the ``*_BAD`` tables below say which and
why), so tests and the demo can name them.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

try:
    from samples.danish import Fake, slug
except ImportError:  # run as a script: samples/ itself is on sys.path
    from danish import Fake, slug  # type: ignore

SEED = 4711
HERE = Path(__file__).resolve().parent
# fmt: off
HEADERS = ["CustomerNo", "Name", "Address", "Zip", "City", "Country", "Email", "Phone", "CVR",
           "EAN", "Currency", "Group", "PaymentTerms", "VatZone", "CreditLimit", "Website"]
# fmt: on
TLD = {"Danmark": "dk", "Sverige": "se", "Tyskland": "de", "Norge": "no"}
DIAL = {"Sverige": "+46 40", "Tyskland": "+49 461", "Norge": "+47 22"}
LONG_NOTE = "Kunden ønsker faktura pr. e-mail og papir; ring altid før levering. " * 5

#: customers.csv: number -> changes. Valid oddities first, then the bad rows.
CSV_SPECIAL: dict[int, dict[str, Any]] = {
    1004: {"Zip": "0800", "City": "Høje Taastrup"},  # leading zero, valid
    1008: {"Address": "Industrivej 12, Port 3\nBygning B"},  # comma + newline, valid
    1012: {"Name": '=HYPERLINK("http://example.com","Klik her")'},  # formula-like, valid
    1015: {"Name": ""},  # invalid: name required
    1019: {"Currency": "DK"},  # invalid: currency minLength 3
    1023: {"CustomerNo": "abc"},  # invalid: not a whole number
    1027: {"CustomerNo": "0"},  # invalid: customerNumber minimum 1
    1031: {"EAN": "57900012345678"},  # invalid: ean maxLength 13 (14 digits)
    1036: {"CustomerNo": "1035"},  # invalid: duplicate of the row before
    1040: {"PaymentTerms": ""},  # invalid: paymentTerms required
    1044: {"Group": 9},  # rejected: E07140 CustomerGroup '9' not found
    1048: {"PaymentTerms": 47},  # rejected: E07080 PaymentTerms '47' not found
}
CSV_FOREIGN = {
    1005: "Sverige",
    1017: "Tyskland",
    1029: "Norge",
    1038: "Tyskland",
    1046: "Sverige",
    1053: "Tyskland",
    1057: "Norge",
}
LEGACY_TERMS = {1: "Netto 8", 2: "Netto 14", 3: "Netto 30", 4: "Løbende måned + 30"}
LEGACY_ZONES = {1: "Indland", 2: "EU", 3: "Udland"}
LEGACY_FOREIGN = {2011: "Sverige", 2022: "Tyskland", 2037: "Norge"}
LEGACY_SPECIAL: dict[int, dict[str, Any]] = {
    2007: {"Betalingsbetingelse": "Netto 60"},  # invalid: no value-map entry -> not a number
    2015: {"Postnr": "8000 Aarhus C, Postboks 4711 att. Bogholderiet"},  # invalid: zip > 30
    2026: {"Valuta": ""},  # invalid: currency required
    2033: {"Momszone": "Grønland"},  # invalid: no value-map entry -> not a number
}
XLSX_FOREIGN = {3012: "Tyskland", 3020: "Sverige"}
XLSX_SPECIAL: dict[int, dict[str, Any]] = {
    3006: {"Zip": "0555", "City": "Scanning"},  # leading zero kept as a text cell, valid
    3009: {"Name": "Ejendomsservice Vest ApS - " + LONG_NOTE},  # invalid: name > 255
    3017: {"VatZone": "Indland"},  # invalid: vatZone not a whole number
    3024: {"CustomerNo": 1234567890},  # invalid: customerNumber > 999999999
}


def customer(fake: Fake, number: int, country: str = "Danmark") -> dict[str, Any]:
    """One customer in customers.csv terms, with Python values (numbers stay numbers)."""
    r = fake.rng
    if country == "Danmark":
        name, address, (zip_, city) = fake.company(), fake.street(), fake.place()
        currency, group, zone, cvr, phone = (
            "DKK",
            1,
            r.choice((1,) * 9 + (4,)),
            fake.cvr(),
            fake.phone(),
        )
        ean = fake.ean() if r.random() < 0.2 else ""
    else:
        f = fake.foreign(country)
        name, address, zip_, city = fake.foreign_company(country), f["address"], f["zip"], f["city"]
        currency, group, zone, ean = f["currency"], 2, f["zone"], ""
        cvr = f["vat"] if r.random() < 0.7 else ""
        phone = f"{DIAL[country]} {r.randint(100000, 999999)}"
    domain = f"{slug(name)}.{TLD[country]}"
    mailbox = r.choice(("info", "kontakt", "bogholderi", "faktura"))
    return {
        "CustomerNo": number,
        "Name": name,
        "Address": address,
        "Zip": zip_,
        "City": city,
        "Country": country,
        "Email": f"{mailbox}@{domain}",
        "Phone": phone,
        "CVR": cvr,
        "EAN": ean,
        "Currency": currency,
        "Group": group,
        "PaymentTerms": r.choice((1, 2, 3, 3, 3, 4, 5)) if country == "Danmark" else 3,
        "VatZone": zone,
        "CreditLimit": fake.credit(),
        "Website": f"www.{domain}" if r.random() < 0.5 else "",
        "_domain": domain,
    }


def customers(
    fake: Fake, numbers: range, foreign: dict[int, str], special: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = [customer(fake, n, foreign.get(n, "Danmark")) for n in numbers]
    for row, n in zip(rows, numbers, strict=True):
        row.update(special.get(n, {}))
    return rows


def write_customers_csv(fake: Fake) -> None:
    rows = customers(fake, range(1001, 1061), CSV_FOREIGN, CSV_SPECIAL)
    for i, row in enumerate(rows):
        if isinstance(row["CreditLimit"], int):
            row["CreditLimit"] = f"{row['CreditLimit']}.00" if i % 2 else str(row["CreditLimit"])
    rows[20]["CreditLimit"] = "12500.50"
    with (HERE / "customers.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, HEADERS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)


def danish_amount(value: int | None) -> str:
    """``25000`` -> ``"25.000,00"`` (decimal comma, thousands dots)."""
    if value is None:
        return ""
    return f"{value:,.2f}".replace(",", "#").replace(".", ",").replace("#", ".")


def write_legacy_csv(fake: Fake) -> None:
    headers = (
        "Kundenr;Navn;Adresse;Postnr;By;Land;Telefon;Email;CVR;Betalingsbetingelse;"
        "Momszone;Valuta;Kreditmax"
    )
    rows = []
    for row in customers(fake, range(2001, 2041), LEGACY_FOREIGN, {}):
        terms = fake.rng.choice((1, 2, 3, 3, 4)) if row["Country"] == "Danmark" else 3
        values = [
            row["CustomerNo"],
            row["Name"],
            row["Address"],
            row["Zip"],
            row["City"],
            row["Country"],
            row["Phone"],
            row["Email"],
            row["CVR"],
            LEGACY_TERMS[terms],
            LEGACY_ZONES.get(row["VatZone"], "Indland"),
            row["Currency"],
            danish_amount(row["CreditLimit"]),
        ]
        named = dict(zip(headers.split(";"), values, strict=True))
        named.update(LEGACY_SPECIAL.get(row["CustomerNo"], {}))
        rows.append(named)
    rows[4]["Kreditmax"] = "7.500,50"
    with (HERE / "legacy-export.csv").open("w", encoding="cp1252", newline="") as out:
        writer = csv.DictWriter(out, headers.split(";"), delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def numeric(text: Any) -> Any:
    """A digits-only text as an int cell, unless a leading zero would be lost."""
    if isinstance(text, str) and text.isdigit() and not text.startswith("0"):
        return int(text)
    return text


def write_sheet(wb: Workbook, title: str, headers: list[str], rows: list[dict[str, Any]]) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for row in rows:
        ws.append([None if row.get(h) in ("", None) else row.get(h) for h in headers])


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps, so that the same seed gives byte-identical files."""
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", data)
            dst.writestr(
                zipfile.ZipInfo(item.filename, (2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
            )


def write_customers_xlsx(fake: Fake) -> None:
    rows = customers(fake, range(3001, 3031), XLSX_FOREIGN, XLSX_SPECIAL)
    for i, row in enumerate(rows):
        if i % 2 == 0 and row["Country"] == "Danmark":  # numeric cells in every other row
            row["Phone"] = "".join(c for c in str(row["Phone"]) if c.isdigit())[-8:]
            for col in ("Zip", "CVR", "EAN", "Phone"):
                row[col] = numeric(row[col])
        elif row["CustomerNo"] == 3001 + i:
            row["CustomerNo"] = str(row["CustomerNo"])  # a text cell
    rows[3]["CreditLimit"], rows[4]["CreditLimit"] = 50000, 12500.5
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    write_sheet(wb, "Kunder", HEADERS, rows)
    save_workbook(wb, HERE / "customers.xlsx")


if __name__ == "__main__":
    try:
        from samples.erp import write_legacy_erp
    except ImportError:
        from erp import write_legacy_erp  # type: ignore
    for write in (write_customers_csv, write_legacy_csv, write_customers_xlsx, write_legacy_erp):
        write(Fake(random.Random(f"{SEED}-{write.__name__}")))
    print(
        "wrote",
        ", ".join(p.name for p in sorted(HERE.glob("*.[cx]*")) if p.suffix in (".csv", ".xlsx")),
    )
