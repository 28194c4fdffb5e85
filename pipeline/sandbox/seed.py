"""A small, realistic Danish agreement: the read-only collections a customer points at, the
two customer groups every agreement starts with, and a few customers for the demo agreement.

Property names follow the live resources (slate ``_payment-terms.md``, ``_vat-zones.md``,
``_layouts.md``, ``_employees.md``). The filterable/sortable sets of these collections are the
sandbox's choice (the importer resolves names with ``filter=name$eq:...``); the customer
entities' sets come from ``pipeline.constraints``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class ReadOnlyCollection:
    """A seeded collection the sandbox serves but never changes."""

    path: str
    key: str
    items: tuple[Record, ...]
    filterable: frozenset[str]

    @property
    def sortable(self) -> frozenset[str]:
        return self.filterable


def _fields(text: str) -> frozenset[str]:
    return frozenset(text.split())


PAYMENT_TERMS = ReadOnlyCollection(
    "payment-terms",
    "paymentTermsNumber",
    (
        {
            "paymentTermsNumber": 1,
            "name": "Netto 8 dage",
            "paymentTermsType": "net",
            "daysOfCredit": 8,
        },
        {
            "paymentTermsNumber": 2,
            "name": "Netto 14 dage",
            "paymentTermsType": "net",
            "daysOfCredit": 14,
        },
        {
            "paymentTermsNumber": 3,
            "name": "Netto 30 dage",
            "paymentTermsType": "net",
            "daysOfCredit": 30,
        },
        {
            "paymentTermsNumber": 4,
            "name": "Løbende måned + 30 dage",
            "paymentTermsType": "invoiceMonth",
            "daysOfCredit": 30,
        },
        {
            "paymentTermsNumber": 5,
            "name": "Kontant",
            "paymentTermsType": "paidInCash",
            "daysOfCredit": 0,
        },
    ),
    _fields("paymentTermsNumber name paymentTermsType daysOfCredit"),
)

VAT_ZONES = ReadOnlyCollection(
    "vat-zones",
    "vatZoneNumber",
    tuple(
        {"vatZoneNumber": n, "name": name, "enabledForCustomer": True, "enabledForSupplier": True}
        for n, name in ((1, "Domestic"), (2, "EU"), (3, "Abroad"), (4, "Domestic exempt"))
    ),
    _fields("vatZoneNumber name enabledForCustomer enabledForSupplier"),
)

LAYOUTS = ReadOnlyCollection(
    "layouts",
    "layoutNumber",
    (
        {"layoutNumber": 19, "name": "Standard", "deleted": False},
        {"layoutNumber": 20, "name": "Standard med bankoplysninger", "deleted": False},
        {"layoutNumber": 21, "name": "Engelsk standard", "deleted": False},
    ),
    _fields("layoutNumber name deleted"),
)

EMPLOYEES = ReadOnlyCollection(
    "employees",
    "employeeNumber",
    (
        {
            "employeeNumber": 1,
            "name": "Mette Kjær Hansen",
            "email": "mkh@example.dk",
            "phone": "+45 33 12 34 56",
            "barred": False,
        },
        {
            "employeeNumber": 2,
            "name": "Lars Østergaard",
            "email": "lo@example.dk",
            "phone": "+45 86 12 34 56",
            "barred": False,
        },
        {
            "employeeNumber": 3,
            "name": "Søren Bæk Nielsen",
            "email": "sbn@example.dk",
            "phone": "+45 98 12 34 56",
            "barred": False,
        },
    ),
    _fields("employeeNumber name email phone barred"),
)

READ_ONLY: dict[str, ReadOnlyCollection] = {
    c.path: c for c in (PAYMENT_TERMS, VAT_ZONES, LAYOUTS, EMPLOYEES)
}

#: The numbers each read-only collection holds, for reference checks.
READ_ONLY_NUMBERS: dict[str, frozenset[int]] = {
    c.path: frozenset(item[c.key] for item in c.items) for c in READ_ONLY.values()
}


def customer_groups() -> list[Record]:
    """Customer groups 1 and 2, which every new agreement starts with."""
    return [
        {
            "customerGroupNumber": 1,
            "name": "Indenlandske kunder",
            "account": {"accountNumber": 5600},
            "layout": {"layoutNumber": 19},
        },
        {
            "customerGroupNumber": 2,
            "name": "Udenlandske kunder",
            "account": {"accountNumber": 5610},
            "layout": {"layoutNumber": 21},
        },
    ]


def demo_customers(timestamp: str) -> list[Record]:
    """A few customers so that the read-only demo agreement has something to show."""
    base = {
        "currency": "DKK",
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        "customerGroup": {"customerGroupNumber": 1},
        "balance": 0.0,
        "barred": False,
        "lastUpdated": timestamp,
    }
    return [
        {
            **base,
            "customerNumber": 1,
            "name": "Jensens Tømrerfirma ApS",
            "address": "Nørregade 12",
            "zip": "1165",
            "city": "København K",
            "country": "Danmark",
            "corporateIdentificationNumber": "12345678",
        },
        {
            **base,
            "customerNumber": 2,
            "name": "Århus Kaffebrænderi A/S",
            "address": "Søndergade 3",
            "zip": "8000",
            "city": "Aarhus C",
            "country": "Danmark",
            "paymentTerms": {"paymentTermsNumber": 3},
        },
        {
            **base,
            "customerNumber": 3,
            "name": "Nordsø Fisk GmbH",
            "currency": "EUR",
            "address": "Hafenstraße 7",
            "zip": "25761",
            "city": "Büsum",
            "country": "Tyskland",
            "vatZone": {"vatZoneNumber": 2},
            "customerGroup": {"customerGroupNumber": 2},
        },
    ]
