"""How a drafted mapping recognises a row: its ``key``, and its ``match`` rule.

The ``key`` is the column that identifies a row in the source system: unique and never
empty, preferably one whose header reads like an id (``Kundekode``, ``CRM-id``,
``Record ID``: ``[keys]`` of the synonyms), else the one placed on the entity's own number
(``customerNumber``), else one whose header names that number but whose values are codes
(Navision's ``No_`` with ``C10000``): a unique, always-filled alphanumeric id.

A file with no column for the entity's number gets a ``match`` rule, so that a second
run, on any machine and with any state, finds the records the first one created instead
of creating them again (issue #19). ``MATCH_ORDER`` lists the candidates; the first whose
columns are filled in nearly every row (``KIND_SHARE``) and unique is proposed, and the
reason (also for those passed over) goes into the comment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.constraints import Entity
from pipeline.mapping import match_key_header

from .model import Placement
from .profile import KIND_SHARE, ColumnProfile

#: Per entity, the match rules to propose in order of preference (issue #19 point 4).
#: Contacts and delivery locations have a built-in match within their customer.
MATCH_ORDER: dict[str, tuple[tuple[str, ...], ...]] = {
    "customers": (("corporateIdentificationNumber",), ("email",), ("ean",), ("name", "zip")),
}

#: What an id code looks like: letters and digits, perhaps with - _ . / (``C10000``).
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def choose_key(
    target: Entity,
    profiles: Sequence[ColumnProfile],
    placements: Sequence[Placement],
    *,
    prefix: str | None = None,
) -> tuple[str | None, str]:
    """The source key column and why: an id-like header first, else the entity's number.

    A key should be unique and never empty; a few repeats or gaps (at most
    ``1 - KIND_SHARE``) still make it the key, and the reason says how many rows the
    validator will stop for them.
    """
    by_column = {p.header: p for p in profiles}
    keyed = []
    for profile in profiles:
        match = match_key_header(target.name, profile.header, prefix=prefix)
        if match is not None and key_quality(profile) is not None:
            keyed.append((match.score, profile.header, f"reads like a source id ({match.term})"))
    for placement in placements:
        column = placement.column
        if placement.property != target.key or key_quality(by_column[column]) is None:
            continue
        profile = by_column[column]
        if placement.placed:
            keyed.append((0, column, f"it is the {target.key}"))
        elif profile.values and all(_CODE.fullmatch(v) for v in profile.values):
            shown = ", ".join(f"'{e}'" for e in profile.examples)
            why = f"its header names the {target.key}, but the values are id codes ({shown})"
            keyed.append((0, column, why))
    if not keyed:
        return None, "no id column is unique and filled in every row, so rows have no source key"
    _, column, why = max(keyed, key=lambda k: k[0])
    return column, f"{key_quality(by_column[column])}; {why}"


def key_quality(profile: ColumnProfile) -> str | None:
    """How well a column identifies rows (``unique and filled in every row``), or None."""
    repeats = len(profile.values) - len(set(profile.values))
    if not profile.rows or (repeats + profile.empty) > (1 - KIND_SHARE) * profile.rows:
        return None
    if not repeats and not profile.empty:
        return "unique and filled in every row"
    return (
        f"unique but for {repeats} repeated and {profile.empty} empty cells (reported as invalid)"
    )


def propose_match(
    target: Entity, profiles: Sequence[ColumnProfile], placed: dict[str, str]
) -> tuple[tuple[str, ...] | None, str]:
    """The ``match`` rule for a file without the entity's number, and why (or why none).

    ``placed`` is property path -> the column placed on it. None with an empty reason
    when the file has the number (rows are found by it) or the entity has no candidates.
    """
    order = MATCH_ORDER.get(target.name, ())
    if target.key in placed or not order:
        return None, ""
    by_column = {p.header: p for p in profiles}
    passed: list[str] = []
    for rule in order:
        columns = [placed.get(path) for path in rule]
        named = " with ".join(rule)
        if any(c is None for c in columns):
            passed.append(f"{named}: no column")
            continue
        fault = _unfit_for_match([by_column[str(c)] for c in columns])
        shown = " and ".join(f"'{c}'" for c in columns)
        if fault:
            passed.append(f"{named} ({shown}): {fault}")
            continue
        profile = by_column[str(columns[0])]
        filled = min(len(by_column[str(c)].values) for c in columns)
        why = (
            f"no column for {target.key}: a row is found by {named} ({shown}: filled in "
            f"{filled} of {profile.rows} rows and unique), so a second run on any machine "
            "writes nothing"
        )
        return rule, why + (f"; passed over: {'; '.join(passed)}" if passed else "")
    return None, (
        f"no column for {target.key}, and no match column is filled in nearly every row and "
        f"unique ({'; '.join(passed)}): only this machine's ledger would recognise these rows "
        'in a later run; map such a column, use the shared state, or say match = [] ("rows '
        'without a number are new")'
    )


def _unfit_for_match(profiles: Sequence[ColumnProfile]) -> str:
    """Why these columns together cannot find a record (empty when they can)."""
    rows = profiles[0].rows
    for profile in profiles:
        if len(profile.values) < KIND_SHARE * rows:
            return f"'{profile.header}' is empty in {profile.empty} of {rows} rows"
    cells = [_cells(p, rows) for p in profiles]
    combined = [tuple(row) for row in zip(*cells, strict=True) if all(row)]
    repeats = len(combined) - len(set(combined))
    return f"{repeats} values repeat" if repeats else ""


def _cells(profile: ColumnProfile, rows: int) -> list[str]:
    """The column's cells folded as a match compares them (case and spacing), one a row."""
    return [" ".join(c.split()).casefold() for c in profile.cells[:rows]]
