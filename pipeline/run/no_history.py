"""No history is no excuse (issue #19): refuse to create what a fresh state cannot recognise.

A row with no number of its own and no match rule values is recognised on a second run
only by the ledger. In a container, a CI job or on a colleague's machine the state starts
empty, so a nightly import would create the same customers again every night. Before the
first write the run therefore stops (exit 2, nothing sent) when all three hold:

- some rows of a customer or customer-group input can be recognised by nothing but the
  ledger (``console.count_unrecognisable``: no number, no match rule or only empty match
  values);
- the state store has never recorded a write of that entity into this agreement
  (``Ledger.holds_any``);
- the agreement already holds records of that entity (one ``GET ...?pagesize=1``, whose
  ``pagination.results`` counts them: spec/000 "Pagination").

An empty agreement, or a store that has written into it before, is no reason to stop; nor
is ``match = []`` in the mapping, which says "rows without a number are new: create them"
(``Mapping.new_when_unmatched``). Contacts and delivery locations are always recognised
within their customer by their e-mail or name, or their address (``write.match_key``), so
only the top-level entities are checked. ``update`` mode creates nothing and is not checked.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.api import ApiClient, ApiSettings
from pipeline.errors import ConfigError
from pipeline.state import Ledger, target_id

from .console import Plan
from .importer import PreparedStep
from .settings import RunSettings

#: Entities with a collection of their own, where one GET tells whether any exist.
CHECKED_ENTITIES = ("customers", "customer-groups")


async def check_history(
    settings: RunSettings, prepared: Sequence[PreparedStep], api: ApiSettings, plan: Plan
) -> None:
    """Raise ``ConfigError`` (exit 2, before any write) when a step would create rows that
    only this state store could recognise in an agreement that already holds records."""
    if settings.dry_run or settings.ledger is None or settings.mode == "update":
        return  # a preview writes nothing; --sandbox starts empty; update creates nothing
    suspect = [
        (step, count)
        for step, count in zip(prepared, plan.ledger_only, strict=True)
        if count and step.entity.name in CHECKED_ENTITIES and not step.mapping.new_when_unmatched
    ]
    if not suspect:
        return
    target = target_id(api.base_url, api.agreement_grant_token)
    ledger = Ledger.open_read_only(settings.ledger, target=target)
    try:
        fresh = [(s, n) for s, n in suspect if not (ledger and ledger.holds_any(s.entity.name))]
    finally:
        if ledger is not None:
            ledger.close()
    if not fresh:
        return
    async with ApiClient(api) as client:
        for step, count in fresh:
            held = await held_records(client, step.entity.collection_path)
            if held:
                raise ConfigError(refusal(step, rows=count, held=held))


async def held_records(client: ApiClient, collection: str) -> int:
    """How many records the agreement's collection holds (``pagination.results``)."""
    response = await client.send("GET", collection, params={"pagesize": "1"})
    body = response.body if isinstance(response.body, dict) else {}
    pagination = body.get("pagination") or {}
    results = pagination.get("results") if isinstance(pagination, dict) else None
    if isinstance(results, int):
        return results
    return len(body.get("collection") or [])  # no count given: at least what came back


def refusal(step: PreparedStep, *, rows: int, held: int) -> str:
    """The one-line reason, with the three ways out."""
    label = step.entity.label
    where = f"{step.label}: " if step.label else ""
    mapping = step.mapping.path or "the mapping"
    return (
        f"{where}{rows} row(s) have no {step.entity.key} and no match values, this state "
        f"store has never written {step.entity.name} into this agreement, and the agreement "
        f"already holds {held} {label} record(s): the run would create them again. Nothing "
        "was written. Add a match rule to the mapping (e.g. match = "
        '["corporateIdentificationNumber"]), or use the state of the earlier runs '
        f"(--state URL or ECONOMIC_IMPORT_STATE), or write match = [] in {mapping} to "
        "create them as new"
    )
