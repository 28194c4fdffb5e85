"""The preview of a dry run with a target: every write the import would send, as lines.

A dry run (``validate``, ``import --dry-run``) that can reach the API decides every row
against what exists through the import's own path (``pipeline.write.send``); a write it would
send is handed to a ``ChangeSink`` instead of the writer (issue #11, "terraform plan").
What a line says is decided here (``planned_lines``): one per property a ``create`` sets,
one per property an ``update`` changes (``old`` what the API holds, ``new`` the row's
value), as flat property paths and cell text (``pipeline.mapping.payload.flatten``). The files
are written by ``pipeline.report.changes``.

The link phase (issue #14) is previewed too (``planned_link_lines``): a customer's link PUT
is ``update`` lines of the customer row that asked for it, one per link it changes, and is
counted apart (``ChangesReport.links``), so that ``create + update + links`` is the number
of writes the import would send.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipeline.constraints import CUSTOMERS, Entity, Link
from pipeline.mapping import flatten

#: changes.csv columns, in order: a public contract (issue #11).
CHANGE_COLUMNS = ("source", "sheet", "row", "entity", "key", "id", "action", "property", "old",
                  "new")  # fmt: skip
CREATE = "create"
UPDATE = "update"
#: One line of a planned write: (action, property, old, new).
Line = tuple[str, str, str, str]


@dataclass(frozen=True)
class RowPlace:
    """Where a row comes from and what results.csv calls it."""

    source: str
    sheet: str
    row: int
    entity: str
    key: str


@dataclass(frozen=True)
class ChangesReport:
    """What a preview found: rows to create and to update, customers whose links would
    be set (one link PUT each), and where the lines are."""

    create: int
    update: int
    csv: Path
    xlsx: Path
    links: int = 0


def planned_lines(
    entity: Entity,
    payload: Mapping[str, Any],
    *,
    existing: Mapping[str, Any] | None,
) -> list[Line]:
    """``(action, property, old, new)`` for a write of ``payload`` over ``existing``.

    A create lists every property it sets; an update every property whose text differs
    from what the API holds, compared as ``pipeline.write.decide.is_unchanged`` does (a
    property the row leaves empty is not part of the write, so it is no change).
    """
    new = flatten(payload, entity)
    if existing is None:
        return [(CREATE, path, "", text) for path, text in new.items()]
    old = flatten(existing, entity)
    return [
        (UPDATE, path, old.get(path, ""), text)
        for path, text in new.items()
        if old.get(path, "") != text
    ]


def planned_link_lines(
    held: Mapping[str, Any] | None, targets: Iterable[tuple[Link, str]]
) -> list[Line]:
    """``update`` lines of a customer's link PUT: one per link whose number would change.

    ``held`` is the customer's record now (None: the import would create it); each target
    is a link and its new value, a child's number or a stand-in for a child the import
    would create (``pipeline.write.links.Target.text``). A link already as wanted is no
    change, as the import's PUT of it would be ``unchanged``.
    """
    old = flatten(held, CUSTOMERS) if held is not None else {}
    return [
        (UPDATE, link.path, old.get(link.path, ""), new)
        for link, new in targets
        if old.get(link.path, "") != new
    ]


def change_counts(changes: ChangesReport, *, unchanged: int, skipped: int) -> dict[str, int]:
    """summary.json's ``changes``: rows the import would create, update, leave, skip, and
    customers whose links it would set (a row created and then linked is in ``create``
    and in ``links``: two writes)."""
    return {"create": changes.create, "update": changes.update, "links": changes.links,
            "unchanged": unchanged, "skip": skipped}  # fmt: skip


class ChangeSink(Protocol):
    """Where a preview's planned writes go (``pipeline.report.changes.ChangeLog``)."""

    def record(self, place: RowPlace, *, id: str, lines: list[Line], links: bool = False) -> None:
        """Add one row's planned write: its ``planned_lines`` (``links``: its link PUT's
        ``planned_link_lines``)."""
        ...
