"""The pieces report.html and fleet.html are made of: escaped HTML and the page around them.

Every text that came from a report (cells, paths, messages) goes through ``escape``;
the data for the charts goes in a ``<script type="application/json">`` with every ``<``
written as ``\\u003c``, so no cell can close the script or open a tag.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .bundle import javascript_bundle


def escape(value: object) -> str:
    """``value`` as HTML text."""
    return html.escape(str(value), quote=True)


def link(name: str, text: str | None = None) -> str:
    """A link to a file in the same folder (or a relative path)."""
    return f'<a href="{escape(quote(name))}">{escape(text if text is not None else name)}</a>'


def paragraph(text: str, *, id: str = "", cls: str = "") -> str:
    """``<p>``: ``text`` is HTML already (escape its parts)."""
    attributes = (f' id="{id}"' if id else "") + (f' class="{cls}"' if cls else "")
    return f"<p{attributes}>{text}</p>"


def section(title: str, id: str, body: str) -> str:
    """One boxed part of the page."""
    return f'<section id="{id}"><h2>{escape(title)}</h2>\n{body}\n</section>'


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


_CELL_CLASS = {"n": ' class="n"', "errors": ' class="errors"'}


def cards(counts: Iterable[tuple[str, object, bool]], *, prefix: str) -> str:
    """A row of big numbers (name, value, stands out); each card's number has the id
    ``<prefix>-<name>`` and its exact value in ``data-value``."""
    parts = []
    for name, value, bad in counts:
        cls = "card bad" if bad else "card"
        parts.append(
            f'<div class="{cls}"><b id="{prefix}-{escape(name)}" data-value="{escape(value)}">'
            f"{escape(_number(value))}</b><span>{escape(name)}</span></div>"
        )
    return '<div class="cards">' + "".join(parts) + "</div>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    numeric: set[str] = frozenset(),  # type: ignore[assignment]
    id: str = "",
    status_column: int | None = None,
    link_column: int | None = None,
) -> str:
    """An HTML table; ``numeric`` columns align right; ``status_column``'s cell becomes
    the row's ``data-status``; ``link_column``'s cell a link to that file."""
    heads = "".join(
        f'<th class="n">{escape(h)}</th>' if h in numeric else f"<th>{escape(h)}</th>"
        for h in headers
    )
    lines = []
    for row in rows:
        cells = []
        for n, (header, value) in enumerate(zip(headers, row, strict=True)):
            if n == link_column:
                text = link(str(value), Path(str(value)).name) if value else ""
            else:
                text = escape(_number(value))
            cls = (
                ' class="n"'
                if header in numeric
                else (' class="errors"' if header == "errors" else "")
            )
            cells.append(f"<td{cls}>{text}</td>")
        status = f' data-status="{escape(row[status_column])}"' if status_column is not None else ""
        lines.append(f"<tr{status}>{''.join(cells)}</tr>")
    attribute = f' id="{id}"' if id else ""
    return (
        f"<table{attribute}><thead><tr>{heads}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )


def plan_rows(summary: Mapping[str, Any], plan: Mapping[str, Any]) -> list[list[str]]:
    """The plan against the run: rows, calls and seconds, planned and actual."""
    elapsed = float(summary.get("elapsed_s", 0))
    if plan.get("seconds") is None:
        return [
            ["plan", "none (a dry run, or no budget known)"],
            ["actual time", f"{elapsed:,.1f} s"],
        ]
    planned = float(plan["seconds"])
    ratio = f" ({elapsed / planned:.1f}× the plan)" if planned > 0 else ""
    return [
        ["planned", f"{plan.get('rows', '?'):,} rows, about {plan.get('calls', '?'):,} calls, "
                    f"{planned:,.1f} s"],
        ["actual", f"{summary.get('rows', 0):,} rows, {summary.get('requests', 0):,} calls, "
                   f"{elapsed:,.1f} s{ratio}"],
    ]  # fmt: skip


def where_rows(summary: Mapping[str, Any], directory: Path) -> list[list[str]]:
    """The report folder, its files and the state files."""
    rows = [["report folder", str(directory.resolve())]]
    state = summary.get("state") or {}
    for name in ("journal", "ledger"):
        rows.append([name, str(state.get(name) or "none (kept in memory for this run)")])
    return rows


def render_page(*, title: str, body: str, data: Mapping[str, Any], cache: Path | None) -> str:
    """The whole page: the template with the body, the data and the charts' bundle."""
    template = resources.files(__package__).joinpath("assets/page.html").read_text("utf-8")
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    blob = blob.replace("<", "\\u003c")
    vega = javascript_bundle(cache) if data.get("charts") else ""
    # The template is cut at its markers first: nothing inserted is searched for markers.
    pieces = {"__TITLE__": escape(title), "__BODY__": body, "__DATA__": blob, "__VEGA__": vega}
    out, rest = [], template
    for marker, text in pieces.items():
        before, rest = rest.split(marker, 1)
        out += [before, text]
    return "".join([*out, rest])
