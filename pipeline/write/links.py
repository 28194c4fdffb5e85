"""A customer's links to its own children: what rows want, and which child each one means.

The customer PUT schema (customers.customerNo.put.schema.json) has three pointers the POST
schema lacks: ``customerContact`` (main contact), ``attention`` (printed on invoices) and
``defaultDeliveryLocation``. They can only point at a contact or delivery location that
exists, and those need their customer first: customer -> children -> customer again
(issue #14). So a customers mapping gives them as *links*, by number
(``attention.customerContactNumber``) or by the source key of a child row in the same job
or an earlier run (``attention.key``), and none of them is sent with the customer's own
write: ``pipeline.write.link_phase`` sets them after the children's steps.

This module is pure: ``LinkBook`` collects, batch by batch, what each customer row wants
(``want``) and what became of each child row (``record_children``), and ``resolve``
turns a wanted link into a child number, or a row error when the child is unknown, was
not imported, or belongs to another customer (a child's number means something only under
its customer: the URL names both).

In a preview (issue #11) the rows are ``valid``, not written: a customer row's number is
the one its write would give it (its ``customerNumber`` cell), and a child row the import
would create has no number yet, so a link to it resolves to a readable stand-in
(``new contact (contacts.csv row 4)``) instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipeline.constraints import CUSTOMERS, ENTITIES, Link
from pipeline.errors import RowError
from pipeline.state import Journal, SourceKeys

from .outcome import RowResult, Status, is_success

#: Every column of a mapped customers chunk that is a link, by number or by key: kept out
#: of the customer's own write (``pipeline.write.batch``).
LINK_COLUMNS = tuple(p for link in CUSTOMERS.links for p in (link.path, link.key_path))
#: results.csv's ``links`` cell for a customer row whose links were written, already as
#: wanted, or not set (an error on the row says why); in a preview, ``valid`` for links
#: the import would set (their lines are in changes.csv), as the row itself is ``valid``.
LINKS_SET, LINKS_UNCHANGED, LINKS_FAILED = "set", "unchanged", "failed"
LINKS_VALID = "valid"

CODE_LINK_CONFLICT = "LINK_CONFLICT"
CODE_LINK_NOT_FOUND = "LINK_NOT_FOUND"
CODE_LINK_NOT_IMPORTED = "LINK_NOT_IMPORTED"
CODE_LINK_OTHER_CUSTOMER = "LINK_OTHER_CUSTOMER"


@dataclass(frozen=True)
class Want:
    """One link a row asks for: by ``key`` (a child row's source key) or by ``number``."""

    link: Link
    key: str = ""
    number: str = ""

    @property
    def path(self) -> str:
        """The property the row gave it by, for its errors."""
        return self.link.key_path if self.key else self.link.path


@dataclass
class LinkRequest:
    """A customer row with links: where it came from, its customer, what it wants.

    ``held_at`` is where a preview finds the customer's record today when its own write
    would move it (a renumbering: ``customer`` is the new number); '' otherwise.
    """

    source: str
    sheet: str
    source_id: str
    row: int
    key: str
    customer: str
    wants: tuple[Want, ...]
    held_at: str = ""

    @property
    def current(self) -> str:
        """The number the customer's record has now (before a previewed renumbering)."""
        return self.held_at or self.customer


@dataclass(frozen=True)
class Target:
    """The child a wanted link points at: its number, whether the run knows it to be the
    customer's own, or (a preview) ``planned``, the stand-in for a child not created yet."""

    number: str
    verified: bool
    planned: str = ""

    @property
    def text(self) -> str:
        """The link's value in a preview's line."""
        return self.number or self.planned


@dataclass(frozen=True)
class ChildRow:
    """A contact or delivery location row of this run, as far as a link to it cares."""

    source: str
    row: int
    customer: str
    number: str
    succeeded: bool
    status: str
    planned: bool = False  # a preview's row the import would create: no number yet


@dataclass
class LinkBook:
    """What the run's customer rows want linked, and the child rows they may point at."""

    requests: list[LinkRequest] = field(default_factory=list)
    _by_key: dict[tuple[str, str], ChildRow] = field(default_factory=dict)
    _owner: dict[tuple[str, str], str] = field(default_factory=dict)  # (entity, n) -> customer

    def want(
        self,
        mapped: pd.DataFrame,
        results: Sequence[RowResult],
        *,
        source_id: str,
    ) -> None:
        """Note every customer row of a batch that succeeded and asks for links.

        A preview's ``valid`` row is linked at the number its write would give it: its
        ``customerNumber`` cell (a renumbering's new number), else the record it matched.
        """
        columns = [c for c in LINK_COLUMNS if c in mapped.columns]
        if not columns:
            return
        cells: list[dict[str, str]] = mapped[columns].to_dict("records")  # type: ignore[assignment]
        numbers = _cells(mapped, CUSTOMERS.key)
        for row_cells, number, result in zip(cells, numbers, results, strict=True):
            wants = wants_of(row_cells)
            planned = result.status is Status.VALID
            customer = (number or result.id) if planned else result.id
            if wants and result.status.succeeded and (customer or planned):
                held_at = result.id if planned and result.id != customer else ""
                self.requests.append(
                    LinkRequest(result.source, result.sheet, source_id, result.row,
                                _source_key(mapped, result.row), customer, wants, held_at)
                )  # fmt: skip

    def record_children(
        self,
        entity: str,
        keys: Sequence[str],
        parents: Mapping[int, str],
        results: Sequence[RowResult],
        *,
        journal: Journal | None,
    ) -> None:
        """Remember a batch of child rows (and, in the journal, those that exist now)."""
        kept: list[tuple[str, str, str]] = []
        for key, result in zip(keys, results, strict=True):
            customer = parents.get(result.row, "")
            exists = is_success(result)  # created, updated, unchanged, or there already
            if exists and result.id and customer:
                self._owner[(entity, result.id)] = customer
                if key:
                    kept.append((key, customer, result.id))
            if key:
                planned = result.status is Status.VALID and not result.id  # a preview's create
                self._by_key[(entity, key)] = ChildRow(
                    result.source, result.row, customer, result.id if exists else "",
                    bool(exists), result.status.value, planned,
                )  # fmt: skip
        if journal is not None:
            journal.remember_children(entity, kept)

    def resolve(
        self, want: Want, *, customer: str, keys: SourceKeys | None, row: int, held_at: str = ""
    ) -> Target | RowError:
        """The child the link points at, or why the link cannot be set.

        ``keys``: earlier runs' source keys (the run's journal, or a preview's read-only
        view of it), for a key no row of this run has.

        ``held_at``: the customer's number today in a preview of its renumbering
        (``LinkRequest.held_at``); its children are still under that number.
        """
        child = ENTITIES[want.link.child]
        own = {customer, held_at} - {""}
        if want.number:
            owner = self._owner.get((child.name, want.number))
            if owner is not None and owner not in own:
                return _error(want, row, CODE_LINK_OTHER_CUSTOMER,
                              f"{child.label} {want.number} belongs to customer {owner}, "
                              f"not to customer {customer}")  # fmt: skip
            return Target(want.number, verified=owner is not None)
        found = self._by_key.get((child.name, want.key))
        what = f"{child.label} with source key '{want.key}'"
        planned = ""
        if found is not None:
            where = f"({found.source} row {found.row})"
            if not found.succeeded:
                return _error(want, row, CODE_LINK_NOT_IMPORTED,
                              f"{what} {where} was not imported: {found.status}")  # fmt: skip
            owner, number = found.customer, found.number
            if found.planned:
                planned = f"new {child.label} {where}"
        else:
            earlier = keys.child_id(child.name, want.key) if keys is not None else None
            if earlier is None:
                return _error(want, row, CODE_LINK_NOT_FOUND,
                              f"no {what} in this run or an earlier one")  # fmt: skip
            (owner, number), where = earlier, "(an earlier run)"
        if owner not in own:
            return _error(want, row, CODE_LINK_OTHER_CUSTOMER,
                          f"{what} {where} belongs to customer {owner}, "
                          f"not to customer {customer}")  # fmt: skip
        return Target(number, verified=True, planned=planned)


def wants_of(cells: Mapping[str, str]) -> tuple[Want, ...]:
    """The links one mapped row asks for (a link given both ways: see ``link_conflicts``)."""
    wants = []
    for link in CUSTOMERS.links:
        key = str(cells.get(link.key_path) or "").strip()
        number = str(cells.get(link.path) or "").strip()
        if key:
            wants.append(Want(link, key=key))
        elif number:
            wants.append(Want(link, number=number))
    return tuple(wants)


def link_conflicts(mapped: pd.DataFrame) -> dict[int, list[RowError]]:
    """Rows that give one link both by key and by number: invalid, never sent."""
    errors: dict[int, list[RowError]] = {}
    for link in CUSTOMERS.links:
        if link.key_path not in mapped.columns or link.path not in mapped.columns:
            continue
        both = mapped[(mapped[link.key_path] != "") & (mapped[link.path] != "")]
        for row in both.index.tolist():
            message = f"give {link.key_path} or {link.path}, not both"
            errors.setdefault(int(row), []).append(
                RowError(int(row), link.key_path, CODE_LINK_CONFLICT, message)
            )
    return errors


def link_payload(customer: str, numbers: Iterable[tuple[Link, str]]) -> dict[str, object]:
    """The properties a customer's link PUT lays over the record it holds now."""
    body: dict[str, object] = {CUSTOMERS.key: int(customer)}
    for link, number in numbers:
        body[link.object] = {link.number_property: int(number)}
    return body


def _cells(mapped: pd.DataFrame, path: str) -> list[str]:
    return mapped[path].tolist() if path in mapped.columns else [""] * len(mapped)


def _source_key(mapped: pd.DataFrame, row: int) -> str:
    return str(mapped.at[row, "_key"]) if "_key" in mapped.columns else ""


def _error(want: Want, row: int, code: str, message: str) -> RowError:
    return RowError(row, want.path, code, message, want.key or want.number)
