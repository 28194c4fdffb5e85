"""The link phase: after the children's steps, each linked customer is updated once.

For every customer row that asked for links (``pipeline.write.links``) and whose own write
succeeded, in batches:

1. each link is resolved to a child number locally; a child that is unknown, was not
   imported, or belongs to another customer fails the row before any request;
2. the customers are read fresh (``$in`` look-ups), and a link given by a number this run
   did not see is checked against the customer's own children, only when it would change
   something (one filtered GET per such link);
3. the links go out through the same path as every other write (``pipeline.write.send``): one
   PUT per customer, of the record it holds now with the links laid over it, so nothing
   else changes; no PUT when the links are already as wanted. Journaled under a source of
   its own (``<customers source>#links``) with idempotency keys, so a run killed between
   the creates and the links resumes here and sets each link exactly once.

A row whose links fail keeps its own status (``created``...) but gains the errors and
does not count as a success; results.csv's ``links`` column says ``set``, ``unchanged``
or ``failed``. All of a row's links are set together or not at all.

A preview (``preview``, issue #11) goes through steps 1 and 2 exactly so, GETs and all,
and at step 3 records the PUT's lines (``pipeline.write.changes.planned_link_lines``)
instead of sending it: its ``links`` cell is ``valid`` (or ``unchanged``, or ``failed``
with the import's own errors). A customer the import would create holds no links yet,
and a child it would create has no number yet: its line names the child's row instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipeline.api import ApiClient, collection_url
from pipeline.constraints import CUSTOMERS, ENTITIES, Link
from pipeline.errors import ConfigError, FatalError, RetriableError, RowError
from pipeline.mapping import flatten
from pipeline.state import Journal, SourceKeys

from .changes import ChangeSink, RowPlace, planned_link_lines
from .interrupt import STOP_INTERRUPTED, STOPPED_CODE, uncancel
from .links import (
    CODE_LINK_NOT_FOUND,
    LINKS_FAILED,
    LINKS_SET,
    LINKS_UNCHANGED,
    LINKS_VALID,
    LinkBook,
    LinkRequest,
    Target,
    link_payload,
)
from .matching import ExistingRecords
from .outcome import Status
from .send import send_rows
from .step import RowWork, WriteContext

#: Customers per batch of the link phase (200 per ``$in`` look-up: five look-ups).
LINK_BATCH = 1000

#: Called once per linked row: (request, links cell, errors).
Amend = Callable[[LinkRequest, str, list[RowError]], None]
#: A row's links, each resolved to its child.
Targets = list[tuple[Link, Target]]


@dataclass(frozen=True)
class LinkSettings:
    """What the link phase shares with the run."""

    concurrency: int | None  # None: the adaptive window (issue #12)
    retry_failed: bool


def links_source_id(customers_source_id: str) -> str:
    """The journal's source for a customers input's link writes."""
    return f"{customers_source_id}#links"


async def run_links(
    book: LinkBook,
    *,
    client: ApiClient,
    journal: Journal | None,
    keys: SourceKeys | None,
    settings: LinkSettings,
    amend: Amend,
    preview: ChangeSink | None = None,
) -> str:
    """Set every wanted link (``preview``: record the PUTs there instead); '' when done,
    else why the run stopped (rows left ``failed``).

    ``journal`` journals the link writes (None in a preview, which writes nothing);
    ``keys`` finds a child of an earlier run by its source key (the journal, or in a
    preview its read-only view).
    """
    done: set[int] = set()

    def settled(request: LinkRequest, cell: str, errors: list[RowError]) -> None:
        done.add(id(request))
        amend(request, cell, errors)

    reason = ""
    try:
        for start in range(0, len(book.requests), LINK_BATCH):
            batch = book.requests[start : start + LINK_BATCH]
            await _link_batch(book, batch, client=client, journal=journal, keys=keys,
                              settings=settings, amend=settled, preview=preview)  # fmt: skip
    except asyncio.CancelledError:
        uncancel()
        reason = STOP_INTERRUPTED
    except (FatalError, RetriableError) as exc:
        reason = str(exc)
    if reason:
        left = [r for r in book.requests if id(r) not in done]
        account_for_unlinked(left, reason=reason, amend=amend)
    return reason


def account_for_unlinked(requests: Sequence[LinkRequest], *, reason: str, amend: Amend) -> None:
    """Rows whose links the stopped run did not finish: ``failed`` with code ``STOPPED``."""
    message = f"links not set: the run stopped ({reason}); run the same command again to resume"
    for request in requests:
        amend(request, LINKS_FAILED, [RowError(request.row, "", STOPPED_CODE, message)])


async def _link_batch(
    book: LinkBook,
    batch: list[LinkRequest],
    *,
    client: ApiClient,
    journal: Journal | None,
    keys: SourceKeys | None,
    settings: LinkSettings,
    amend: Amend,
    preview: ChangeSink | None,
) -> None:
    resolved: list[tuple[LinkRequest, Targets]] = []
    for request in batch:
        targets, errors = _resolve_all(book, request, keys)
        if errors:
            amend(request, LINKS_FAILED, errors)
        else:
            resolved.append((request, targets))
    existing = ExistingRecords(client, CUSTOMERS)
    await existing.fetch(r.current for r, _ in resolved)
    by_source: dict[str, list[tuple[LinkRequest, RowWork]]] = {}
    planned = preview is not None
    for request, targets in resolved:
        errors = await _check_unverified(client, existing, request, targets, planned=planned)
        if errors:
            amend(request, LINKS_FAILED, errors)
            continue
        if preview is not None:
            _plan(preview, request, targets, held=existing.find(request.current), amend=amend)
            continue
        payload = link_payload(request.customer, ((link, t.number) for link, t in targets))
        work = RowWork(request.row, request.key, {CUSTOMERS.key: request.customer})
        work.payload = payload
        by_source.setdefault(request.source_id, []).append((request, work))
    for source_id, pairs in by_source.items():
        ctx = _context(pairs[0][0], source_id, client=client, journal=journal,
                       existing=existing, settings=settings)  # fmt: skip
        await send_rows(ctx, [work for _, work in pairs])
        for request, work in pairs:
            _settle(request, work, amend)


def _resolve_all(
    book: LinkBook, request: LinkRequest, keys: SourceKeys | None
) -> tuple[Targets, list[RowError]]:
    targets: Targets = []
    errors: list[RowError] = []
    for want in request.wants:
        found = book.resolve(want, customer=request.customer, keys=keys,
                             row=request.row, held_at=request.held_at)  # fmt: skip
        if isinstance(found, RowError):
            errors.append(found)
        else:
            targets.append((want.link, found))
    return targets, errors


async def _check_unverified(
    client: ApiClient,
    existing: ExistingRecords,
    request: LinkRequest,
    targets: Targets,
    *,
    planned: bool,
) -> list[RowError]:
    """Numbers this run did not see: does the customer have that child? Asked only when
    the link would change (a link already set was accepted by the API once).

    In a preview (``planned``) a customer not there yet is one the import would create
    before its links: it is asked all the same, and has no children (404) but this
    run's, which the run has seen.
    """
    held = existing.find(request.current)
    have = flatten(held, CUSTOMERS) if held is not None else {}
    errors: list[RowError] = []
    for link, target in targets:
        number = target.number
        if target.verified or (held is None and not planned) or have.get(link.path) == number:
            continue
        customer = request.current  # '' only in a preview: the API would number it
        if not customer or not await _has_child(client, link, customer=customer, number=number):
            child = ENTITIES[link.child]
            message = f"customer {request.customer} has no {child.label} {number}"
            errors.append(RowError(request.row, link.path, CODE_LINK_NOT_FOUND, message, number))
    return errors


async def _has_child(client: ApiClient, link: Link, *, customer: str, number: str) -> bool:
    child = ENTITIES[link.child]
    path = collection_url(child, parent_id=customer)
    try:
        async for _ in client.iter_collection(path, params={"filter": f"{child.key}$eq:{number}"}):
            return True
    except ConfigError:  # the customer itself is gone (404)
        return False
    return False


def _plan(
    preview: ChangeSink,
    request: LinkRequest,
    targets: Targets,
    *,
    held: dict[str, object] | None,
    amend: Amend,
) -> None:
    """A preview's link PUT: its lines recorded, nothing sent."""
    lines = planned_link_lines(held, ((link, t.text) for link, t in targets))
    place = RowPlace(request.source, request.sheet, request.row, CUSTOMERS.name,
                     request.key or request.customer)  # fmt: skip
    preview.record(place, id=request.customer, lines=lines, links=True)
    amend(request, LINKS_VALID if lines else LINKS_UNCHANGED, [])


def _context(
    first: LinkRequest,
    source_id: str,
    *,
    client: ApiClient,
    journal: Journal | None,
    existing: ExistingRecords,
    settings: LinkSettings,
) -> WriteContext:
    link_source = links_source_id(source_id)
    return WriteContext(
        source=first.source,
        sheet=first.sheet,
        source_id=link_source,
        entity=CUSTOMERS,
        mode="update",
        retry_failed=settings.retry_failed,
        concurrency=settings.concurrency,
        client=client,
        journal=journal,
        existing=existing,
        journal_states=journal.states(link_source) if journal is not None else {},
    )


def _settle(request: LinkRequest, work: RowWork, amend: Amend) -> None:
    result = work.result
    assert result is not None, "send_rows gives every row a result"
    if result.status is Status.UPDATED:
        amend(request, LINKS_SET, [])
    elif result.status is Status.UNCHANGED:
        amend(request, LINKS_UNCHANGED, [])
    else:
        amend(request, LINKS_FAILED, result.errors)
