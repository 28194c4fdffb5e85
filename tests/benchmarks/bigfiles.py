"""Big files: ``econ-import validate`` over generated customer lists, time and memory.

Each run is the real CLI in a subprocess (``--no-progress``, the report into a temporary
folder, every report file written), measured from outside: wall time, and peak RSS from
the child's own ``wait4`` rusage. One row in 200 is invalid (in four ways), so the error
files are part of the cost. Goals: a 1,000,000-row CSV in <= 20 s and <= 1.5 GB, with
peak memory at 1,000,000 rows within 20 % of that at 250,000 (memory must not grow with
the file); the same for a 100,000-row XLSX (against 25,000 rows).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks.common import MAPPING, CliRun, Figure, run_cli
from tests.benchmarks.data import customers_csv, customers_xlsx

BAD_EVERY = 200


def _validate(path: Path) -> CliRun:
    with tempfile.TemporaryDirectory() as tmp:
        run = run_cli(["validate", str(path), "--mapping", str(MAPPING)], report=Path(tmp) / "r")
    rows = int(run.summary.get("rows", 0))
    if run.exit_code not in (0, 1) or rows == 0:
        raise RuntimeError(f"validate {path} failed ({run.exit_code}): {run.stderr[-1000:]}")
    return run


def _figures(kind: str, small: int, large: int, make: Callable[..., Path]) -> list[Figure]:
    """Figures for ``make(large)`` (``customers_csv`` or ``customers_xlsx``), and its memory
    against ``make(small)``."""
    little = _validate(make(small, bad_every=BAD_EVERY))
    big = _validate(make(large, bad_every=BAD_EVERY))
    growth = 100 * (big.peak_rss_mb / little.peak_rss_mb - 1)
    detail = {
        "rows": large,
        "wall_s": round(big.wall_s, 2),
        "in_run_s": big.summary.get("elapsed_s"),
        "rows_per_s": round(large / big.wall_s),
        "peak_rss_mb": round(big.peak_rss_mb),
        "invalid": big.summary.get("invalid"),
        "small_rows": small,
        "small_wall_s": round(little.wall_s, 2),
        "small_peak_rss_mb": round(little.peak_rss_mb),
    }
    name = f"{kind} {large:,} rows"
    return [
        Figure("bigfiles", f"{name}: wall time", big.wall_s, "s", "<= 20", detail),
        Figure("bigfiles", f"{name}: peak RSS", big.peak_rss_mb, "MB", "<= 1500"),
        Figure("bigfiles", f"{kind}: peak RSS {large:,} vs {small:,} rows", growth, "%", "<= 20"),
    ]


def run() -> list[Figure]:
    """1,000,000-row CSV (against 250,000) and 100,000-row XLSX (against 25,000)."""
    return _figures("CSV", 250_000, 1_000_000, customers_csv) + _figures(
        "XLSX", 25_000, 100_000, customers_xlsx
    )
