"""Renumbering customers: a row names a customer by its number today and gives the new one.

spec/003 ("Customer Numbers"): "specify the new customerNumber in the supplied data and do
your PUT operation on the original customerNumber". A column mapped to the pseudo-property
``currentCustomerNumber`` names the customer as it is numbered now; the column mapped to
``customerNumber`` gives the number it should have (issue #14). What a row does:

==================================  =============================================
what exists                         outcome
==================================  =============================================
the current number                  PUT /customers/{current}, the whole record
                                    merged, carrying the new number -> ``updated``
                                    (a new number already in use: the API's 400)
only the new number, same data      ``unchanged`` (renumbered already: a re-run)
only the new number, other data     ``rejected``: never guess that it is the same
                                    customer; leave ``currentCustomerNumber`` empty
                                    to update the customer with the new number
neither                             ``rejected``: nothing to renumber
==================================  =============================================

Once a row is renumbered, the run's parent index and the journal's source keys follow the
new number (``follow_renumbers``), so children imported later by source key land on it.
A preview sends no PUT, so it cannot follow one: its index lists the children of a row it
would renumber under the new number, and reads them at the current one
(``follow_planned_renumbers``).
Renumbering needs ``--mode update`` or ``--mode upsert`` (checked before any request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.constraints import CODE_NOT_FOUND, CURRENT_CUSTOMER_NUMBER, Entity
from pipeline.errors import RowError
from pipeline.state import Journal, Ledger

from .outcome import RowResult, Status
from .parents import ParentIndex

#: The pseudo-property's path, as mapped (``pipeline.constraints``).
CURRENT_NUMBER = CURRENT_CUSTOMER_NUMBER.path
#: The modes that may renumber: a renumbering is an update of an existing customer.
RENUMBER_MODES = ("update", "upsert")


def number_text(text: object) -> str:
    """A number cell as the API writes it ('1001' for ' 1001' or '1001.0'); '' when empty."""
    stripped = str(text or "").strip()
    try:
        return str(int(float(stripped))) if stripped else ""
    except ValueError:
        return stripped


def renumbering(entity: Entity, record: Mapping[str, Any]) -> tuple[str, str]:
    """(current number, new number) of a row that renumbers a customer, else ('', '')."""
    if CURRENT_CUSTOMER_NUMBER not in entity.pseudo:
        return "", ""
    current = number_text(record.get(CURRENT_NUMBER))
    new = number_text(record.get(entity.key))
    if not current or not new or current == new:
        return "", ""
    return current, new


def renumber_rejection(
    entity: Entity, *, current: str, new: str, holder_differs: bool, row: int
) -> RowError:
    """Why a renumbering row whose current number does not exist is not written."""
    if holder_differs:
        message = (
            f"{entity.label} {current} does not exist, and {entity.label} {new} differs from "
            f"this row: if {current} was renumbered to {new} already, leave "
            f"{CURRENT_NUMBER} empty to update {new}"
        )
    else:
        message = f"{entity.label} {current} does not exist: there is nothing to renumber"
    return RowError(row, CURRENT_NUMBER, CODE_NOT_FOUND, message, current)


def follow_renumbers(
    mapped_current: Sequence[str],
    results: Sequence[RowResult],
    *,
    parents: ParentIndex,
    journal: Journal | None,
    ledger: Ledger | None = None,
) -> None:
    """Point the parent index, the journal's source keys and the ledger at each new number.

    ``mapped_current`` is each row's ``currentCustomerNumber`` cell, in ``results``'
    order. Safe to repeat: a resumed run follows the same renumbering again.
    """
    for cell, result in zip(mapped_current, results, strict=True):
        current = number_text(cell)
        if not current or not result.status.succeeded or not result.id or result.id == current:
            continue
        parents.renumber(current, result.id)
        if journal is not None:
            journal.renumber_customer(current, result.id)
        if ledger is not None and result.status is Status.UPDATED:
            # Only after the PUT itself: a re-run's current number may be reused since.
            ledger.renumber("customers", current, result.id)


def follow_planned_renumbers(
    mapped_current: Sequence[str],
    mapped_new: Sequence[str],
    results: Sequence[RowResult],
    *,
    parents: ParentIndex,
) -> None:
    """A preview's ``follow_renumbers``: each row it would renumber (``valid``: a PUT
    planned to the current number) moves in the parent index (``ParentIndex.plan_renumber``).
    """
    for cell, new_cell, result in zip(mapped_current, mapped_new, results, strict=True):
        current, new = number_text(cell), number_text(new_cell)
        planned = result.status is Status.VALID and result.id == current
        if current and new and current != new and planned:
            parents.plan_renumber(current, new)
