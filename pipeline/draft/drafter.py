"""``econ-import map``: draft a mapping from a file's headers and values.

Each column is placed on a property by its header (``pipeline.mapping.headers``: the synonym
table, fuzzy-matched, its words and abbreviations, without the prefix most headers
share) or, when the header says nothing, by its values (``pipeline.draft.profile``: CVR,
EAN, postal codes, e-mails, web addresses, phone numbers; five-digit numbers beside the
city column are postal codes too). A column whose sampled cells are all empty is placed
by its header alone, below any filled column for the same property.
The values then shape the rule: Danish-style numbers get ``decimal-comma``, yes/no words
a value map to true/false; names where a reference wants a number a value map (the
standard names of ``pipeline.mapping``'s table, or, with a target, the agreement's own
names: ``pipeline.draft.values``) or else ``lookup = "name"``.
Values that cannot be the property's type leave the column unplaced, with the reason.
Two columns for one property: the better score keeps it, the other is commented. The
``key`` and the ``match`` rule: ``pipeline.draft.identity``.

``render_mapping`` (``pipeline.draft.render``) writes the draft as a normal mapping file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.constraints import ENTITIES, MAX_NUMBER, Entity, Field, Reference
from pipeline.mapping import (
    FALSE_WORDS,
    PARENT_KEY,
    TRUE_WORDS,
    HeaderMatch,
    match_header,
    match_key_header,
    shared_prefix,
    standard_numbers,
)
from pipeline.read import open_table
from pipeline.report import ERRORS_COLUMN

from .agreement import Agreement
from .identity import choose_key, propose_match
from .model import Draft, Placement
from .profile import KIND_SHARE, KINDS, ColumnProfile, profile_table
from .values import match_values

__all__ = ["Draft", "Placement", "choose_key", "draft_mapping", "place_column"]

#: What a column's values alone say it is, per entity (kind -> property path).
VALUE_PROPERTIES: dict[str, dict[str, str]] = {
    "customers": {
        "cvr": "corporateIdentificationNumber",
        "ean": "ean",
        "zip": "zip",
        "email": "email",
        "url": "website",
        "phone": "telephoneAndFaxNumber",
    },
    "contacts": {"email": "email", "phone": "phone", "ean": "eInvoiceId"},
    "delivery-locations": {"zip": "postalCode"},
    "customer-groups": {},
}
#: The score of a placement made from the values alone: below any header match.
VALUE_SCORE = 80
#: Transforms by property (the rest get ``strip`` when they are text).
TEXT_TRANSFORMS: dict[str, tuple[str, ...]] = {"name": ("strip", "collapse-spaces")}


#: What an empty column's header match costs: any filled column for the property wins.
EMPTY_COST = 50
EMPTY_REASON = "every sampled cell is empty: placed by the header alone"


def draft_mapping(
    path: Path, *, entity: str, sheet: str | None = None, agreement: Agreement | None = None
) -> Draft:
    """Read ``path`` (its header and first rows) and draft a mapping onto ``entity``;
    with ``agreement`` (``read_agreement``), reference values are matched to its names."""
    target = ENTITIES[entity]
    table = open_table(path, sheet=sheet)
    # An errors file of an earlier report: its trailing ``errors`` column is the report's.
    profiles = [p for p in profile_table(table) if p.header != ERRORS_COLUMN]
    prefix = shared_prefix([p.header for p in profiles])
    placed = [place_column(target, p, prefix=prefix, agreement=agreement) for p in profiles]
    placements = resolve_competition(_postal_codes_beside_city(target, profiles, placed))
    key, key_reason = choose_key(target, profiles, placements, prefix=prefix)
    fed = {p.property for p in placements if p.placed}
    if PARENT_KEY in fed and target.parent_path:
        fed.add(target.parent_path)  # a child's customer, by its source key
    missing = tuple(p for p in target.required_paths() if p not in fed)
    columns = {str(p.property): p.column for p in placements if p.placed}
    match, match_reason = propose_match(target, profiles, columns)
    rows = profiles[0].rows if profiles else 0
    return Draft(target, Path(path), table.sheet, rows, key, key_reason, tuple(placements),
                 missing, match, match_reason,
                 agreement.base_url if agreement else "")  # fmt: skip


def place_column(
    target: Entity,
    profile: ColumnProfile,
    *,
    prefix: str | None = None,
    agreement: Agreement | None = None,
) -> Placement:
    """Where one column goes, by its header first and its values second."""
    column = profile.header
    match = match_header(target.name, column, prefix=prefix)
    if profile.kind == "empty":
        if match is None:
            return Placement(column, None, comment="not placed: every sampled cell is empty")
        why = (match.describe(column), EMPTY_REASON)
        path = match.property
        f = target.field(path)
        transforms = ("strip",) if f is None or f.type == "string" else ()
        placement = Placement(column, path, match.score - EMPTY_COST, why, transforms)
        parent = target.parent is not None and path in (PARENT_KEY, target.parent_path)
        if parent or (f is not None and f.required and f.on_create):  # every row lacks it
            return replace(placement, comment=f"every sampled cell is empty, and {path} is "
                           "required: fill the column, or give a constant (below)")  # fmt: skip
        return placement
    if match is not None:
        return _by_header(target, profile, match, agreement)
    by_value = VALUE_PROPERTIES[target.name].get(profile.kind)
    if by_value is not None:
        placement = Placement(column, by_value, VALUE_SCORE, (profile.described(),))
        return _shaped(target, profile, placement, agreement)
    if match_key_header(target.name, column, prefix=prefix) is not None:
        return Placement(column, None, comment="not placed: a source id, not a property")
    hint = ""
    booleans = [f.path for f in target.fields if f.type == "boolean"]
    if profile.kind == "boolean" and booleans:
        hint = f"; yes/no values: perhaps {' or '.join(booleans)}"
    return Placement(
        column, None, comment=f"not placed: no header or value match ({profile.kind}){hint}"
    )


def _postal_codes_beside_city(
    target: Entity, profiles: Sequence[ColumnProfile], placements: list[Placement]
) -> list[Placement]:
    """Five-digit numbers in a column next to the city column are postal codes too."""
    zip_path = VALUE_PROPERTIES[target.name].get("zip")
    out = list(placements)
    if zip_path is None:
        return out
    for i, (profile, placement) in enumerate(zip(profiles, placements, strict=True)):
        if placement.property is not None or not profile.fits("zip5"):
            continue
        beside = [placements[j] for j in (i - 1, i + 1) if 0 <= j < len(placements)]
        city = next((p for p in beside if p.placed and p.property == "city"), None)
        if city is not None:
            why = f"{profile.described('zip5')} beside the city column '{city.column}'"
            out[i] = Placement(profile.header, zip_path, VALUE_SCORE, (why,), ("strip",))
    return out


def _by_header(
    target: Entity, profile: ColumnProfile, match: HeaderMatch, agreement: Agreement | None
) -> Placement:
    path = match.property
    reasons = [match.describe(profile.header)]
    if target.parent and path in (PARENT_KEY, target.parent_path):
        numbers = _whole_numbers(profile)
        path = (target.parent_path or PARENT_KEY) if numbers else PARENT_KEY
        why = "customer numbers" if numbers else "not numbers: the customer's source key"
        reasons.append(f"values are {why}")
    elif VALUE_PROPERTIES[target.name].get(profile.kind) == path:
        reasons.append(profile.described())
    placement = Placement(profile.header, path, match.score, tuple(reasons))
    return _shaped(target, profile, placement, agreement)


def _shaped(
    target: Entity, profile: ColumnProfile, placement: Placement, agreement: Agreement | None
) -> Placement:
    """The rule's transforms, value map and lookup from the values; or why it cannot be."""
    assert placement.property is not None
    f = target.field(placement.property)
    if f is None:  # customer.key: any text
        return replace(placement, transforms=("strip",))
    if f.type == "string":
        transforms = TEXT_TRANSFORMS.get(f.path, ("strip",))
        if f.path == "ean" and profile.kind != "ean" and _digits_fit(profile, 13):
            transforms = ("digits-only",)
        return replace(placement, transforms=transforms)
    if f.type == "integer":
        return _integer(target, f, profile, placement, agreement)
    if f.type == "number":
        return _number(profile, placement)
    if f.type == "boolean":
        booleans = profile.booleans()
        if booleans is None:
            return _unfit(placement, profile, "are not yes/no words", _is_boolean)
        words = ", ".join(booleans)
        return replace(placement, values=dict(booleans),
                       reasons=(*placement.reasons, f"yes/no values ({words})"))  # fmt: skip
    return placement


