"""samples/legacy-erp.xlsx: a whole migration (groups, customers, contacts, delivery locations).

Customers carry a legacy source key (``Kundekode`` "C-000123"); contacts and delivery
locations point at their customer by that key (``customer.key``), a few contacts by customer
number instead. Written by ``samples/generate.py``; the ``*_BAD`` tables say which rows are
broken on purpose and how.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

try:
    from samples.danish import FOREIGN, LEADING_ZERO_PLACES, TERMS_OF_DELIVERY, Fake, slug
    from samples.generate import HERE, LONG_NOTE, TLD, numeric, save_workbook, write_sheet
except ImportError:  # run as a script: samples/ itself is on sys.path
    from danish import FOREIGN, LEADING_ZERO_PLACES, TERMS_OF_DELIVERY, Fake, slug  # type: ignore
    from generate import HERE, LONG_NOTE, TLD, numeric, save_workbook, write_sheet  # type: ignore

GROUPS = [
    (10, "Grossister", 5600),
    (11, "Detail", 5610),
    (12, "Offentlige", 5620),
    (13, "Eksport EU", 5630),
    (14, "Eksport øvrige", 5640),
    # invalid: name maxLength 50
    (15, "Kunder med særlige betalingsaftaler og individuelle rabatter (udgået)", 5650),
]
GROUP_HEADERS = ["Gruppenr", "Gruppenavn", "Samlekonto"]
# fmt: off
CUSTOMER_HEADERS = [
    "Kundekode", "Kundenr", "Firmanavn", "Adresse", "Postnr", "By", "Land", "Telefon", "Mobil",
    "Email", "Hjemmeside", "CVR", "Momsnr", "EAN", "Kundegruppe", "Betalingsbetingelse",
    "Momszone", "Valuta", "Kreditgrænse", "Spærret", "Sælger",
    # Links to the customer's own contacts and delivery locations, by their source keys
    # (issue #14); set by the importer after the children's steps.
    "Hovedkontakt", "Att.", "Standard levering",
]
CONTACT_HEADERS = [
    "Kontaktnr", "Kundekode", "Kundenr", "Navn", "Email", "Telefon", "Notifikationer",
    "Bemærkning",
]
LOCATION_HEADERS = [
    "Leveringskode", "Kundekode", "Adresse", "Postnr", "By", "Land", "Leveringsbetingelser",
    "Sortering", "Spærret",
]
# fmt: on
MANY_MAILS = "; ".join(f"bogholderi{i}@hansen-toemrer-og-snedker.dk" for i in range(7))

#: Customers: number -> changes.
CUSTOMERS_BAD: dict[int, dict[str, Any]] = {
    10013: {"Betalingsbetingelse": "Netto 45 dage"},  # row error: no payment terms by that name
    10027: {"Firmanavn": None},  # invalid: name required
    10041: {"Kundenr": "10O41"},  # invalid: not a whole number (letter O)
    10058: {"Valuta": "EURO"},  # invalid: currency maxLength 3
    10072: {"Kundegruppe": 99},  # rejected: E07140 CustomerGroup '99'
    10089: {"Email": MANY_MAILS},  # invalid: email maxLength 255
}
FORCED_COUNTRY = {10058: "Tyskland"}
SKIPPED_CONTACT_PARENT, SKIPPED_LOCATION_PARENT = 10027, 10072
#: Contacts: row index (0-based, in the sheet) -> changes.
CONTACTS_BAD: dict[int, dict[str, Any]] = {
    14: {"Navn": None},  # invalid: name required
    61: {"Navn": "Mette Hansen, bogholder - " + LONG_NOTE},  # invalid: name maxLength 255
    118: {"Email": MANY_MAILS},  # invalid: email maxLength 255
    177: {"Notifikationer": "newsletters"},  # invalid: not in the enum
    236: {"Kundekode": "<parent>"},  # skipped: parent customer invalid
    290: {"Kundekode": "C-999999"},  # row error: unknown customer key
}
#: Delivery locations: row index -> changes.
LOCATIONS_BAD: dict[int, dict[str, Any]] = {
    9: {"Postnr": "8000 Aarhus C, Postboks 1234"},  # invalid: postalCode maxLength 15
    33: {"Leveringsbetingelser": "Leveres ved bagdøren. " + LONG_NOTE[:120]},  # invalid: > 100
    57: {"Sortering": 0},  # invalid: sortKey minimum 1
    80: {"Kundekode": "<parent>"},  # skipped: parent customer rejected
    101: {"Spærret": "måske"},  # invalid: not a boolean
}
PAYMENT_NAMES = ("Netto 8 dage", "Netto 14 dage", "Netto 30 dage", "Netto 30 dage", "Kontant")


def erp_customer(fake: Fake, number: int, key: str) -> dict[str, Any]:
    r = fake.rng
    roll = r.random()
    country = FORCED_COUNTRY.get(number) or (
        "Danmark" if roll < 0.8 else r.choice(("Sverige", "Tyskland")) if roll < 0.92 else "Norge"
    )
    group = (
        (13 if FOREIGN[country][0] == 2 else 14)
        if country != "Danmark"
        else (12 if roll < 0.1 else r.choice((10, 11, 11)))
    )
    row: dict[str, Any] = {
        "Kundekode": key,
        "Kundenr": number,
        "Kundegruppe": group,
        "Spærret": r.choice(("nej",) * 8 + ("ja", None)),
        "Sælger": r.choice((1, 2, 3, None)),
        "Kreditgrænse": fake.credit(),
    }
    if country == "Danmark":
        name, (zip_, city) = fake.company(), fake.place()
        cvr = fake.cvr()
        row.update(
            Firmanavn=name,
            Adresse=fake.street(),
            Postnr=numeric(zip_),
            By=city,
            Telefon=fake.phone(),
            Momszone=1,
            Valuta=r.choice(("DKK",) * 9 + ("dkk",)),
            CVR=r.choice((int(cvr), f"{cvr[:2]} {cvr[2:4]} {cvr[4:6]} {cvr[6:]}", "DK" + cvr)),
            Mobil=numeric(fake.digits(8, "2")) if r.random() < 0.3 else None,
            Betalingsbetingelse="Løbende måned + 30 dage"
            if group == 12
            else r.choice(PAYMENT_NAMES),
        )
        if group == 12:
            row["EAN"] = fake.ean()
    else:
        f = fake.foreign(country)
        name = fake.foreign_company(country)
        row.update(
            Firmanavn=name,
            Adresse=f["address"],
            Postnr=f["zip"],
            By=f["city"],
            Land=country,
            Momsnr=f["vat"],
            Momszone=f["zone"],
            Valuta=f["currency"],
            Betalingsbetingelse=r.choice(("Netto 14 dage", "Netto 30 dage")),
        )
    domain = f"{slug(name)}.{TLD[country]}"
    row["Email"] = f"{r.choice(('info', 'kontakt', 'faktura'))}@{domain}"
    row["Hjemmeside"] = f"https://www.{domain}" if r.random() < 0.4 else None
    row["_domain"], row["_country"] = domain, country
    return row


def children(fake: Fake, parents: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` parents drawn with replacement, in sheet order (as an ERP would list them)."""
    picked = sorted(fake.rng.choices(range(len(parents)), k=count))
    return [parents[i] for i in picked]


