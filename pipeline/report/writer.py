"""The run's report directory: what became of every row, and how to fix the failures.

Files (all text passes through the run's ``Redactor``; no token ever reaches a report):

- ``results.csv``: one line per input row, in the order rows were added (``RESULT_COLUMNS``).
- ``errors.jsonl`` / ``warnings.jsonl``: one JSON object per row error / warning
  (``row, property, code, message, value, origin, source, sheet, entity``); warnings do not
  stop a row, so they are kept apart from the errors.
- ``errors.csv`` / ``errors.xlsx``: the rows that did not succeed, with their original
  headers, order and cell text plus a trailing ``errors`` column, so the fixed rows can be
  imported again with the same mapping. Written only when some row failed. With one input
  the names are exactly these; with several (a job), one pair per input named after it:
  ``errors-<file>[-<sheet>].csv`` / ``.xlsx`` (``errors-legacy-erp-Contacts.xlsx``), with
  the entity, then a number, added when two inputs would share a name.
- ``summary.json``: ``Summary.as_dict()``, ``by_entity``, then context (``started_at``,
  ``finished_at``, ``input_reports``, ``files``), then the caller's ``extra`` keys (which
  win over the context, never over the counters); ``timeline.csv``: the run per second,
  when a client ran; ``report.html``: the run at a glance (``page``), written last.

Formula safety: every cell of results.csv and errors.csv goes through ``neutralise``;
whoever reads errors.csv back applies ``pipeline.redact.unneutralise`` to headers and
cells. errors.xlsx stores text cells, which never run, and needs no prefix
(``pipeline.report.xlsx``).

Streaming: rows are written out as whole lines every ``FLUSH_EVERY_ROWS`` rows or
``FLUSH_EVERY_SECONDS``, so a crash leaves a valid results.csv; leaving the ``with`` block,
even by an exception, writes everything and a summary marked ``"interrupted": true``.

A write that fails (no space, read-only, not a folder): the folder is checked before
anything else (``pipeline.report.folder.prepare_folder``); mid-run, the first failed write
raises ``ReportError`` (one line: the file and the cause) and the writer is *broken*:
later rows are only counted, and ``close`` writes what still can be (every file cut back
to whole lines, summary.json if there is room) without raising, and returns the cause
as ``ReportPaths.incomplete``.
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import TracebackType

from pipeline.errors import ReportError, RowError
from pipeline.redact import FORMULA_START, QUOTE, Redactor, neutralise
from pipeline.write import RESULT_COLUMNS, RowResult, Status, Summary, is_success

from .bundle import default_cache
from .files import rewrite_results, write_json, write_timeline
from .folder import prepare_folder, writing
from .inputs import InputReport, LineFile, free_stem, stem_for
from .page import write_report_page
from .tally import ErrorTally
from .xlsx import ERRORS_COLUMN

FLUSH_EVERY_ROWS = 1000
FLUSH_EVERY_SECONDS = 2.0

#: A cell whose first character is none of these cannot need ``neutralise``.
_SUSPECT_FIRST = frozenset((*FORMULA_START, QUOTE))


@dataclass(frozen=True)
class ReportPaths:
    """Where the report files are."""

    directory: Path
    results: Path
    errors_jsonl: Path
    warnings_jsonl: Path
    errors_csv: list[Path]
    errors_xlsx: list[Path]
    summary: Path
    #: Why the report is incomplete ('' when it is whole): a write failed (``ReportError``).
    incomplete: str = ""
    #: Rows results.csv holds (whole lines), when it is incomplete.
    rows_written: int = 0
    html: Path | None = None  # report.html
    timeline: Path | None = None  # timeline.csv, when a client ran


class ReportWriter:
    """Streams a run's report into ``directory`` (created if missing).

    Call ``begin_input`` before the rows of each input, ``add`` once per row in input
    order, then ``close`` with the run's summary. Also a context manager; ``close`` is
    idempotent. ``cache`` is where report.html's chart library is kept between runs
    (default: the state folder's ``cache/``).
    """

    def __init__(self, directory: Path, *, redactor: Redactor, cache: Path | None = None) -> None:
        self.directory = prepare_folder(directory)
        self._cache = cache
        self._redactor = redactor
        self._started_at = datetime.now(UTC)
        #: The first failed write; from then on rows are counted, not written.
        self.failure: ReportError | None = None
        self._raising = True
        with writing(self.directory):
            self._results = LineFile(self.directory / "results.csv")
            self._results_csv = csv.writer(self._results)
            self._results_csv.writerow(RESULT_COLUMNS)
            self._results.flush()
            self._errors = LineFile(self.directory / "errors.jsonl")
            self._warnings = LineFile(self.directory / "warnings.jsonl")
        self._rows_added = self._rows_flushed = 0
        self._inputs: list[InputReport] = []
        self._column_of: list[Mapping[str, str]] = []  # per input: property -> column
        self._tally = ErrorTally()
        self._counted: Counter[tuple[str, Status]] = Counter()
        self._unflushed = 0
        self._flushed_at = time.monotonic()
        self._paths: ReportPaths | None = None
        #: (source, sheet, row) cells of results.csv -> (links cell, errors to add)
        self._amended: dict[tuple[str, ...], tuple[str, str]] = {}

    def begin_input(
        self,
        *,
        source: str,
        sheet: str,
        entity: str,
        columns: Sequence[str],
        column_of: Mapping[str, str],
        delimiter: str = ",",
        encoding: str = "utf-8",
        keep_open: bool = False,
    ) -> None:
        """Start the rows of one input.

        ``columns`` are the input's original headers in order; ``column_of`` maps a
        property path to the source column it was mapped from (to highlight bad cells).
        ``delimiter`` and ``encoding`` are the input's, for errors.csv to import again.
        A trailing ``errors`` column (an errors file imported again) is replaced.
        ``keep_open`` keeps the input's errors files open until ``close``, for ``amend``.
        """
        self._check_open()
        if self._inputs and not self._inputs[-1].keep_open and self.failure is None:
            with self._writing():
                self._inputs[-1].close()
        names = list(columns)
        if names and names[-1] == ERRORS_COLUMN:
            names.pop()
        positions: dict[str, list[int]] = {}
        for prop, column in column_of.items():
            positions[prop] = [n for n, name in enumerate(names) if name == column]
        stem = free_stem(stem_for(source, sheet), entity, {one.stem for one in self._inputs})
        self._column_of.append(dict(column_of))
        self._inputs.append(
            InputReport(
                source, sheet, entity, names, positions, delimiter, encoding, stem, keep_open
            )
        )

    def add(self, result: RowResult, original: Mapping[str, str]) -> None:
        """Record one row's outcome; ``original`` maps source column -> cell text."""
        self._check_open()
        if not self._inputs:
            raise RuntimeError("ReportWriter.add() before begin_input()")
        self._counted[result.entity, result.status] += 1
        if self.failure is not None:
            return  # broken: the rows are counted for the summary, not written
        self._results_csv.writerow(self._result_cells(result))
        self._rows_added += 1
        current = self._inputs[-1]
        self._tally.add(result, self._column_of[-1])
        for error in result.errors:
            self._errors.write(self._json_line(error, current))
        for warning in result.warnings:
            self._warnings.write(self._json_line(warning, current))
        if not is_success(result):  # a skip because the record exists is not for fixing
            with self._writing():
                current.add_failed(
                    result, original, redactor=self._redactor, directory=self.directory
                )
        self._unflushed += 1
        if (
            self._unflushed >= FLUSH_EVERY_ROWS
            or time.monotonic() - self._flushed_at >= FLUSH_EVERY_SECONDS
        ):
            self.flush()

    def amend(self, result: RowResult, original: Mapping[str, str] | None, *, links: str) -> None:
        """Add to a row already reported: its ``links`` cell and ``result.errors`` (issue #14).

        results.csv is rewritten once, at ``close``, with the amended cells (its lines
        stay whole and in order meanwhile). A row with errors gets them in errors.jsonl,
        and, when ``original`` is given, a line in its input's errors files (kept open
        with ``begin_input(keep_open=True)``), so the row can be fixed and imported again.
        """
        self._check_open()
        if self.failure is not None:
            return
        at = next(
            n
            for n, one in enumerate(self._inputs)
            if (one.source, one.sheet) == (result.source, result.sheet)
        )
        current = self._inputs[at]
        self._tally.add(result, self._column_of[at])
        key = tuple(self._result_cells(result)[:3])
        self._amended[key] = (links, result.error_text())
        for error in result.errors:
            self._errors.write(self._json_line(error, current))
        if result.errors and original is not None:
            with self._writing():
                current.add_failed(
                    result, original, redactor=self._redactor, directory=self.directory
                )

    def stop_raising(self) -> None:
        """From now on a failed write is kept (``failure``), not raised: for a run that is
        stopping, which must still count every row."""
        self._raising = False

    def flush(self) -> None:
        """Write every buffered line out (nothing once a write failed)."""
        if self.failure is not None:
            return
        line_files = [self._results, self._errors, self._warnings]
        if self._inputs and self._inputs[-1].csv_file is not None:
            line_files.append(self._inputs[-1].csv_file)
        for line_file in line_files:
            with self._writing(line_file.path):
                line_file.flush()
            if self.failure is not None:
                return  # not raising: the run is stopping (``stop_raising``)
            if line_file is self._results:
                self._rows_flushed = self._rows_added
        self._unflushed = 0
        self._flushed_at = time.monotonic()

    def close(
        self,
        summary: Summary,
        *,
        extra: Mapping[str, object] | None = None,
        timeline: Sequence[Sequence[object]] | None = None,
        changes: Mapping[str, object] | None = None,
    ) -> ReportPaths:
        """Finish every file, write summary.json, then timeline.csv (``timeline``: the
        ``Timeline`` rows) and report.html (``changes``: a preview's ``ChangeTally``
        records); returns the paths (idempotent).

        Never raises for a failed write: the report is then ``incomplete`` (the cause).
        """
        if self._paths is not None:
            return self._paths
        self._attempt(self.flush)
        for line_file in (self._results, self._errors, self._warnings):
            self._attempt(line_file.close, line_file.path)
        if self._amended:
            self._attempt(
                lambda: rewrite_results(self._results.path, self._amended, self._redactor),
                self._results.path,
            )
        for one in self._inputs:
            self._attempt(one.close)
        if self.failure is not None:
            self._abandon()
        if len(self._inputs) == 1:
            self._attempt(lambda: self._drop_entity_suffix(self._inputs[0]))
        errors_files = [p for one in self._inputs for p in one.paths]
        failure = str(self.failure) if self.failure is not None else ""
        self._paths = ReportPaths(
            directory=self.directory,
            results=self._results.path,
            errors_jsonl=self._errors.path,
            warnings_jsonl=self._warnings.path,
            errors_csv=[p for p in errors_files if p.suffix == ".csv"],
            errors_xlsx=[p for p in errors_files if p.suffix == ".xlsx"],
            summary=self.directory / "summary.json",
            incomplete=failure,
            rows_written=self._rows_flushed if failure else self._rows_added,
            html=self.directory / "report.html",
            timeline=self.directory / "timeline.csv" if timeline is not None else None,
        )
        # A summary that does not fit is left out; the console names the cause.
        incomplete = {"incomplete": failure} if failure else {}
        data: dict[str, object] | None = None
        with suppress(ReportError), self._writing(self._paths.summary):
            data = self._write_summary(summary, {**(extra or {}), **incomplete})
        if timeline is not None:
            where = self._paths.timeline
            self._attempt(lambda: write_timeline(self.directory / "timeline.csv", timeline), where)
        if data is not None:
            page = partial(
                write_report_page, self.directory, summary=data, timeline=timeline,
                errors=[self._redactor.redact_mapping(r) for r in self._tally.records()],
                changes=changes, cache=self._cache or default_cache(),
            )  # fmt: skip
            self._attempt(page, self._paths.html)
        if self.failure is not None and not failure:  # a file at the end did not fit
            self._paths = replace(self._paths, incomplete=str(self.failure))
        return self._paths

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._paths is None:
            # Nobody closed us with the real counters: report the rows seen so far.
            counted = Summary()
            for (entity, status), rows in self._counted.items():
                counted.count_all({status: rows}, entity=entity)
            self.close(counted, extra={"interrupted": exc_type is not None})

    def _result_cells(self, result: RowResult) -> list[str]:
        http = "" if result.http_status is None else str(result.http_status)
        errors = result.error_text() if result.errors else ""
        texts = [str(result.source), str(result.sheet), str(result.row), str(result.entity),
                 str(result.key), result.status.value, http, str(result.id), errors,
                 ""]  # fmt: skip
        # Most cells start with a letter or digit: only the others can need a quote.
        return [
            neutralise(text) if text[:1] in _SUSPECT_FIRST else text
            for text in self._redactor.redact_all(texts)
        ]

    def _json_line(self, error: RowError, current: InputReport) -> str:
        record = {
            "row": error.row, "property": error.property, "code": error.code,
            "message": error.message, "value": error.value, "origin": error.origin,
            "source": current.source, "sheet": current.sheet, "entity": current.entity,
        }  # fmt: skip
        redacted = self._redactor.redact_mapping(record)
        return json.dumps(redacted, ensure_ascii=False, default=str) + "\n"

    def _drop_entity_suffix(self, only: InputReport) -> None:
        renamed = []
        for path in only.paths:
            target = path.with_name(f"errors{path.suffix}")
            os.replace(path, target)
            renamed.append(target)
        only.paths = renamed

    def _write_summary(self, summary: Summary, extra: Mapping[str, object]) -> dict[str, object]:
        assert self._paths is not None
        context: dict[str, object] = {
            "started_at": self._started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "input_reports": [one.describe() for one in self._inputs],
            "files": {
                "results": self._paths.results.name,
                "errors_jsonl": self._paths.errors_jsonl.name,
                "warnings_jsonl": self._paths.warnings_jsonl.name,
                "html": "report.html",
                **({"timeline": "timeline.csv"} if self._paths.timeline else {}),
            },
        }
        context.update(extra)
        data: dict[str, object] = dict(summary.as_dict())
        data["by_entity"] = summary.entity_counts()
        for key, value in self._redactor.redact_mapping(context).items():
            data.setdefault(key, value)  # the counters are the contract: never overridden
        return write_json(self._paths.summary, data)

    def _check_open(self) -> None:
        if self._paths is not None:
            raise RuntimeError("the report is closed")

    @contextmanager
    def _writing(self, path: Path | None = None) -> Iterator[None]:
        """A failed write: ``ReportError`` naming ``path`` (or the file the error names),
        and the writer broken from now on (the first failure is the one kept)."""
        try:
            with writing(path or self.directory):
                yield
        except ReportError as exc:
            if self.failure is None:
                self.failure = exc
            if self._raising:
                raise

    def _attempt(self, step: Callable[[], object], path: Path | None = None) -> None:
        """Run one step of ``close`` unless a write failed already; a failure is kept."""
        if self.failure is None:
            with suppress(ReportError), self._writing(path):
                step()

    def _abandon(self) -> None:
        """Close every file without writing more, each cut back to whole lines."""
        for line_file in (self._results, self._errors, self._warnings):
            line_file.abandon()
        for one in self._inputs:
            one.abandon()
