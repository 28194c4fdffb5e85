"""``econ-import map``: draft a mapping from a file's headers and values.

Each column is placed on a property by its header (``pipeline.mapping.headers``: the synonym
table, fuzzy-matched) or, when the header says nothing, by its values
(``pipeline.draft.profile``: CVR, EAN, postal codes, e-mails, web addresses, phone numbers).
The values then shape the rule: Danish-style numbers get ``decimal-comma``, yes/no words
a value map to true/false, names where a reference wants a number ``lookup = "name"``.
Values that cannot be the property's type leave the column unplaced, with the reason.
Two columns for one property: the better score keeps it, the other is commented. The
``key`` is the column that identifies a row in the source system: unique and never
empty, preferably one whose header reads like an id (``Kundekode``, ``Record ID``), else
the one placed on the entity's own number (``customerNumber``).

``render_mapping`` (``pipeline.draft.render``) writes the draft as a normal mapping file.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.constraints import ENTITIES, MAX_NUMBER, Entity, Field
from pipeline.mapping import (
    FALSE_WORDS,
    PARENT_KEY,
    TRUE_WORDS,
    HeaderMatch,
    match_header,
    match_key_header,
)
from pipeline.read import open_table
from pipeline.report import ERRORS_COLUMN

from .profile import KIND_SHARE, KINDS, ColumnProfile, profile_table

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


@dataclass(frozen=True)
class Placement:
    """One column's fate: a rule (``property`` set, ``comment`` empty) or a comment."""

    column: str
    property: str | None
    score: int = 0
    reasons: tuple[str, ...] = ()
    transforms: tuple[str, ...] = ()
    values: dict[str, bool] = field(default_factory=dict)
    lookup: str | None = None
    comment: str = ""

    @builtins.property  # the field ``property`` hides the builtin in the class body
    def placed(self) -> bool:
        return self.property is not None and not self.comment


@dataclass(frozen=True)
class Draft:
    """A drafted mapping: where it came from, its key, and every column's placement."""

    entity: Entity
    source: Path
    sheet: str
    rows: int
    key: str | None
    key_reason: str
    placements: tuple[Placement, ...]
    missing: tuple[str, ...]  # required properties that no column feeds


def draft_mapping(path: Path, *, entity: str, sheet: str | None = None) -> Draft:
    """Read ``path`` (its header and first rows) and draft a mapping onto ``entity``."""
    target = ENTITIES[entity]
    table = open_table(path, sheet=sheet)
    # An errors file of an earlier report: its trailing ``errors`` column is the report's.
    profiles = [p for p in profile_table(table) if p.header != ERRORS_COLUMN]
    placements = resolve_competition([place_column(target, p) for p in profiles])
    key, key_reason = choose_key(target, profiles, placements)
    fed = {p.property for p in placements if p.placed}
    if PARENT_KEY in fed and target.parent_path:
        fed.add(target.parent_path)  # a child's customer, by its source key
    missing = tuple(p for p in target.required_paths() if p not in fed)
    rows = profiles[0].rows if profiles else 0
    return Draft(target, Path(path), table.sheet, rows, key, key_reason, tuple(placements),
                 missing)  # fmt: skip


def place_column(target: Entity, profile: ColumnProfile) -> Placement:
    """Where one column goes, by its header first and its values second."""
    column = profile.header
    if profile.kind == "empty":
        return Placement(column, None, comment="not placed: every sampled cell is empty")
    match = match_header(target.name, column)
    if match is not None:
        return _by_header(target, profile, match)
    by_value = VALUE_PROPERTIES[target.name].get(profile.kind)
    if by_value is not None:
        placement = Placement(column, by_value, VALUE_SCORE, (profile.described(),))
        return _shaped(target, profile, placement)
    if match_key_header(target.name, column) is not None:
        return Placement(column, None, comment="not placed: a source id, not a property")
    hint = ""
    booleans = [f.path for f in target.fields if f.type == "boolean"]
    if profile.kind == "boolean" and booleans:
        hint = f"; yes/no values: perhaps {' or '.join(booleans)}"
    return Placement(
        column, None, comment=f"not placed: no header or value match ({profile.kind}){hint}"
    )


def _by_header(target: Entity, profile: ColumnProfile, match: HeaderMatch) -> Placement:
    path = match.property
    reasons = [match.describe(profile.header)]
    if target.parent and path in (PARENT_KEY, target.parent_path):
        numbers = _whole_numbers(profile)
        path = (target.parent_path or PARENT_KEY) if numbers else PARENT_KEY
        why = "customer numbers" if numbers else "not numbers: the customer's source key"
        reasons.append(f"values are {why}")
    elif VALUE_PROPERTIES[target.name].get(profile.kind) == path:
        reasons.append(profile.described())
    return _shaped(target, profile, Placement(profile.header, path, match.score, tuple(reasons)))


def _shaped(target: Entity, profile: ColumnProfile, placement: Placement) -> Placement:
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
        return _integer(target, f, profile, placement)
    if f.type == "number":
        return _number(profile, placement)
    if f.type == "boolean":
        booleans = profile.booleans()
        if booleans is None:
            return _unfit(placement, profile, "are not yes/no words", _is_boolean)
        words = ", ".join(booleans)
        return replace(placement, values=booleans,
                       reasons=(*placement.reasons, f"yes/no values ({words})"))  # fmt: skip
    return placement


def _integer(target: Entity, f: Field, profile: ColumnProfile, placement: Placement) -> Placement:
    if _whole_numbers(profile, maximum=f.maximum):
        return placement
    references = {r.path: r for r in target.references}
    if f.path in references:
        shown = ", ".join(f"'{e}'" for e in profile.examples)
        why = f"values are names ({shown}): looked up by {references[f.path].name_property}"
        return replace(placement, lookup=references[f.path].name_property,
                       transforms=("strip", "collapse-spaces"),
                       reasons=(*placement.reasons, why))  # fmt: skip
    return _unfit(placement, profile, "are not whole numbers", str.isdigit)


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
            p = replace(p, comment=why)
        out.append(p)
    return out


def choose_key(
    target: Entity, profiles: Sequence[ColumnProfile], placements: Sequence[Placement]
) -> tuple[str | None, str]:
    """The source key column and why: an id-like header first, else the entity's number.

    A key should be unique and never empty; a few repeats or gaps (at most
    ``1 - KIND_SHARE``) still make it the key, and the reason says how many rows the
    validator will stop for them.
    """
    by_column = {p.header: p for p in profiles}
    keyed = []
    for profile in profiles:
        match = match_key_header(target.name, profile.header)
        if match is not None and _key_quality(profile) is not None:
            keyed.append((match.score, profile.header, f"reads like a source id ({match.term})"))
    for placement in placements:
        if placement.placed and placement.property == target.key:
            profile = by_column[placement.column]
            if _key_quality(profile) is not None:
                keyed.append((0, placement.column, f"it is the {target.key}"))
    if not keyed:
        return None, "no id column is unique and filled in every row, so rows have no source key"
    _, column, why = max(keyed, key=lambda k: k[0])
    return column, f"{_key_quality(by_column[column])}; {why}"


def _key_quality(profile: ColumnProfile) -> str | None:
    """How well a column identifies rows (``unique and filled in every row``), or None."""
    repeats = len(profile.values) - len(set(profile.values))
    if not profile.rows or (repeats + profile.empty) > (1 - KIND_SHARE) * profile.rows:
        return None
    if not repeats and not profile.empty:
        return "unique and filled in every row"
    return (
        f"unique but for {repeats} repeated and {profile.empty} empty cells (reported as invalid)"
    )