def contact(fake: Fake, n: int, parent: dict[str, Any]) -> dict[str, Any]:
    r = fake.rng
    first, last = fake.person().split(" ", 1)
    mail = f"{slug(first)}.{slug(last)}"
    return {
        "Kontaktnr": f"KT-{n:05d}",
        "Kundekode": parent["Kundekode"],
        "Navn": f"{first} {last}",
        "Email": f"{mail}@{parent['_domain']}",
        "Telefon": fake.phone(),
        "Notifikationer": r.choice(
            (None, None, None, "invoices", "invoices", "invoices,reminders", "orders;quotations")
        ),
        "Bemærkning": r.choice(
            (
                None,
                None,
                "Bogholderi",
                "Indkøbschef",
                "Direktør",
                "Lagerchef",
                "Træffes bedst før kl. 12",
            )
        ),
    }


def location(fake: Fake, n: int, parent: dict[str, Any], sort_key: int) -> dict[str, Any]:
    r = fake.rng
    country = parent["_country"]
    if country == "Danmark":
        zip_, city = fake.place()
        address, zip_ = fake.street(), numeric(zip_)
    else:
        f = fake.foreign(country)
        address, zip_, city = f["address"], f["zip"], f["city"]
    return {
        "Leveringskode": f"LV-{n:04d}",
        "Kundekode": parent["Kundekode"],
        "Adresse": address,
        "Postnr": zip_,
        "By": city,
        "Land": country,
        "Sortering": sort_key,
        "Leveringsbetingelser": r.choice((*TERMS_OF_DELIVERY, None, None)),
        "Spærret": r.choice(("nej", "nej", "nej", "ja", None)),
    }


