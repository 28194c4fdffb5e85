"""Which existing record is a row's: by its own number, the ledger, or the match rule.

Per row, in this order of precedence (issue #9):

1. its own number (``customerNumber``, ``customerGroupNumber``; for contacts and delivery
   locations without a match rule, the built-in e-mail/name or address match);
2. the ledger: the record an earlier run created for this row, confirmed by the look-up
   that reads (1); a record deleted since counts as absent, and its entry is dropped. As
   numbers are reused after a deletion (API-FACTS.md), a record that no longer carries the
   unchanged row's name (address, for delivery locations) is not taken for the row's;
3. the mapping's match rule.

Nothing is guessed: two or more records matching the rule, or the rule finding another
record than (1) or (2) say, leave the row unwritten (``skipped``, not a success) with an
error naming every candidate. What is found then goes through ``pipeline.write.decide``'s modes
table as any existing record does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipeline.api import record_id
from pipeline.constraints import Entity
from pipeline.errors import RowError
from pipeline.mapping import flatten
from pipeline.state import LedgerEntry, row_digest, row_identity

from .decide import Decision
from .match_rules import MatchRule, can_match, describe_values, fold, row_values
from .matching import ExistingRecords, lookup_keys, match_key
from .outcome import CODE_EXISTS, Status
from .step import RowWork, WriteContext

#: Two or more records match a row, or its number and its match rule name different ones.
CODE_AMBIGUOUS = "AMBIGUOUS"
#: What tells a record named by the ledger from another one that got its number later.
_LABEL_PROPERTY = {"delivery-locations": "address"}


@dataclass(frozen=True)
class Recognition:
    """What a row is on the server: its record (or None), or why that cannot be told."""

    record: dict[str, Any] | None = None
    errors: tuple[RowError, ...] = ()
    entry: LedgerEntry | None = None  # set when the ledger named the record


def identify(work: RowWork) -> None:
    """Give the row its ledger identity and digest (from its mapped values)."""
    work.digest = row_digest(work.record)
    work.identity = row_identity(work.key, work.digest)


async def recognise_rows(ctx: WriteContext, works: Sequence[RowWork]) -> dict[int, Recognition]:
    """Look every row up (a few batched GETs) and tell which record is each row's."""
    assert ctx.existing is not None
    for work in works:
        identify(work)
    entries = ctx.ledger.find(ctx.entity.name, (w.identity for w in works)) if ctx.ledger else {}
    await ctx.existing.fetch(
        (k for w in works for k in lookup_keys(ctx.entity, w.record)),
        parents=(w.parent for w in works),
        ids=(e.record_id for e in entries.values()),
    )
    await ctx.existing.fetch_matches(w.record for w in works)
    found: dict[int, Recognition] = {}
    for work in works:
        entry = entries.get(work.identity)
        found[work.row] = recognise(
            ctx.entity, work, existing=ctx.existing, entry=entry, rule=ctx.match
        )
        gone = entry is not None and not ctx.existing.find_id(entry.record_id, parent=work.parent)
        if gone and ctx.ledger is not None:
            ctx.ledger.drop(ctx.entity.name, work.identity)  # deleted on the server since
    return found


def recognise(
    entity: Entity,
    work: RowWork,
    *,
    existing: ExistingRecords,
    entry: LedgerEntry | None,
    rule: MatchRule,
) -> Recognition:
    """The row's record by number, ledger and match rule, in that order of precedence."""
    own = "" if rule and entity.parent else match_key(entity, work.record)
    by_number = existing.find(own, parent=work.parent) if own else None
    by_ledger = existing.find_id(entry.record_id, parent=work.parent) if entry else None
    if entry is not None and by_ledger is not None and not own:
        stranger = _another_record(entity, work, entry, by_ledger)
        if stranger is not None:
            return Recognition(errors=(stranger,))
    candidates = existing.matches(work.record, parent=work.parent)
    if len(candidates) > 1:
        return Recognition(errors=(_ambiguous(entity, work, rule, candidates),))
    known, via = (by_number, "number") if own else (by_ledger, "ledger")
    if candidates:
        match = candidates[0]
        if (own or by_ledger is not None) and not _same(entity, known, match):
            return Recognition(errors=(_conflict(entity, work, rule, match, known, via=via),))
        known = known or match
    ledger_named = via == "ledger" and by_ledger is not None
    return Recognition(record=known, entry=entry if ledger_named else None)


