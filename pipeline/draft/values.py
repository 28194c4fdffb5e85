"""Value maps for reference columns: the user's words for a payment term, VAT zone, group,
layout or employee, matched against the agreement's own names.

Without a target only the standard names can be placed (``pipeline.mapping``'s table:
``Indenlandsk`` is VAT zone 1). With one (``map --base-url`` or ``--sandbox``,
``pipeline.draft.agreement``), every distinct value is placed by, in this order: the
agreement's name itself (case and spacing folded), a standard name (``Net 14 days`` is
the agreement's one net term of 14 days), or the closest name by rapidfuzz's ``WRatio``
at ``VALUE_THRESHOLD`` or more, when no other name scores as well and the value's
numbers are the name's numbers (``14 DAGE`` is never ``Netto 30 dage``). A value none of
these place is left out of the map, with the best candidate in its comment: never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from pipeline.constraints import Reference
from pipeline.mapping import ReferenceRecord, find_standard

#: The least ``WRatio`` (0..100) at which a value is taken to name an agreement's record.
VALUE_THRESHOLD = 80

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class ValueChoice:
    """Where one distinct value goes: ``number`` and why (``note``), or None and why not."""

    value: str
    number: int | None
    note: str


def match_values(
    ref: Reference, values: Sequence[str], records: Sequence[ReferenceRecord]
) -> list[ValueChoice]:
    """A choice for each distinct value of ``values``, in the order they first appear."""
    return [match_value(ref, v, records) for v in dict.fromkeys(values)]


def match_value(ref: Reference, value: str, records: Sequence[ReferenceRecord]) -> ValueChoice:
    """Place one value on one of the agreement's ``records`` of ``ref``'s collection."""
    if not records:
        return ValueChoice(value, None, f"/{ref.collection} holds no {ref.label} to match")
    folded = _fold(value)
    for record in records:
        if _fold(record.name) == folded:
            return ValueChoice(value, int(record.number), f"= '{record.name}'")
    standard = find_standard(ref.collection, value, records)
    if standard is not None:
        return ValueChoice(value, int(standard.number), f"standard name: '{standard.name}'")
    return _closest(ref, value, records)


def _closest(ref: Reference, value: str, records: Sequence[ReferenceRecord]) -> ValueChoice:
    numbers = set(_DIGITS.findall(value))
    fitting = [r for r in records if not numbers or set(_DIGITS.findall(r.name)) == numbers]
    ranked = process.extract(
        value,
        [r.name for r in fitting],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=2,
    )
    if not ranked:
        shown = ", ".join(sorted(numbers))
        return ValueChoice(value, None, f"no {ref.label} in /{ref.collection} has the number(s) "
                                        f"{shown}: left for you to map")  # fmt: skip
    name, score, index = ranked[0][0], round(ranked[0][1]), ranked[0][2]
    if score < VALUE_THRESHOLD:
        return ValueChoice(value, None, f"no name in /{ref.collection} is close (best '{name}' "
                                        f"({score})): left for you to map")  # fmt: skip
    if len(ranked) > 1 and round(ranked[1][1]) == score:
        other = ranked[1][0]
        return ValueChoice(value, None, f"'{name}' and '{other}' score alike ({score}): left "
                                        "for you to choose")  # fmt: skip
    return ValueChoice(value, int(fitting[index].number), f"~ '{name}' ({score})")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()