def write_legacy_erp(fake: Fake) -> None:
    """Write samples/legacy-erp.xlsx."""
    r = fake.rng
    keys = sorted(r.sample(range(100, 99999), 220))
    custs = [erp_customer(fake, 10001 + i, f"C-{k:06d}") for i, k in enumerate(keys)]
    for i, place in ((30, LEADING_ZERO_PLACES[0]), (95, LEADING_ZERO_PLACES[1])):
        if custs[i]["_country"] == "Danmark":
            custs[i]["Postnr"], custs[i]["By"] = place
    for row in custs:
        row.update(CUSTOMERS_BAD.get(row["Kundenr"], {}))
    by_number = {10001 + i: row for i, row in enumerate(custs)}
    good = [row for n, row in by_number.items() if n not in CUSTOMERS_BAD]

    contacts = [contact(fake, i + 1, p) for i, p in enumerate(children(fake, good, 320))]
    plain = [i for i in range(320) if i not in CONTACTS_BAD]
    for i in r.sample(plain, 20):  # these point at their customer by number instead
        parent = next(p for p in good if p["Kundekode"] == contacts[i]["Kundekode"])
        contacts[i]["Kundenr"], contacts[i]["Kundekode"] = parent["Kundenr"], None
    apply_bad(contacts, CONTACTS_BAD, by_number[SKIPPED_CONTACT_PARENT]["Kundekode"])

    locations: list[dict[str, Any]] = []
    seen: dict[str, int] = {}  # sortKey counts per customer
    for i, parent in enumerate(children(fake, good, 110)):
        seen[parent["Kundekode"]] = seen.get(parent["Kundekode"], 0) + 1
        locations.append(location(fake, i + 1, parent, seen[parent["Kundekode"]]))
    apply_bad(locations, LOCATIONS_BAD, by_number[SKIPPED_LOCATION_PARENT]["Kundekode"])
    add_links(good, contacts, locations)

    wb = Workbook()
    wb.remove(wb.worksheets[0])
    write_sheet(
        wb,
        "CustomerGroups",
        GROUP_HEADERS,
        [dict(zip(GROUP_HEADERS, g, strict=True)) for g in GROUPS],
    )
    write_sheet(wb, "Customers", CUSTOMER_HEADERS, custs)
    write_sheet(wb, "Contacts", CONTACT_HEADERS, contacts)
    write_sheet(wb, "DeliveryLocations", LOCATION_HEADERS, locations)
    save_workbook(wb, HERE / "legacy-erp.xlsx")


#: Every this-many-th customer with children has no links: not every ERP record has them.
UNLINKED_EVERY = 10
#: The contact row (0-based) a customer names as its attention although it is invalid
#: (CONTACTS_BAD): that customer's links fail, as a row error, on purpose.
BAD_ATTENTION_CONTACT = 14


def add_links(
    good: list[dict[str, Any]], contacts: list[dict[str, Any]], locations: list[dict[str, Any]]
) -> None:
    """Main contact, attention and default delivery location for most customers, by the
    children's source keys: the first good contact, the second (else the first), and the
    first good location. Deterministic and without the random generator, so the rest of
    the sample stays as it was."""
    key_of = {row["Kundenr"]: row["Kundekode"] for row in good}
    owned: dict[str, list[str]] = {}
    for i, row in enumerate(contacts):
        owner = row["Kundekode"] or key_of.get(row["Kundenr"])
        if owner and i not in CONTACTS_BAD:
            owned.setdefault(owner, []).append(row["Kontaktnr"])
    places: dict[str, list[str]] = {}
    for i, row in enumerate(locations):
        if i not in LOCATIONS_BAD:
            places.setdefault(row["Kundekode"], []).append(row["Leveringskode"])
    linked = [row for row in good if row["Kundekode"] in owned or row["Kundekode"] in places]
    for n, row in enumerate(linked):
        if n % UNLINKED_EVERY == UNLINKED_EVERY - 1:
            continue
        mine, where = owned.get(row["Kundekode"], []), places.get(row["Kundekode"], [])
        if mine:
            row["Hovedkontakt"], row["Att."] = mine[0], mine[1] if len(mine) > 1 else mine[0]
        if where:
            row["Standard levering"] = where[0]
    bad = contacts[BAD_ATTENTION_CONTACT]
    owner = next(row for row in good if row["Kundekode"] == bad["Kundekode"])
    owner["Att."] = bad["Kontaktnr"]


def apply_bad(rows: list[dict[str, Any]], bad: dict[int, dict[str, Any]], parent_key: str) -> None:
    """Break the rows named in ``bad``; ``"<parent>"`` stands for a bad customer's key."""
    for index, changes in bad.items():
        rows[index].update({k: parent_key if v == "<parent>" else v for k, v in changes.items()})