def as_recognised(entity: Entity, decision: Decision, found: Recognition, *, row: int) -> Decision:
    """An "already exists" skip whose record the ledger named says when it was imported."""
    entry = found.entry
    if entry is None or decision.status is not Status.SKIPPED:
        return decision
    message = (
        f"{entity.label} {decision.id} was imported on {entry.when} (ledger); "
        "use --mode upsert to update it"
    )
    error = RowError(row=row, property="", code=CODE_EXISTS, message=message, value=decision.id)
    return replace(decision, errors=(error,))


def can_be_recognised(entity: Entity, rule: MatchRule, record: dict[str, str]) -> bool:
    """True when a run with a fresh state folder would still find the row's record."""
    if rule and can_match(row_values(rule, record)):
        return True
    return bool(match_key(entity, record)) and not (rule and entity.parent)


def _another_record(
    entity: Entity, work: RowWork, entry: LedgerEntry, record: dict[str, Any]
) -> RowError | None:
    """An error when the ledger's record now has another name than the unchanged row."""
    path = _LABEL_PROPERTY.get(entity.name, "name")
    wanted = work.record.get(path, "")
    have = flatten(record, entity, paths=(path,)).get(path, "")
    if entry.digest != work.digest or not wanted or fold(wanted) == fold(have):
        return None
    message = (
        f"the ledger names {entity.label} {entry.record_id} (imported on {entry.when}), but "
        f"its {path} is now '{have}', not '{wanted}': renamed, or the number reused after a "
        "deletion? Nothing was written (econ-import forget clears the ledger)"
    )
    return RowError(row=work.row, property="", code=CODE_AMBIGUOUS, message=message)


def _same(entity: Entity, a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    return a is not None and record_id(entity, a) == record_id(entity, b)


def _plural(entity: Entity) -> str:
    return f"{entity.label}s"


def _numbers(entity: Entity, records: Sequence[dict[str, Any]]) -> str:
    ids = sorted((record_id(entity, r) for r in records), key=lambda n: (len(n), n))
    return ", ".join(ids[:-1]) + f" and {ids[-1]}"


def _ambiguous(
    entity: Entity, work: RowWork, rule: MatchRule, candidates: Sequence[dict[str, Any]]
) -> RowError:
    both = "both" if len(candidates) == 2 else "all"
    where = f" of customer {work.parent}" if entity.parent else ""
    message = (
        f"{_plural(entity)} {_numbers(entity, candidates)}{where} {both} have "
        f"{describe_values(rule, work.record)}"
    )
    return RowError(row=work.row, property="", code=CODE_AMBIGUOUS, message=message)


def _conflict(
    entity: Entity,
    work: RowWork,
    rule: MatchRule,
    match: dict[str, Any],
    known: dict[str, Any] | None,
    *,
    via: str,
) -> RowError:
    label = entity.label
    if via == "number":
        number = f"the row's {entity.key} {work.record.get(entity.key, '')}"
        target = f"{label} {record_id(entity, known)}" if known else f"no existing {label}"
        said = f"{number} names {target}"
    else:
        said = f"the ledger names {label} {record_id(entity, known)}"
    message = (
        f"{said}, but {label} {record_id(entity, match)} has "
        f"{describe_values(rule, work.record)}; nothing was written"
    )
    return RowError(row=work.row, property="", code=CODE_AMBIGUOUS, message=message)
