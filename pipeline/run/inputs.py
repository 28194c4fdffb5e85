"""The inputs of a run: opened and checked before the first request, then read in chunks.

``prepare`` opens every input and checks every mapping, so a configuration mistake costs
nothing; ``read_chunks`` reads a prepared input a chunk at a time (an errors file of an
earlier report restored to what was typed); ``begin_input`` and ``add_results`` write an
input's part of the report.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.constraints import Entity, entity
from pipeline.errors import ConfigError
from pipeline.mapping import Mapping as ColumnMapping
from pipeline.mapping import identity_mapping, load_mapping
from pipeline.read import Table, fingerprint, open_frame, open_table
from pipeline.redact import unneutralise
from pipeline.report import ERRORS_COLUMN, ReportWriter
from pipeline.state import SourceRef
from pipeline.write import (
    CURRENT_NUMBER,
    LINK_COLUMNS,
    RENUMBER_MODES,
    RowResult,
    Summary,
    is_success,
    originals,
)

from .settings import Step


@dataclass(frozen=True)
class PreparedStep:
    """A step whose input opened and whose mapping checked out against its columns."""

    step: Step
    entity: Entity
    table: Table
    mapping: ColumnMapping
    source: SourceRef
    reimport: bool = False

    @property
    def label(self) -> str:
        return self.source.path


def prepare(steps: Sequence[Step], *, mode: str | None = None) -> list[PreparedStep]:
    """Open every input and check every mapping; raises before anything is sent.

    With ``mode``, a mapping that renumbers customers (``currentCustomerNumber``) must be
    run in a mode that updates (``pipeline.write.renumber``).
    """
    if not steps:
        raise ConfigError("nothing to import: give an input file or --job")
    prepared = [_prepare_step(step) for step in steps]
    if mode is not None and mode not in RENUMBER_MODES:
        for one in prepared:
            _refuse_renumbering(one, mode)
    return prepared


def _refuse_renumbering(step: PreparedStep, mode: str) -> None:
    source = next((r.source for r in step.mapping.rules if r.property == CURRENT_NUMBER), None)
    if source is None and CURRENT_NUMBER not in step.mapping.properties():
        return
    what = f"column '{source}' is" if source else "a constant or default is"
    raise ConfigError(
        f"{step.label}: {what} mapped to {CURRENT_NUMBER} (renumbering), which updates "
        f"existing customers: use --mode {' or --mode '.join(RENUMBER_MODES)}, not {mode}"
    )


def _prepare_step(step: Step) -> PreparedStep:
    target = entity(step.entity)
    mapping = None if step.mapping is None else load_mapping(step.mapping, entity=step.entity)
    if step.frame is not None:
        return _prepare_frame(step, target, mapping)
    table = open_table(
        step.input,
        sheet=step.sheet or (mapping.sheet if mapping else None),
        skip_rows=mapping.skip_rows if mapping else 0,
    )
    reimport = is_errors_file(table)
    columns = [unneutralise(c) if reimport else c for c in table.columns if c != ERRORS_COLUMN]
    if mapping is None:
        mapping = identity_mapping(target, columns)
    mapping.check_columns(columns, source=step.input)
    source = SourceRef(
        path=_display(step.input),
        sheet=table.sheet,
        entity=target.name,
        fingerprint=fingerprint(step.input),
    )
    return PreparedStep(
        step=step, entity=target, table=table, mapping=mapping, source=source, reimport=reimport
    )


def _prepare_frame(step: Step, target: Entity, mapping: ColumnMapping | None) -> PreparedStep:
    """A DataFrame's step: named by ``step.input`` as given, not as a path of this folder."""
    table, digest = open_frame(step.frame, name=str(step.input))  # type: ignore[arg-type]
    if mapping is None:
        mapping = identity_mapping(target, table.columns)
    mapping.check_columns(table.columns, source=step.input)
    source = SourceRef(path=str(step.input), sheet="", entity=target.name, fingerprint=digest)
    return PreparedStep(step=step, entity=target, table=table, mapping=mapping, source=source)


def is_errors_file(table: Table) -> bool:
    """True for an errors.csv/xlsx of an earlier report: its last column is ``errors``."""
    return bool(table.columns) and table.columns[-1] == ERRORS_COLUMN


def read_chunks(step: PreparedStep, rows: int) -> Iterator[pd.DataFrame]:
    """The input's chunks; an errors.csv's neutralised cells restored to what they were."""
    for chunk in step.table.chunks(rows):
        if step.reimport:
            chunk = chunk.drop(columns=[ERRORS_COLUMN])
            if step.table.delimiter is not None:  # only CSV cells carry the quote prefix
                chunk.columns = [unneutralise(c) for c in chunk.columns]
                chunk = chunk.map(unneutralise)
        yield chunk


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def begin_input(report: ReportWriter, step: PreparedStep) -> None:
    """Start the report's section for one input."""
    column_of = {rule.property: rule.source for rule in step.mapping.rules}
    if step.mapping.key:
        # A repeated source key's error names the key column itself (``Validator``).
        column_of.setdefault(step.mapping.key, step.mapping.key)
    columns = [c for c in step.table.columns if not (step.reimport and c == ERRORS_COLUMN)]
    report.begin_input(
        source=step.label,
        sheet=step.source.sheet,
        entity=step.entity.name,
        columns=columns,
        column_of=column_of,
        delimiter=step.table.delimiter or ",",
        encoding=_report_encoding(step.table.encoding),
        keep_open=has_links(step),
    )


def has_links(step: PreparedStep) -> bool:
    """True when the input's rows may ask for links (``pipeline.write.links``)."""
    return any(path in LINK_COLUMNS for path in step.mapping.properties())


def add_results(
    report: ReportWriter, summary: Summary, raw: pd.DataFrame, results: Sequence[RowResult]
) -> None:
    """Count a batch's results in ``summary`` and write them to the report.

    Counted first: a report write that fails (``ReportError``) stops the run, whose exit
    code and summary must still count the rows of this batch that were written.
    """
    # A batch is one input's, so of one entity; counted apart should that ever change.
    for name in dict.fromkeys(r.entity for r in results):
        summary.count_results([r for r in results if r.entity == name], entity=name)
    # The original cells are only written for rows that did not succeed (errors.csv/xlsx).
    failed = [r.row for r in results if not is_success(r)]
    cells = originals(raw.loc[failed]) if failed else {}
    for result in results:
        report.add(result, cells.get(result.row, {}))


def _report_encoding(encoding: str | None) -> str:
    """An errors.csv in the input's own encoding, so the same mapping reads it back."""
    if encoding is None or encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-16"):
        return "utf-8"
    return encoding
