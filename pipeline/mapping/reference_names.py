"""The standard names of reference records, in the user's own language.

A Danish user sees the VAT zones as ``Indenlandsk``, ``EU`` and ``Udland``; the API names
them ``Domestic``, ``EU`` and ``Abroad``. Payment terms carry the agreement's own names
("Netto 14 dage"), but each has a standard type and a number of days, which people write
in their own words too ("Net 14 days", "Kontant"). The names are data, in
``reference_names.toml`` beside this module, read by ``econ-import map`` (its value maps,
``pipeline.draft``) and by ``lookup = "name"`` (``pipeline.write.references``), so a name
means the same to both.

Where the names come from: the zone numbers and their meaning are e-conomic's standard
zones ("VAT zone 1 (domestic), 2 (EU) or 3 (abroad)", shared/reference/API-FACTS.md,
from e-conomic's import guides); the API's names and the payment term types
(``paymentTermsType``: net, invoiceMonth, paidInCash, prepaid, dueDate) are those of GET
/vat-zones and GET /payment-terms (the sandbox serves the same, ``pipeline.sandbox.seed``);
the other names are the labels of e-conomic's web interface in Danish, English, German,
Swedish and Norwegian and the words accounting exports use for them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The data file (packaged with the module).
REFERENCE_NAMES_FILE = Path(__file__).with_name("reference_names.toml")
#: The languages of the table.
LANGUAGES = ("da", "en", "de", "sv", "no")
#: The collections the table knows standard names for.
VAT_ZONES = "vat-zones"
PAYMENT_TERMS = "payment-terms"

#: What days alone (``'30 dage'``) are: net days (a name of the type ``net``).
NET_DAYS_ALONE = "net"

_NOT_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class StandardName:
    """One standard record: a VAT zone (``number``, the API's ``name``) or a payment term
    type (``type``), and what people call it in each language."""

    collection: str
    names: tuple[str, ...]  # the API's name (if any) first, then da, en, de, sv, no
    number: int | None = None
    type: str | None = None

    @property
    def api_name(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class ReferenceRecord:
    """A record of a reference collection as the agreement holds it: its number, name and,
    for payment terms, its type and days of credit."""

    number: str
    name: str
    type: str | None = None
    days: int | None = None


def fold(text: str) -> str:
    """Case, spacing and punctuation folded: ``'Lb. md.'`` and ``'lb md'`` are one name."""
    return " ".join(w for w in _NOT_WORD.split(text.casefold()) if w)


def _load() -> tuple[dict[str, tuple[StandardName, ...]], frozenset[str]]:
    with REFERENCE_NAMES_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    tables: dict[str, tuple[StandardName, ...]] = {}
    for collection in (VAT_ZONES, PAYMENT_TERMS):
        entries = []
        for item in data[collection]:
            spoken = [n for language in LANGUAGES for n in item.get(language, [])]
            own = [item["name"]] if "name" in item else []
            names = tuple(dict.fromkeys(own + spoken))
            entries.append(StandardName(collection, names, item.get("number"), item.get("type")))
        tables[collection] = tuple(entries)
    days = frozenset(fold(w) for w in data["payment-terms-days"]["words"])
    return tables, days


#: Collection -> its standard records and their names.
STANDARD_NAMES, _DAY_WORDS = _load()
_BY_NAME: dict[str, dict[str, StandardName]] = {
    collection: {fold(n): entry for entry in entries for n in entry.names}
    for collection, entries in STANDARD_NAMES.items()
}


def standard_name(collection: str, value: str) -> StandardName | None:
    """The standard record ``value`` names in any of the languages, or None."""
    return _BY_NAME.get(collection, {}).get(fold(value))


def payment_terms_words(value: str) -> tuple[StandardName, int | None] | None:
    """``'Netto 14 dage'`` -> (the type ``net``, 14); ``'Kontant'`` -> (paidInCash, None).

    The number is the days of credit; the words for "days" and a ``+`` are dropped; what
    is left must be a type's name, or nothing: days alone (``'30 dage'``) are net days.
    None when it is neither.
    """
    numbers = _DIGITS.findall(value)
    if len(numbers) > 1:
        return None
    words = " ".join(w for w in fold(_DIGITS.sub(" ", value)).split() if w not in _DAY_WORDS)
    if not words and numbers:
        words = NET_DAYS_ALONE
    entry = _BY_NAME[PAYMENT_TERMS].get(words)
    if entry is None:
        return None
    return entry, int(numbers[0]) if numbers else None


def find_standard(
    collection: str, value: str, records: Sequence[ReferenceRecord]
) -> ReferenceRecord | None:
    """The agreement's record that ``value`` names by a standard name, or None.

    A VAT zone is found by any of its names among the agreement's zone names (the API's
    first). A payment term is the agreement's only term of the type the value names, with
    the days it gives (if it gives any); two such terms are no answer, never a guess.
    """
    if collection == VAT_ZONES:
        entry = standard_name(collection, value)
        if entry is None:
            return None
        by_name = {fold(r.name): r for r in records}
        return next((by_name[fold(n)] for n in entry.names if fold(n) in by_name), None)
    if collection == PAYMENT_TERMS:
        parsed = payment_terms_words(value)
        if parsed is None:
            return None
        entry, days = parsed
        found = [r for r in records if r.type == entry.type and days in (None, r.days)]
        return found[0] if len(found) == 1 else None
    return None


def standard_numbers(collection: str, values: Iterable[str]) -> dict[str, int] | None:
    """Each value's standard number, when every value is a standard name of a record with
    a fixed number (VAT zones), else None: ``{"Indenlandsk": 1, "EU": 2, "Udland": 3}``."""
    out: dict[str, int] = {}
    for value in values:
        entry = standard_name(collection, value)
        if entry is None or entry.number is None:
            return None
        out[value] = entry.number
    return out or None


def reference_record(
    item: Mapping[str, Any], *, number_property: str, name_property: str = "name"
) -> ReferenceRecord | None:
    """A collection item as a ``ReferenceRecord`` (None without a number or a name)."""
    number, name = item.get(number_property), item.get(name_property)
    if number is None or not isinstance(name, str):
        return None
    days = item.get("daysOfCredit")
    kind = item.get("paymentTermsType")
    return ReferenceRecord(
        str(number),
        name,
        kind if isinstance(kind, str) else None,
        days if isinstance(days, int) and not isinstance(days, bool) else None,
    )
