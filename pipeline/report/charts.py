"""report.html's charts as Vega-Lite specs, written with Vega-Altair.

Altair checks every spec against Vega-Lite's schema when it is built, so a wrong
encoding fails here, in Python, not as a blank chart in someone's browser. Each chart
reads a named dataset (``alt.Data(name=...)``): the page holds the data once, beside the
specs, and the browser's Vega-Embed draws them (``pipeline.report.bundle``).

Altair is imported when a page is written, never by ``import pipeline``.
"""

from __future__ import annotations

import json
from typing import Any

#: Colours of the row statuses: successes green/blue/grey, failures warm.
STATUS_COLOURS = {
    "created": "#2e7d32",
    "updated": "#1565c0",
    "unchanged": "#9e9e9e",
    "valid": "#00897b",
    "skipped": "#c5cae9",
    "invalid": "#f9a825",
    "rejected": "#e53935",
    "failed": "#8e0000",
}
ACTION_COLOURS = {"create": "#2e7d32", "update": "#1565c0", "link": "#6a1b9a"}
WIDTH = 560
#: Bars of a top list: the rest is in the table and the errors files.
TOP = 20

Spec = dict[str, Any]


def _alt() -> Any:
    import altair as alt

    return alt


def _bar_height(count: int, *, bar: int = 20) -> int:
    return max(60, min(count, TOP) * bar)


def _rows_by_status(dataset: str, title: str, *, by: str, stack: str, height: int) -> Any:
    """A bar of rows per ``by``, stacked by ``stack`` in the status colours (dataset
    ``dataset``: ``by``, ``stack``, rows)."""
    alt = _alt()
    colours = alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values()))
    return (
        alt.Chart(alt.Data(name=dataset), title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{by}:N", title=None, sort=None),
            x=alt.X("sum(rows):Q", title="rows"),
            color=alt.Color(f"{stack}:N", scale=colours, title=stack),
            tooltip=[f"{by}:N", f"{stack}:N", alt.Tooltip("rows:Q", format=",")],
        )
        .properties(width=WIDTH, height=height)
    )


def outcome_chart(entities: int) -> Spec:
    """Rows per entity, stacked by status (dataset ``outcome``: entity, status, rows)."""
    alt = _alt()
    chart = _rows_by_status(
        "outcome", "Rows per entity, by status", by="entity", stack="status",
        height=max(40, entities * 36),
    ).encode(order=alt.Order("order:Q"))  # fmt: skip
    return dict(chart.to_dict())


