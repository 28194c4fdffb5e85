"""What report.html counts as the rows go by: errors by column and code, a preview's changes.

Counting while the report streams costs nothing per row and spares the page a second read
of errors.jsonl or changes.csv (millions of lines for a large preview).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from pipeline.write import RowResult


class ErrorTally:
    """Rows with an error, by entity, source column (the property when unmapped) and code.

    A row counts once per (column, code) however many messages it has there, so that
    "380 rows: zip, E04320" means 380 rows.
    """

    def __init__(self) -> None:
        self._rows: Counter[tuple[str, str, str, str]] = Counter()

    def add(self, result: RowResult, column_of: Mapping[str, str]) -> None:
        """Count ``result``'s errors; ``column_of`` maps a property to its source column."""
        seen = {
            (result.entity, column_for(e.property, column_of), e.property, e.code)
            for e in result.errors
        }
        self._rows.update(seen)

    def records(self) -> list[dict[str, object]]:
        """``{entity, column, property, code, rows}``, most rows first."""
        return [
            {"entity": e, "column": c, "property": p, "code": code, "rows": n}
            for (e, c, p, code), n in self._rows.most_common()
        ]


def column_for(prop: str, column_of: Mapping[str, str]) -> str:
    """The source column of ``prop``; for an object the API names (``customerGroup``,
    "not found"), the column of its one mapped part; else the property itself."""
    found = column_of.get(prop)
    if found is not None:
        return found
    parts = {column for path, column in column_of.items() if path.startswith(f"{prop}.")}
    return parts.pop() if len(parts) == 1 else prop


class ChangeTally:
    """A preview's planned writes: rows per entity and action, lines per property."""

    def __init__(self) -> None:
        self._rows: Counter[tuple[str, str]] = Counter()
        self._lines: Counter[tuple[str, str, str]] = Counter()

    def add(self, entity: str, action: str, properties: list[str], *, links: bool) -> None:
        """One row's planned write (``links``: its link PUT, counted apart)."""
        self._rows[entity, "link" if links else action] += 1
        self._lines.update((entity, action, prop) for prop in properties)

    def records(self) -> dict[str, list[dict[str, object]]]:
        """``rows``: ``{entity, action, rows}``; ``properties``: ``{entity, action,
        property, lines}``, most first."""
        return {
            "rows": [
                {"entity": e, "action": a, "rows": n} for (e, a), n in self._rows.most_common()
            ],
            "properties": [
                {"entity": e, "action": a, "property": p, "lines": n}
                for (e, a, p), n in self._lines.most_common()
            ],
        }
