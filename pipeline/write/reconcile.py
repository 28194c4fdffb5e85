"""Writes in doubt: look the record up first, and write again only if it is absent.

A row's write is *in doubt* when its request went out and no answer came back (the
writer's ``NO_ANSWER`` outcome: a timeout, a connection closed after sending, or a key too
old to trust), or when a run stopped while the row was in flight (the journal's
``inflight`` state). Repeating it with the same ``Idempotency-Key`` is safe only while the
API still remembers the key: one hour on the live API (API-FACTS.md "Idempotency"; our
margin is ``ApiSettings.key_ttl_s``). So a row in doubt is looked up with a fresh GET
(never a batch's earlier prefetch, which predates the write) and then:

- found: the write happened. The row is done, with the found record's number:
  ``created`` for a POST, ``updated`` for a PUT (``resolve`` turns the "already exists" /
  "unchanged" that ``decide`` would say into what this row's own write did);
- absent: the row is sent again, with the same key while the key is young (a late
  arrival of the first request is then still a replay), else with a new key;
- no match key to look it up by (a customer without ``customerNumber`` and without match
  values) and the key too old: the row fails with ``NO_ANSWER`` rather than risk a second
  record. The mapping's match rule counts as a way to look it up; when it finds several
  records, the row fails too (nothing is guessed).

Whatever a look-up finds and settles as written goes into the ledger like any success.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pipeline.api import ApiClient
from pipeline.constraints import Entity
from pipeline.errors import RowError

from .decide import Decision, decide
from .match_rules import MatchRule
from .matching import ExistingRecords
from .outcome import Status
from .writer import NO_ANSWER_CODE

#: Look-up-and-resend rounds for one row before it is reported as failed (NO_ANSWER).
MAX_DOUBT_ROUNDS = 3


@dataclass(frozen=True)
class InDoubt:
    """A write that may or may not have happened: what was sent, with which key, when."""

    method: str
    key: str
    first_sent_at: float | None
    errors: tuple[RowError, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """The row's settled status, or the write to send again (``key`` '' asks for a new one)."""

    decision: Decision
    key: str = ""
    first_sent_at: float | None = None


def key_is_fresh(first_sent_at: float | None, *, ttl_s: float, now: float) -> bool:
    """True while the API can still be trusted to remember a key first sent then."""
    return first_sent_at is None or now - first_sent_at < ttl_s


def resolve(
    entity: Entity,
    payload: dict[str, Any],
    *,
    doubt: InDoubt,
    found: dict[str, Any] | None,
    has_match_key: bool,
    mode: str,
    parent: str,
    row: int,
    fresh: bool,
    renumber: tuple[str, str] = ("", ""),
    holder: dict[str, Any] | None = None,
) -> Resolution:
    """What to do with a row in doubt, given what a fresh look-up ``found`` (or None).

    ``fresh`` says whether ``doubt.key`` is still young enough to send again. A row that
    renumbers a customer (``renumber``) is found at its new number (``holder``) once its
    PUT happened.
    """
    if not has_match_key and not fresh:
        return Resolution(Decision(status=Status.FAILED, errors=(_unverifiable(entity, row),)))
    decision = decide(
        entity,
        payload,
        mode=mode,
        existing=found,
        parent=parent,
        row=row,
        renumber=renumber,
        holder=holder,
    )
    if not decision.sends:
        written = found if found is not None or not renumber[0] else holder
        return Resolution(_as_written(decision, method=doubt.method, found=written))
    if decision.method == doubt.method and fresh:
        return Resolution(decision, key=doubt.key, first_sent_at=doubt.first_sent_at)
    return Resolution(decision)


async def look_up(
    client: ApiClient,
    entity: Entity,
    *,
    keys: Iterable[str],
    parents: Iterable[str],
    match: MatchRule = (),
    rows: Iterable[dict[str, str]] = (),
) -> ExistingRecords:
    """The records as they are now, for these match keys (or under these parents), and
    for these rows' values of the ``match`` rule."""
    records = ExistingRecords(client, entity, match=match)
    await records.fetch(keys, parents=parents)
    await records.fetch_matches(rows)
    return records


def _as_written(decision: Decision, *, method: str, found: dict[str, Any] | None) -> Decision:
    # The record is there now and the row's own write was the one to put it there: report
    # what that write did, not "already exists" (create) or "unchanged" (upsert/update).
    if found is None or decision.status not in (Status.SKIPPED, Status.UNCHANGED):
        return decision
    status = Status.CREATED if method == "POST" else Status.UPDATED
    return Decision(status=status, id=decision.id)


#: What a row is looked up by, per entity (``pipeline.write.matching.match_key``), for messages.
_MATCHED_BY = {"contacts": "email or name", "delivery-locations": "address or postal code"}


def _unverifiable(entity: Entity, row: int) -> RowError:
    by = _MATCHED_BY.get(entity.name, entity.key)
    return RowError(
        row=row,
        property=entity.key if by == entity.key else "",
        code=NO_ANSWER_CODE,
        origin="api",
        message=(
            "the write got no answer and its idempotency key may have expired; the "
            f"{entity.label} has no {by} to look it up by: check whether it exists before "
            "importing this row again"
        ),
    )