def errors_chart(kinds: int) -> Spec:
    """The top column-and-code pairs ("zip · E04320"), then rows by code and by column
    (dataset ``errors``: entity, column, property, code, rows, label)."""
    alt = _alt()
    tooltip = ["entity:N", "column:N", "property:N", "code:N", alt.Tooltip("rows:Q", format=",")]
    base = alt.Chart(alt.Data(name="errors"))
    pairs = base.transform_window(
        rank="row_number()", sort=[alt.SortField("rows", order="descending")]
    ).transform_filter(alt.datum.rank <= TOP)
    bars = pairs.mark_bar(color="#e53935").encode(
        y=alt.Y("label:N", title=None, sort="-x"),
        x=alt.X("rows:Q", title="rows"),
        tooltip=tooltip,
    )
    text = pairs.mark_text(align="left", dx=4).encode(
        y=alt.Y("label:N", sort="-x"), x="rows:Q", text=alt.Text("rows:Q", format=",")
    )
    top = (bars + text).properties(
        title="Rows with an error, by column and code", width=WIDTH, height=_bar_height(kinds)
    )

    def by(field: str, title: str) -> Any:
        return (
            base.mark_bar()
            .encode(
                y=alt.Y(f"{field}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=160)),
                x=alt.X("sum(rows):Q", title="rows"),
                color=alt.Color("code:N", legend=None),
                tooltip=tooltip,
            )
            .properties(title=title, width=WIDTH // 2 - 40, height=_bar_height(kinds, bar=14))
        )

    chart = alt.vconcat(top, alt.hconcat(by("code", "By code"), by("column", "By column")))
    return dict(chart.to_dict())


def timeline_chart(step: int) -> Spec:
    """The run over time (dataset ``timeline``, one row per ``step`` seconds): calls per
    second against the budget's rate with the 429s, the window and what is in flight,
    and rows settled per second."""
    alt = _alt()
    unit = "per second" if step == 1 else f"per second, mean of {step} s"
    x = alt.X("second:Q", title="seconds since the start")
    base = alt.Chart(alt.Data(name="timeline")).properties(width=WIDTH + 140, height=150)

    def lines(fields: dict[str, str], title: str, colours: list[str]) -> Any:
        return (
            base.transform_fold(list(fields), as_=["series", "value"])
            .transform_calculate(label=_label_expression(fields))
            .transform_filter("isValid(datum.value)")
            .mark_line(interpolate="step-after")
            .encode(
                x=x,
                y=alt.Y("value:Q", title=title),
                color=alt.Color(
                    "label:N",
                    title=None,
                    scale=alt.Scale(domain=list(fields.values()), range=colours),
                ),
                strokeDash=alt.condition(
                    alt.datum.series == "budget_rate", alt.value([6, 3]), alt.value([1, 0])
                ),
                tooltip=["second:Q", "label:N", alt.Tooltip("value:Q", format=",.1f")],
            )
        )

    calls = lines(
        {"calls": "calls", "budget_rate": "budget's rate", "responses_429": "429 answers"},
        f"calls {unit}",
        ["#1565c0", "#ef6c00", "#e53935"],
    ).properties(title="Calls against the budget's rate, and 429s")
    window = lines(
        {"window": "window (allowed)", "in_flight": "in flight"},
        "requests",
        ["#9e9e9e", "#6a1b9a"],
    ).properties(title="The window: requests in flight")
    settled = (
        base.mark_area(color="#2e7d32", opacity=0.7, interpolate="step-after")
        .encode(x=x, y=alt.Y("rows_settled:Q", title=f"rows {unit}"), tooltip=["second:Q"])
        .properties(title="Rows settled")
    )
    chart = alt.vconcat(calls, window, settled).resolve_scale(color="independent")
    return dict(chart.resolve_legend(color="independent").to_dict())


def _label_expression(fields: dict[str, str]) -> str:
    parts = [f"datum.series === {json.dumps(k)} ? {json.dumps(v)}" for k, v in fields.items()]
    return " : ".join(parts) + " : datum.series"


def changes_chart(entities: int, properties: int) -> Spec:
    """A preview: rows per entity by action (dataset ``change_rows``) and lines per
    property by action (dataset ``change_properties``)."""
    alt = _alt()
    colours = alt.Scale(
        domain=[*ACTION_COLOURS, "unchanged", "skip"],
        range=[*ACTION_COLOURS.values(), STATUS_COLOURS["unchanged"], STATUS_COLOURS["skipped"]],
    )
    rows = (
        alt.Chart(alt.Data(name="change_rows"), title="Rows per entity, by planned action")
        .mark_bar()
        .encode(
            y=alt.Y("entity:N", title=None),
            x=alt.X("sum(rows):Q", title="rows"),
            color=alt.Color("action:N", scale=colours, title="action"),
            tooltip=["entity:N", "action:N", alt.Tooltip("rows:Q", format=",")],
        )
        .properties(width=WIDTH, height=max(40, entities * 36))
    )
    props = (
        alt.Chart(alt.Data(name="change_properties"), title="Properties that would change")
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            x=alt.X("sum(lines):Q", title="rows"),
            color=alt.Color("action:N", scale=colours, legend=None),
            tooltip=["entity:N", "property:N", "action:N", alt.Tooltip("lines:Q", format=",")],
        )
        .properties(width=WIDTH, height=max(60, min(properties, 40) * 18))
    )
    return dict(alt.vconcat(rows, props).to_dict())


def plan_chart() -> Spec:
    """The plan's estimate beside the time the run took (dataset ``plan``: what, seconds)."""
    alt = _alt()
    chart = (
        alt.Chart(alt.Data(name="plan"), title="Planned and actual time")
        .mark_bar()
        .encode(
            y=alt.Y("what:N", title=None, sort=None),
            x=alt.X("seconds:Q", title="seconds"),
            color=alt.Color("what:N", legend=None, scale=alt.Scale(range=["#9e9e9e", "#1565c0"])),
            tooltip=["what:N", alt.Tooltip("seconds:Q", format=",.1f")],
        )
        .properties(width=WIDTH, height=60)
    )
    return dict(chart.to_dict())


def fleet_chart(agreements: int) -> Spec:
    """Rows per agreement by outcome and each one's time (dataset ``fleet``: name,
    outcome, rows; dataset ``fleet_time``: name, elapsed_s)."""
    alt = _alt()
    height = max(40, min(agreements, 60) * 20)
    outcome = _rows_by_status(
        "fleet", "Rows per agreement, by outcome", by="name", stack="outcome", height=height
    )
    elapsed = (
        alt.Chart(alt.Data(name="fleet_time"), title="Time per agreement")
        .mark_bar(color="#1565c0")
        .encode(
            y=alt.Y("name:N", title=None, sort=None),
            x=alt.X("elapsed_s:Q", title="seconds"),
            tooltip=["name:N", alt.Tooltip("elapsed_s:Q", format=",.1f")],
        )
        .properties(width=WIDTH, height=height)
    )
    return dict(alt.vconcat(outcome, elapsed).to_dict())