def _integer(
    target: Entity,
    f: Field,
    profile: ColumnProfile,
    placement: Placement,
    agreement: Agreement | None,
) -> Placement:
    if _whole_numbers(profile, maximum=f.maximum):
        return placement
    references = {r.path: r for r in target.references}
    if f.path in references:
        return _reference(references[f.path], profile, placement, agreement)
    return _unfit(placement, profile, "are not whole numbers", str.isdigit)


def _reference(
    ref: Reference, profile: ColumnProfile, placement: Placement, agreement: Agreement | None
) -> Placement:
    """Names where a reference wants a number: a value map to the agreement's records (with
    a target), to the standard numbers (VAT zones), else a lookup by name at import."""
    shown = ", ".join(f"'{e}'" for e in profile.examples)
    distinct = list(dict.fromkeys(profile.values))
    if agreement is not None:
        choices = match_values(ref, distinct, agreement.of(ref.collection))
        placed = {c.value: c.number for c in choices if c.number is not None}
        why = (f"values are names ({shown}): {len(placed)} of {len(choices)} matched to "
               f"/{ref.collection} of the agreement")  # fmt: skip
        return replace(
            placement,
            transforms=("strip",),  # the map's keys are the stripped cells
            values=dict(placed),
            value_notes={c.value: c.note for c in choices if c.number is not None},
            left_out=tuple((c.value, c.note) for c in choices if c.number is None),
            reasons=(*placement.reasons, why),
        )
    standard = standard_numbers(ref.collection, distinct)
    if standard is not None:
        why = f"values are standard names of /{ref.collection} ({shown}): their numbers"
        ordered = dict(sorted(standard.items(), key=lambda kv: kv[1]))
        return replace(placement, transforms=("strip",), values=dict(ordered),
                       reasons=(*placement.reasons, why))  # fmt: skip
    why = (f"values are names ({shown}): looked up by {ref.name_property} (the agreement's "
           "names, or standard names in da/en/de/sv/no)")  # fmt: skip
    return replace(placement, lookup=ref.name_property, transforms=("strip", "collapse-spaces"),
                   reasons=(*placement.reasons, why))  # fmt: skip


