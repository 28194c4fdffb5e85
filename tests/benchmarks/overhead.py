"""Client overhead: how many calls a second the importer sustains when nothing holds it back.

The sandbox runs in its own process with no latency and a bucket far too large to matter;
the real CLI imports new customers into it. Both share this machine's cores, so the figure
is the importer and the sandbox together: each request costs the client (pacing, JSON,
aiohttp, journal, report) and the server (aiohttp, validation, idempotency, store). The
rate is the sandbox's answered calls per second between 2 s after the first call and the
last call (reading and validating the file before the first call is left out).
Goal: >= 1,000 calls/s.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks.common import MAPPING, Figure, StatsPoller, run_cli, sandbox
from tests.benchmarks.data import customers_csv

ROWS = 20_000
SETTLE_S = 2.0


def _rate(concurrency: int | None) -> tuple[float, dict[str, object]]:
    flags = ("--bucket", "1000000000", "--window", "1")
    extra = [] if concurrency is None else ["--concurrency", str(concurrency)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox(*flags) as box,
        StatsPoller(box, interval=0.25) as poller,
    ):
        run = run_cli(
            ["import", str(customers_csv(ROWS)), "--mapping", str(MAPPING),
             "--base-url", box.url, *extra],
            report=Path(tmp) / "report",
        )  # fmt: skip
    samples = poller.samples
    start = next(s for s in samples if s.requests > 0)
    final = samples[-1]
    last = next(s for s in samples if s.requests == final.requests)
    settled = next((s for s in samples if s.t >= start.t + SETTLE_S), start)
    rate = (last.answered - settled.answered) / max(last.t - settled.t, 1e-9)
    detail = {
        "rows": ROWS,
        "concurrency": concurrency or "adaptive (default)",
        "exit_code": run.exit_code,
        "created": run.summary.get("created"),
        "requests": final.requests,
        "throttled": final.throttled,
        "summary_elapsed_s": run.summary.get("elapsed_s"),
        "wall_s": round(run.wall_s, 1),
        "calls_per_s_summary": round(
            int(run.summary.get("requests", 0)) / max(float(run.summary.get("elapsed_s", 1)), 1e-9)
        ),
    }
    return rate, detail


def run() -> list[Figure]:
    """Calls/s sustained with the default (adaptive) window (the goal), and with 8 fixed."""
    default, detail = _rate(None)
    fixed, fixed_detail = _rate(8)
    return [
        Figure("overhead", "calls/s, adaptive (default)", default, "calls/s", ">= 1000", detail),
        Figure("overhead", "calls/s, --concurrency 8", fixed, "calls/s", "", fixed_detail),
    ]
