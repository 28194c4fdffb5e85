"""Children find their parent customer: by number, or by the source key of a customer row.

A contact or delivery location names its customer either by ``customer.customerNumber``
or by ``customer.key``, the source-system key of a customer row imported in the same run
or an earlier one (issue #4; the journal's keys, which a preview reads read-only). A child
whose parent did not succeed is skipped, never sent.

A preview of a customer's renumbering (``plan_renumber``) sends no PUT: its children are
listed under the new number, as the import writes them, but read where they are today
(``held_at``), as the import reads them after the PUT moved them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.state import SourceKeys

PARENT_KEY_PATH = "customer.key"
PARENT_NUMBER_PATH = "customer.customerNumber"


@dataclass(frozen=True)
class ParentRow:
    """A customer row of this run, as far as its children care."""

    row: int
    source: str
    number: str
    succeeded: bool
    status: str
    held_at: str = ""  # a preview's renumbering: the number it has today


@dataclass(frozen=True)
class ParentLookup:
    """The outcome of finding a child's parent: a number, or why there is none.

    ``held_at``: in a preview of the parent's renumbering to ``number``, the number it has
    today, where its children are still found.
    """

    number: str = ""
    skip_reason: str = ""
    error: str = ""
    held_at: str = ""

    @property
    def today(self) -> str:
        """Where the parent and its children are on the server now."""
        return self.held_at or self.number


class ParentIndex:
    """Customer rows of this run by source key and by number, plus earlier runs' keys
    (``keys``: the run's journal, or a preview's read-only view of it)."""

    def __init__(self, keys: SourceKeys | None) -> None:
        self._keys = keys
        self._by_key: dict[str, ParentRow] = {}
        self._by_number: dict[str, ParentRow] = {}

    def record(self, *, key: str, number: str, row: ParentRow) -> None:
        """Remember a customer row's outcome for the children that follow."""
        if key:
            self._by_key[key] = row
        if number:
            self._by_number[number] = row

    def renumber(self, old: str, new: str) -> None:
        """Customer ``old`` is now ``new``: rows that named it (by key) follow it."""
        self._move(old, new, held_at="")

    def plan_renumber(self, old: str, new: str) -> None:
        """A preview's customer ``old`` would be ``new`` after its PUT: its children
        follow ``new`` and are read at ``old`` (``ParentLookup.held_at``)."""
        self._move(old, new, held_at=old)

    def _move(self, old: str, new: str, *, held_at: str) -> None:
        for key, found in list(self._by_key.items()):
            if found.number == old:
                self._by_key[key] = replace(found, number=new, held_at=held_at)
        moved = self._by_number.pop(old, None)
        if moved is not None:
            self._by_number[new] = replace(moved, number=new, held_at=held_at)

    def resolve(self, *, key: str, number: str) -> ParentLookup:
        """The parent's customer number for a child row, or why it cannot have one."""
        if key:
            return self._resolve_key(key)
        found = self._by_number.get(number)
        if found is not None and not found.succeeded:
            return ParentLookup(skip_reason=_not_imported(found, f"customer {number}"))
        return ParentLookup(number=number, held_at=found.held_at if found is not None else "")

    def _resolve_key(self, key: str) -> ParentLookup:
        found = self._by_key.get(key)
        if found is not None:
            if not found.succeeded:
                return ParentLookup(skip_reason=_not_imported(found, f"customer key '{key}'"))
            return ParentLookup(number=found.number, held_at=found.held_at)
        earlier = self._keys.parent_id("customers", key) if self._keys else None
        if earlier:
            return ParentLookup(number=earlier)
        return ParentLookup(
            error=f"no customer with source key '{key}' in this run or an earlier one"
        )


def _not_imported(parent: ParentRow, what: str) -> str:
    return f"parent {what} ({parent.source} row {parent.row}) was not imported: {parent.status}"
