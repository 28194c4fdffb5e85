"""What the rows of one input share (``StepContext``, ``WriteContext``) and carry
(``RowWork``) through a batch.

Kept apart from ``batch`` (map, validate, resolve) and ``send`` (decide, journal, write,
settle) so that both can use them without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.api import ApiClient
from pipeline.constraints import Entity, MatchRule
from pipeline.errors import RowError
from pipeline.mapping import Mapping as ColumnMapping
from pipeline.state import Journal, Ledger, RowState
from pipeline.validate import Validator

from .changes import ChangeSink
from .links import LinkBook
from .matching import ExistingRecords
from .outcome import RowResult, Status
from .parents import ParentIndex
from .references import NameResolver


@dataclass
class WriteContext:
    """What deciding and writing the rows of one input needs: ``send_rows`` and the
    look-ups before it, for a batch and for the link phase alike.

    ``preview`` (a dry run with a target): rows are decided as the import decides them,
    with ``client`` for the look-ups, but a write is recorded there instead of sent.
    ``match`` is the mapping's match rule (issue #9).
    """

    source: str
    sheet: str
    source_id: str
    entity: Entity
    mode: str
    retry_failed: bool
    concurrency: int | None
    match: MatchRule = ()
    client: ApiClient | None = None
    journal: Journal | None = None
    ledger: Ledger | None = None
    existing: ExistingRecords | None = None
    #: Told each row's status as it settles (the progress bar); kept a plain callable so
    #: that this module need not know the run's console.
    on_settled: Callable[[Status], None] | None = None
    journal_states: dict[int, RowState] = field(default_factory=dict)
    preview: ChangeSink | None = None


@dataclass
class StepContext:
    """What every batch of one input needs before its rows are written: the mapping, the
    validator, name look-ups, parents and links; ``write`` is handed on to ``send_rows``."""

    write: WriteContext
    mapping: ColumnMapping
    validator: Validator
    parents: ParentIndex
    names: NameResolver | None = None
    record_parents: bool = False
    links: LinkBook | None = None  # the run's links (issue #14): wanted, and child rows


@dataclass
class RowWork:
    """One row on its way through the batch.

    ``key_sent_at`` is when the row's current idempotency key was first sent (from the
    journal), so that a write in doubt knows whether the API may have forgotten the key.
    ``planned_parent``: in a preview of the parent's renumbering, the number the child is
    listed under; ``parent`` is where it is read today (``pipeline.write.parents``).
    """

    row: int
    key: str
    record: dict[str, str]
    parent: str = ""
    planned_parent: str = ""
    payload: dict[str, Any] | None = None
    result: RowResult | None = None
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    key_sent_at: float | None = None
    identity: str = ""  # the ledger's (pipeline.state.ledger.row_identity)
    digest: str = ""


def row_result(
    ctx: WriteContext,
    work: RowWork,
    status: Status,
    *,
    http: int | None = None,
    id: str = "",
    errors: list[RowError] | None = None,
) -> RowResult:
    """The row's line in results.csv (and one more row settled for the progress bar)."""
    if ctx.on_settled is not None:
        ctx.on_settled(status)
    return RowResult(
        source=ctx.source,
        sheet=ctx.sheet,
        row=work.row,
        entity=ctx.entity.name,
        key=work.key or work.record.get(ctx.entity.key, ""),
        status=status,
        http_status=http,
        id=id,
        errors=errors or [],
        warnings=work.warnings,
    )
