"""What to do with one valid row: send it (POST or PUT), or settle it without a request.

Pure functions over a row's property texts, the existing record (if any) and the mode;
no IO here, so every decision of the modes table is testable without a server.

==========  ======================  ======================  ==================
mode        record exists, same     record exists, differs  record absent
==========  ======================  ======================  ==================
create      skipped                 skipped                 POST -> created
upsert      unchanged               PUT -> updated          POST -> created
update      unchanged               PUT -> updated          rejected (absent)
==========  ======================  ======================  ==================

In update and upsert a row may be partial: it needs only what identifies its record and
the columns it changes (issue #11). Local validation checks every given cell but not the
required properties; those are checked here, once what exists is known: on the merged
record before a PUT, on the row alone before an upsert's POST. A row that lacks one is
``invalid``, with local validation's own required errors, and is never sent.

A row that renumbers a customer (``currentCustomerNumber``) is matched by its current
number; when that is gone, ``pipeline.write.renumber``'s table decides.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.api import collection_url, record_id, record_url
from pipeline.constraints import CODE_NOT_FOUND, Entity, missing_required, required_message
from pipeline.errors import RowError
from pipeline.mapping import flatten

from .outcome import Status
from .renumber import renumber_rejection


@dataclass(frozen=True)
class Decision:
    """Either a write to send (``method``/``path``/``body``) or a final status.

    ``existing`` is the record a PUT was decided against (what a preview shows as old).
    """

    method: str = ""
    path: str = ""
    body: dict[str, Any] | None = None
    status: Status | None = None
    id: str = ""
    errors: tuple[RowError, ...] = ()
    existing: Mapping[str, Any] | None = None

    @property
    def sends(self) -> bool:
        return bool(self.method)


def decide(
    entity: Entity,
    payload: dict[str, Any],
    *,
    mode: str,
    existing: dict[str, Any] | None,
    parent: str,
    row: int,
    renumber: tuple[str, str] = ("", ""),
    holder: dict[str, Any] | None = None,
) -> Decision:
    """The write (or the settled status) for a valid row in ``mode``.

    ``renumber`` is (current number, new number) for a row that renumbers a customer
    (``pipeline.write.renumber``): ``existing`` is then the record at the current number and
    ``holder`` the one at the new number, if any.
    """
    if renumber[0] and existing is None:
        return _renumbered_already(entity, payload, renumber=renumber, holder=holder, row=row)
    if existing is None:
        if mode == "update":
            return Decision(status=Status.REJECTED, errors=(_absent(entity, payload, row),))
        if mode == "upsert" and (missing := missing_required(entity, payload, update=False)):
            return _incomplete(missing, row)
        return Decision(
            method="POST", path=collection_url(entity, parent_id=parent or None), body=payload
        )
    found_id = record_id(entity, existing)
    if mode == "create":
        return Decision(
            status=Status.SKIPPED, id=found_id, errors=(_exists(entity, found_id, row),)
        )
    if is_unchanged(entity, payload, existing):
        return Decision(status=Status.UNCHANGED, id=found_id)
    merged = merge_for_put(existing, payload)
    if missing := missing_required(entity, merged, update=True):
        return _incomplete(missing, row, id=found_id)
    path = record_url(entity, found_id, parent_id=parent or None)
    return Decision(method="PUT", path=path, body=merged, existing=existing)


def _incomplete(missing: list[str], row: int, *, id: str = "") -> Decision:
    """``invalid``: the row (merged with what exists, if anything) lacks ``missing``."""
    errors = []
    for path in missing:
        violation = required_message(path)
        errors.append(RowError(row, path, violation.code, violation.message, ""))
    return Decision(status=Status.INVALID, id=id, errors=tuple(errors))


def _renumbered_already(
    entity: Entity,
    payload: dict[str, Any],
    *,
    renumber: tuple[str, str],
    holder: dict[str, Any] | None,
    row: int,
) -> Decision:
    """The current number is gone: a re-run if the new number holds this row's data."""
    current, new = renumber
    if holder is not None and is_unchanged(entity, payload, holder):
        return Decision(status=Status.UNCHANGED, id=record_id(entity, holder))
    error = renumber_rejection(
        entity, current=current, new=new, holder_differs=holder is not None, row=row
    )
    return Decision(status=Status.REJECTED, errors=(error,))


def is_unchanged(entity: Entity, payload: Mapping[str, Any], existing: Mapping[str, Any]) -> bool:
    """True when every property the row gives already has that value in the API's record.

    Properties the row leaves empty are not compared: an empty cell never clears a value.
    """
    wanted = flatten(payload, entity)
    have = flatten(existing, entity)
    return all(have.get(path, "") == text for path, text in wanted.items())


def merge_for_put(existing: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The record as the API has it, with the row's properties laid over it.

    A PUT replaces the whole record and needs its required properties (spec/001, PUT
    /customers), so the row's values are merged into what exists rather than sent alone.
    """
    merged = copy.deepcopy(dict(existing))
    _overlay(merged, payload)
    return merged


def _overlay(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for name, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(name), dict):
            # A reference given by number replaces the old reference object whole, so
            # that a stale ``self`` link cannot contradict the new number.
            target[name] = dict(value)
        else:
            target[name] = value


def _absent(entity: Entity, payload: Mapping[str, Any], row: int) -> RowError:
    key = payload.get(entity.key, "")
    what = f"{entity.label} {key}".strip()
    return RowError(
        row=row,
        property=entity.key,
        code=CODE_NOT_FOUND,
        value=key or None,
        message=f"{what} does not exist; --mode update only changes existing records",
    )


def _exists(entity: Entity, found_id: str, row: int) -> RowError:
    return RowError(
        row=row,
        property=entity.key,
        code="EXISTS",
        value=found_id,
        message=f"{entity.label} {found_id} already exists; use --mode upsert to update it",
    )
