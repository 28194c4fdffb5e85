"""The link phase's outcomes in the report: each linked customer row's ``links`` cell.

A customer row is reported when its own write is answered, long before its links are set
(``pipeline.write.link_phase`` runs after the children's steps), so the links are added to the
report afterwards (``ReportWriter.amend``): the ``links`` cell of results.csv, the errors
of a failed link in errors.jsonl, and the row, with its original cells read again from
its input, in its input's errors files, so it can be fixed and imported again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.constraints import CUSTOMERS
from pipeline.errors import RowError
from pipeline.report import ReportWriter
from pipeline.write import (
    LINKS_FAILED,
    STOPPED_CODE,
    LinkBook,
    LinkRequest,
    RowResult,
    Status,
    Summary,
    account_for_unlinked,
    originals,
)

from .inputs import PreparedStep, read_chunks
from .settings import DEFAULT_CHUNK_ROWS


@dataclass
class LinkOutcomes:
    """What became of each link request, collected until the report is closed."""

    done: list[tuple[LinkRequest, str, list[RowError]]] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)

    def add(self, request: LinkRequest, cell: str, errors: list[RowError]) -> None:
        """Record one customer row's links outcome (the first one given stands)."""
        if id(request) not in self._seen:
            self._seen.add(id(request))
            self.done.append((request, cell, errors))

    def finish(
        self,
        book: LinkBook,
        report: ReportWriter,
        summary: Summary,
        prepared: Sequence[PreparedStep],
        *,
        stopped: str,
    ) -> None:
        """Amend the report with every outcome; rows never linked are ``STOPPED`` when the
        run stopped (``stopped`` says why)."""
        if stopped:
            left = [r for r in book.requests if id(r) not in self._seen]
            account_for_unlinked(left, reason=stopped, amend=self.add)
        cells = _failed_originals(self.done, prepared)
        for request, cell, errors in self.done:
            summary.count_links(cell)
            result = RowResult(request.source, request.sheet, request.row, CUSTOMERS.name,
                               request.key or request.customer, Status.CREATED,
                               id=request.customer, errors=errors)  # fmt: skip
            report.amend(result, cells.get((request.source_id, request.row)), links=cell)


def _failed_originals(
    done: Sequence[tuple[LinkRequest, str, list[RowError]]], prepared: Sequence[PreparedStep]
) -> dict[tuple[str, int], dict[str, str]]:
    """The source cells of every row whose links failed for a reason in its input (not a
    stopped run), read again from its input."""
    wanted: dict[str, set[int]] = {}
    for request, cell, errors in done:
        if cell == LINKS_FAILED and not any(e.code == STOPPED_CODE for e in errors):
            wanted.setdefault(request.source_id, set()).add(request.row)
    found: dict[tuple[str, int], dict[str, str]] = {}
    for step in prepared:
        rows = wanted.get(step.source.source_id)
        if not rows:
            continue
        for raw in read_chunks(step, DEFAULT_CHUNK_ROWS):
            hits = [row for row in raw.index.tolist() if row in rows]
            if hits:
                for row, cells in originals(raw.loc[hits]).items():
                    found[(step.source.source_id, int(row))] = dict(cells)
    return found
