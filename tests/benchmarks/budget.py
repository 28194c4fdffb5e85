"""Budget use: how much of the API's token bucket a real import turns into calls.

The sandbox runs in its own process with a small bucket (200 tokens refilled over 10 s,
i.e. 20 calls/s sustained) and 20 ms latency; the real CLI imports enough new customers
to run for more than a minute. The sandbox's counters are sampled twice a second.

How the ratio is defined. The bucket starts full, so the first 200 calls are free and an
"ideal" client reaches ``200 + 20 t`` calls by time t. What the client controls is the
steady state after that burst: the **steady-state ratio** is the calls answered (anything
but a 429: the customer POSTs, the look-up GETs that find existing customers, one GET
per 200 rows, and the plan's GET) from the moment the bucket is first nearly empty
(replayed from the samples: below 10 % of its size, and at least 5 s after the first call)
to the last call, divided by 20/s times that interval. A paced client empties it within a
second; an adaptive one only once its learnt rate passes the refill rate. The **overall
ratio**, ``(answered - 200) / (20 x elapsed)`` from the first call to the last, is shown
beside it, and so is the rate of writes alone. Goal: steady state >= 0.95 with no 429
when the server sends ``X-RateLimiting``; >= 0.85 with under 2 % of requests answered 429
when it does not (``--hide-rate-headers``: the client must find the rate by itself).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.benchmarks.common import MAPPING, Figure, Sample, StatsPoller, run_cli, sandbox
from tests.benchmarks.data import customers_csv

BUCKET = 200
WINDOW_S = 10.0
RATE = BUCKET / WINDOW_S
LATENCY_MS = 20
#: The steady state starts once the bucket is this empty, and not before SETTLE_S.
DRAINED = 0.1
SETTLE_S = 5.0
#: Enough rows to keep the header-paced import busy for over a minute at 20 calls/s.
ROWS = 1500


def _first_and_last(samples: list[Sample]) -> tuple[Sample, Sample, Sample]:
    """(the sample before the first call, the sample before the last call, the last)."""
    start = next(i for i, s in enumerate(samples) if s.requests > 0)
    first = samples[max(start - 1, 0)]
    final = samples[-1]
    last = next(s for s in samples if s.requests == final.requests)
    return first, last, final


def _drained(samples: list[Sample], first: Sample) -> Sample:
    """The first sample at which the bucket, replayed from the counts, is nearly empty."""
    tokens, previous = float(BUCKET), first
    for sample in samples[samples.index(first) + 1 :]:
        refill = RATE * (sample.t - previous.t)
        tokens = min(float(BUCKET), tokens + refill) - (sample.answered - previous.answered)
        previous = sample
        if tokens < DRAINED * BUCKET and sample.t >= first.t + SETTLE_S:
            return sample
    return samples[-1]


def _measure(name: str, *flags: str) -> tuple[list[Figure], dict[str, object]]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox(
            "--bucket", str(BUCKET), "--window", str(WINDOW_S),
            "--latency-ms", str(LATENCY_MS), "--seed", "7", *flags,
        ) as box,
        StatsPoller(box) as poller,
    ):  # fmt: skip
        run = run_cli(
            ["import", str(customers_csv(ROWS)), "--mapping", str(MAPPING),
             "--base-url", box.url],
            report=Path(tmp) / "report",
        )  # fmt: skip
    samples = poller.samples
    first, last, final = _first_and_last(samples)
    elapsed = last.t - first.t
    settled = _drained(samples, first)
    window = max(last.t - settled.t, 1e-9)
    steady_calls = (last.answered - settled.answered) / window
    steady_writes = (last.writes - settled.writes) / window
    overall = (final.answered - BUCKET) / (RATE * elapsed)
    share_429 = final.throttled / max(final.requests, 1)
    detail = {
        "rows": ROWS,
        "exit_code": run.exit_code,
        "created": run.summary.get("created"),
        "requests": final.requests,
        "answered": final.answered,
        "writes": final.writes,
        "throttled": final.throttled,
        "elapsed_s": round(elapsed, 1),
        "steady_from_s": round(settled.t - first.t, 1),
        "steady_window_s": round(window, 1),
        "steady_calls_per_s": round(steady_calls, 2),
        "steady_writes_per_s": round(steady_writes, 2),
        "overall_ratio": round(overall, 3),
        "wall_s": round(run.wall_s, 1),
    }
    if run.exit_code != 0:
        detail["stderr"] = run.stderr[-2000:]
    return [
        Figure(name, "steady calls/s ÷ refill rate", steady_calls / RATE, "ratio", "", detail),
        Figure(name, "steady writes/s ÷ refill rate", steady_writes / RATE, "ratio"),
        Figure(name, "overall (calls − bucket)/(rate × time)", overall, "ratio"),
        Figure(name, "requests answered 429", 100 * share_429, "%"),
    ], detail


def header() -> list[Figure]:
    """Paced from ``X-RateLimiting``: goal >= 0.95 of the bucket's rate, no 429."""
    figures, _ = _measure("budget-header")
    figures[0].goal = ">= 0.95"
    figures[3].goal = "<= 0"
    return figures


def adaptive() -> list[Figure]:
    """Without the header (adaptive pacing): goal >= 0.85, under 2 % answered 429."""
    figures, _ = _measure("budget-adaptive", "--hide-rate-headers")
    figures[0].goal = ">= 0.85"
    figures[3].goal = "<= 2"
    return figures