def _number(profile: ColumnProfile, placement: Placement) -> Placement:
    if profile.kind == "decimal-comma":
        why = f"{profile.described()}: decimal-comma"
        return replace(placement, transforms=("decimal-comma",),
                       reasons=(*placement.reasons, why))  # fmt: skip
    if profile.kind in ("integer", "decimal-point", "zip", "cvr", "ean"):
        return placement
    return _unfit(placement, profile, "are not numbers", _is_number)


def _unfit(
    placement: Placement, profile: ColumnProfile, why: str, test: Callable[[str], bool]
) -> Placement:
    shown = _misfits(profile, test)
    return replace(
        placement, comment=f"not placed on {placement.property}: the values {why} ({shown})"
    )


def _whole_numbers(profile: ColumnProfile, *, maximum: int | None = MAX_NUMBER) -> bool:
    """Whole numbers in range, bar a few stray cells (``KIND_SHARE``) left to the validator."""
    limit = MAX_NUMBER if maximum is None else maximum
    fits = sum(v.isdigit() and 0 < int(v) <= limit for v in profile.values)
    return bool(profile.values) and fits >= KIND_SHARE * len(profile.values)


def _misfits(profile: ColumnProfile, test: Callable[[str], bool]) -> str:
    """The first two distinct values that fail ``test``, quoted."""
    bad = [v for v in dict.fromkeys(profile.values) if not test(v)][:2]
    return ", ".join(f"'{v}'" for v in bad)


def _is_boolean(value: str) -> bool:
    return value.lower() in TRUE_WORDS | FALSE_WORDS


def _is_number(value: str) -> bool:
    return any(KINDS[kind][0](value) for kind in ("decimal-point", "decimal-comma"))


def _digits_fit(profile: ColumnProfile, length: int) -> bool:
    return all(sum(c.isdigit() for c in v) == length for v in profile.values)


def resolve_competition(placements: Sequence[Placement]) -> list[Placement]:
    """One column per property: the best score keeps it (the first of equals)."""
    best: dict[str, Placement] = {}
    for p in placements:
        if p.placed and p.property is not None:
            held = best.get(p.property)
            if held is None or p.score > held.score:
                best[p.property] = p
    out = []
    for p in placements:
        winner = best.get(p.property) if p.placed and p.property is not None else None
        if winner is not None and winner is not p:
            why = (
                f"competes with '{winner.column}' for {p.property} ({p.score} against "
                f"{winner.score}): a property takes one column"
            )
            if EMPTY_REASON in p.reasons:
                why += f"; {EMPTY_REASON}"
            p = replace(p, comment=why)
        out.append(p)
    return out
