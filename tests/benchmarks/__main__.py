"""``python -m tests.benchmarks [NAME ...]``: run benchmarks, print one table, save JSON.

Without names every benchmark runs (``make bench``, several minutes). The table shows each
figure beside its goal; ``reports/bench.json`` keeps the figures of every benchmark run
so far (a benchmark run alone replaces only its own lines) and the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tests.benchmarks import bigfiles, budget, fleet, naive, overhead
from tests.benchmarks.common import ROOT, Figure, machine

#: Name -> benchmark, in the order ``make bench`` runs them (cheapest first).
BENCHMARKS: dict[str, Callable[[], list[Figure]]] = {
    "overhead": overhead.run,
    "naive": naive.run,
    "bigfiles": bigfiles.run,
    "budget": budget.header,
    "budget-adaptive": budget.adaptive,
    "fleet": fleet.run,
}
OUTPUT = ROOT / "reports" / "bench.json"


def _value(figure: Figure) -> str:
    if figure.unit == "ratio":
        return f"{figure.value:.3f}"
    if abs(figure.value) >= 100:
        return f"{figure.value:,.0f} {figure.unit}"
    return f"{figure.value:.2f} {figure.unit}"


def render(figures: list[Figure]) -> str:
    """The table: benchmark, figure, value, goal, and whether the goal is met."""
    rows = [("benchmark", "figure", "value", "goal", "")]
    for f in figures:
        verdict = {True: "ok", False: "MISSED", None: ""}[f.met]
        rows.append((f.bench, f.name, _value(f), f.goal, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _save(groups: dict[str, list[Figure]], seconds: dict[str, float]) -> None:
    old = json.loads(OUTPUT.read_text()) if OUTPUT.exists() else {}
    kept = [f for f in old.get("figures", []) if f.get("bench_group") not in groups]
    new = [
        {
            "bench_group": group,
            "bench": f.bench,
            "figure": f.name,
            "value": round(f.value, 4),
            "unit": f.unit,
            "goal": f.goal,
            "met": f.met,
            "detail": f.detail,
        }
        for group, figures in groups.items()
        for f in figures
    ]
    data = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "seconds": {**old.get("seconds", {}), **seconds},
        "figures": kept + new,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (default: all), print the table, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], metavar="NAME",
                        help=f"any of: {', '.join(BENCHMARKS)} (default: all)")  # fmt: skip
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    print(f"machine: {json.dumps(machine())}", flush=True)
    groups: dict[str, list[Figure]] = {}
    seconds: dict[str, float] = {}
    for name in names:
        print(f"running {name} ...", flush=True)
        started = time.monotonic()
        groups[name] = BENCHMARKS[name]()
        seconds[name] = round(time.monotonic() - started, 1)
        print(render(groups[name]), flush=True)
    print()
    print(render([f for figures in groups.values() for f in figures]))
    _save(groups, seconds)
    print(f"\nwrote {OUTPUT.relative_to(ROOT)} ({sum(seconds.values()):.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
