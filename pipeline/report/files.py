"""Whole files the report writes in one go, each replaced atomically (a temporary file,
then ``os.replace``), so that a failed write leaves the old file or none, never half."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.api import TIMELINE_COLUMNS
from pipeline.redact import Redactor, neutralise, unneutralise
from pipeline.write import RESULT_COLUMNS


def rewrite_results(
    path: Path, amended: Mapping[tuple[str, ...], tuple[str, str]], redactor: Redactor
) -> None:
    """results.csv again, with the amended rows' ``links`` and added errors (``amended``:
    the row's first three cells -> its links and the errors to add)."""
    temporary = path.with_suffix(".csv.tmp")
    errors_at, links_at = RESULT_COLUMNS.index("errors"), RESULT_COLUMNS.index("links")
    try:
        with (
            path.open(encoding="utf-8", newline="") as src,
            temporary.open("w", encoding="utf-8", newline="") as dst,
        ):
            writer = csv.writer(dst)
            for cells in csv.reader(src):
                found = amended.get(tuple(cells[:3]))
                if found is not None:
                    links, added = found
                    old = unneutralise(cells[errors_at])
                    joined = "; ".join(t for t in (old, redactor.redact(added)) if t)
                    cells[errors_at] = neutralise(joined)
                    cells[links_at] = links
                writer.writerow(cells)
    except OSError:
        temporary.unlink(missing_ok=True)  # results.csv stays as it was: whole lines
        raise
    os.replace(temporary, path)


def write_json(path: Path, data: Mapping[str, object]) -> dict[str, object]:
    """``data`` as indented JSON; returns what the file says (as a reader will load it)."""
    temporary = path.with_suffix(".json.tmp")
    text = json.dumps(data, indent=2, default=str)
    try:
        temporary.write_text(text + "\n", encoding="utf-8")
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)
    loaded: dict[str, object] = json.loads(text)
    return loaded


def write_timeline(path: Path, rows: Sequence[Sequence[object]]) -> None:
    """timeline.csv: the run per second (``pipeline.api.Timeline``'s rows)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TIMELINE_COLUMNS)
        writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
