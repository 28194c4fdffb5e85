"""Budget use: how much of the API's token bucket a real import turns into calls.

A matrix of runs, one after another, each against a fresh sandbox in its own process with
exponentially distributed latency (``--latency-dist exponential``, seeded): buckets of 200
and 1,000 tokens per 6 s (the rates of the live 2,000- and 10,000-per-60 s agreements) ×
mean latency 50, 150 and 400 ms, the importer with its default (adaptive) window. Each run
imports enough new customers to last about ``PAST_BUCKET_S`` seconds past its first full
bucket. With the header hidden (``--hide-rate-headers``) the client must learn the rate
from 429s: at 150 ms, both buckets. The sandbox's counters are sampled twice a second.

How the ratio is defined. The bucket starts full, so its first ``bucket`` calls are free
and an "ideal" client reaches ``bucket + rate × t`` calls by time t. What the client
controls is the steady state after that burst: the **steady-state ratio** is the calls
answered (anything but a 429: the customer POSTs, the look-up GETs, one per 200 rows, and
the plan's GETs) from the moment the bucket is first nearly empty (replayed from the
samples: below 10 % of its size plus what is in flight, rate × latency, which pacing
counts as spent until it is answered; and at least 5 s after the first call) to the last
call,
divided by the refill rate times that interval; a run whose bucket never drains never
reached the refill rate, and its ratio is then its calls per second over the whole run
divided by the refill rate. The **overall ratio**, ``(answered -
bucket) / (rate × elapsed)`` from the first call to the last, is kept in the JSON beside
it. Goals (issue #12): steady state >= 0.95 with at most 0.5 % of requests answered 429
when the server sends ``X-RateLimiting``; >= 0.85 (under 2 % 429s) when it does not.

Each run also compares the plan's estimate (the ``(N s)`` in its ``Budget:`` line) with
the run's own time (``elapsed_s`` in summary.json): goal within 25 %.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.common import MAPPING, Figure, Sample, StatsPoller, run_cli, sandbox
from tests.benchmarks.data import customers_csv

WINDOW_S = 6.0
BUCKETS = (200, 1000)
LATENCIES_MS = (50, 150, 400)
HIDDEN_LATENCY_MS = 150
#: Each run lasts about this long past its first full bucket (the issue asks >= 40 s).
PAST_BUCKET_S = 46.0
#: The steady state starts once the bucket is this empty (plus the tokens in flight), and
#: not before SETTLE_S.
DRAINED = 0.1
SETTLE_S = 5.0
PLAN_SECONDS = re.compile(r"^Budget: .*\((\d+) s\)", re.MULTILINE)


@dataclass(frozen=True)
class Cell:
    """One run of the matrix."""

    bucket: int
    latency_ms: int
    hidden: bool = False
    max_concurrency: int | None = None  # --max-concurrency, when not the default

    @property
    def rate(self) -> float:
        """The refill rate, tokens per second."""
        return self.bucket / WINDOW_S

    @property
    def rows(self) -> int:
        """Rows for a run of about ``PAST_BUCKET_S`` past the first bucket (one GET per 200)."""
        return int((self.bucket + self.rate * PAST_BUCKET_S) * 200 / 201)

    @property
    def name(self) -> str:
        """``budget 200/6s 150ms`` (``hidden`` without the header)."""
        hidden = " hidden" if self.hidden else ""
        most = f" --max-concurrency {self.max_concurrency}" if self.max_concurrency else ""
        return f"budget {self.bucket}/6s {self.latency_ms}ms{hidden}{most}"


def _first_and_last(samples: list[Sample]) -> tuple[Sample, Sample, Sample]:
    """(the sample before the first call, the sample before the last call, the last)."""
    start = next(i for i, s in enumerate(samples) if s.requests > 0)
    first = samples[max(start - 1, 0)]
    final = samples[-1]
    last = next(s for s in samples if s.requests == final.requests)
    return first, last, final


def _drained(samples: list[Sample], first: Sample, cell: Cell) -> Sample:
    """The first sample at which the bucket, replayed from the counts, is nearly empty."""
    tokens, previous = float(cell.bucket), first
    threshold = DRAINED * cell.bucket + cell.rate * cell.latency_ms / 1000
    for sample in samples[samples.index(first) + 1 :]:
        refill = cell.rate * (sample.t - previous.t)
        tokens = min(float(cell.bucket), tokens + refill) - (sample.answered - previous.answered)
        previous = sample
        if tokens < threshold and sample.t >= first.t + SETTLE_S:
            return sample
    return samples[-1]


def _sandbox_flags(cell: Cell) -> list[str]:
    flags = ["--bucket", str(cell.bucket), "--window", str(WINDOW_S),
             "--latency-ms", str(cell.latency_ms), "--latency-dist", "exponential",
             "--seed", "7"]  # fmt: skip
    return [*flags, "--hide-rate-headers"] if cell.hidden else flags


def measure(cell: Cell) -> list[Figure]:
    """Run one cell; its figures, each beside its goal."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox(*_sandbox_flags(cell)) as box,
        StatsPoller(box) as poller,
    ):
        most = ["--max-concurrency", str(cell.max_concurrency)] if cell.max_concurrency else []
        run = run_cli(
            ["import", str(customers_csv(cell.rows)), "--mapping", str(MAPPING),
             "--base-url", box.url, *most],
            report=Path(tmp) / "report",
        )  # fmt: skip
        server = box.stats()
    samples = poller.samples
    first, last, final = _first_and_last(samples)
    elapsed = last.t - first.t
    settled = _drained(samples, first, cell)
    drained = settled is not samples[-1]
    if drained:
        window = max(last.t - settled.t, 1e-9)
        steady = (last.answered - settled.answered) / window / cell.rate
    else:  # the client never reached the refill rate: its own rate over the whole run
        window = elapsed
        steady = (last.answered - first.answered) / max(elapsed, 1e-9) / cell.rate
    share_429 = 100 * final.throttled / max(final.requests, 1)
    found = PLAN_SECONDS.search(run.stdout)
    planned = float(found[1]) if found else None
    actual = float(run.summary.get("elapsed_s", 0.0))
    detail = {
        "rows": cell.rows,
        "exit_code": run.exit_code,
        "created": run.summary.get("created"),
        "requests": final.requests,
        "answered": final.answered,
        "throttled": final.throttled,
        "elapsed_s": round(elapsed, 1),
        "drained": drained,
        "steady_from_s": round(settled.t - first.t, 1) if drained else None,
        "steady_window_s": round(window, 1),
        "overall_ratio": round((final.answered - cell.bucket) / (cell.rate * elapsed), 3),
        "window": run.summary.get("concurrency"),
        "sandbox_max_in_flight": server.get("max_in_flight"),
        "plan_estimate_s": planned,
        "actual_s": actual,
        "wall_s": round(run.wall_s, 1),
    }
    if run.exit_code != 0:
        detail["stderr"] = run.stderr[-2000:]
    print(f"  {cell.name}: plan {planned} s, actual {actual:.1f} s", flush=True)
    goal, goal_429 = (">= 0.85", "<= 2") if cell.hidden else (">= 0.95", "<= 0.5")
    figures = [
        Figure(cell.name, "steady calls/s ÷ refill rate", steady, "ratio", goal, detail),
        Figure(cell.name, "requests answered 429", share_429, "%", goal_429),
    ]
    if planned is not None and actual > 0:
        error = 100 * abs(planned - actual) / actual
        what = f"plan vs actual time ({planned:.0f} s vs {actual:.0f} s): off by"
        figures.append(Figure(cell.name, what, error, "%", "<= 25"))
    return figures


def header() -> list[Figure]:
    """The matrix with ``X-RateLimiting`` sent: buckets × latencies, at the defaults (1,000
    per 6 s at 400 ms needs 167 × 0.4 = 67 in flight: past the old fixed maximum of 64,
    within the default's Little's-law cap of 101, issue #21)."""
    cells = [Cell(b, ms) for b in BUCKETS for ms in LATENCIES_MS]
    return [f for cell in cells for f in measure(cell)]


def adaptive() -> list[Figure]:
    """The header hidden, at 150 ms: both buckets."""
    return [f for b in BUCKETS for f in measure(Cell(b, HIDDEN_LATENCY_MS, hidden=True))]
