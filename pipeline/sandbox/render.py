"""Stored records as the live API shows them: ``self`` links on the resource and on every
reference object, and the convenience links of spec/001 (contacts, deliveryLocations,
templates, totals, invoices on a customer; customers on a customer group)."""

from __future__ import annotations

from typing import Any

from pipeline.constraints import CUSTOMERS, LAYOUT_REF
from pipeline.sandbox.seed import ReadOnlyCollection
from pipeline.sandbox.validation import SUB_REFERENCES

Record = dict[str, Any]

# (object, number property, collection path) of every reference a customer can hold; the
# contacts and delivery location live under the customer itself.
_CUSTOMER_REFS = tuple((r.object, r.number_property, r.collection) for r in CUSTOMERS.references)
_CUSTOMER_OWN_REFS = tuple(
    (r.object, r.number_property, r.collection) for r in SUB_REFERENCES["customers"]
)


def _link(record: Record, obj: str, prop: str, base: str) -> None:
    ref = record.get(obj)
    if isinstance(ref, dict) and prop in ref:
        record[obj] = {prop: ref[prop], "self": f"{base}/{ref[prop]}"}


def customer(record: Record, base: str) -> Record:
    """A customer as ``GET /customers/:customerNumber`` returns it."""
    out = dict(record)
    me = f"{base}/customers/{record['customerNumber']}"
    for obj, prop, collection in _CUSTOMER_REFS:
        _link(out, obj, prop, f"{base}/{collection}")
    for obj, prop, collection in _CUSTOMER_OWN_REFS:
        _link(out, obj, prop, f"{me}/{collection}")
    out["contacts"] = f"{me}/contacts"
    out["deliveryLocations"] = f"{me}/delivery-locations"
    out["templates"] = {
        "invoice": f"{me}/templates/invoice",
        "invoiceLine": f"{me}/templates/invoiceline",
        "self": f"{me}/templates",
    }
    out["totals"] = totals(record, base)
    out["invoices"] = {
        "booked": f"{me}/invoices/booked",
        "drafts": f"{me}/invoices/drafts",
        "self": f"{me}/invoices",
    }
    out["self"] = me
    return out


def totals(record: Record, base: str) -> Record:
    """``GET /customers/:customerNumber/totals`` (spec/001: booked, drafts, self)."""
    me = f"{base}/customers/{record['customerNumber']}/totals"
    return {"booked": f"{me}/booked", "drafts": f"{me}/drafts", "self": me}


def customer_group(record: Record, base: str) -> Record:
    """A customer group as ``GET /customer-groups/:customerGroupNumber`` returns it."""
    out = dict(record)
    me = f"{base}/customer-groups/{record['customerGroupNumber']}"
    _link(out, "account", "accountNumber", f"{base}/accounts")
    _link(out, LAYOUT_REF.object, LAYOUT_REF.number_property, f"{base}/{LAYOUT_REF.collection}")
    out["customers"] = f"{me}/customers"
    out["self"] = me
    return out


def _child(record: Record, base: str, collection: str, key: str) -> Record:
    out = dict(record)
    owner = f"{base}/customers/{record['customer']['customerNumber']}"
    out["customer"] = {**record["customer"], "self": owner}
    out["self"] = f"{owner}/{collection}/{record[key]}"
    return out


def contact(record: Record, base: str) -> Record:
    """A contact as ``GET /customers/:n/contacts/:contactNumber`` returns it."""
    return _child(record, base, "contacts", "customerContactNumber")


def delivery_location(record: Record, base: str) -> Record:
    """A delivery location as ``GET /customers/:n/delivery-locations/:n`` returns it."""
    return _child(record, base, "delivery-locations", "deliveryLocationNumber")


def seeded(record: Record, base: str, collection: ReadOnlyCollection) -> Record:
    """An item of a read-only collection (payment terms, VAT zones, layouts, employees)."""
    return {**record, "self": f"{base}/{collection.path}/{record[collection.key]}"}
