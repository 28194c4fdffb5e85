"""Progress that moves: a tqdm bar in a terminal, a short line now and then elsewhere.

Rows are counted as each one settles (``settle``: answered by the API, or decided
locally), not per batch, so a long batch moves the bar too; at the end of each batch
``sync`` sets the exact counts from the report's summary. The total comes from the plan
(``console.print_plan`` counts the rows); without it the bar counts without an end.

Without a terminal (cron, CI, a log file) a line like ``1200/5000 rows, 33.1/s, 2m05s
left, 3 failed`` goes to stderr about every ``interval_s`` seconds (10 by default; the
environment variable ``ECONOMIC_IMPORT_PROGRESS_INTERVAL`` sets it, which is how the tests
get lines from a short run), and a last line when the run ends, if any line was printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, TextIO

from tqdm import tqdm

from pipeline.write import SUCCEEDED, Status

from .settings import DEFAULT_PROGRESS_INTERVAL_S, Watch

ProgressMode = Literal["bar", "lines", "off"]


def progress_mode(*, enabled: bool, out: TextIO) -> ProgressMode:
    """``bar`` in a terminal, ``lines`` elsewhere, ``off`` with ``--no-progress``."""
    if not enabled:
        return "off"
    isatty = getattr(out, "isatty", None)
    return "bar" if isatty is not None and isatty() else "lines"


def format_duration(seconds: float) -> str:
    """``45s``, ``2m05s``, ``1h07m``: short, for a progress line."""
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


class Progress:
    """Counts rows as they settle and shows them (see the module docstring)."""

    def __init__(
        self,
        mode: ProgressMode,
        *,
        total: int | None = None,
        interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        watch: Watch | None = None,
    ) -> None:
        self.mode = mode
        self._watch = watch  # told (settled, failed, total) at every move
        self.total = total
        self.interval_s = interval_s
        self.done = 0
        self.failed = 0
        self.lines_printed = 0
        self._out = out or sys.stderr
        self._clock = clock
        self._started = self._last_line = clock()
        self._throttled: Callable[[], int] = lambda: 0
        self._settled: Callable[[], None] | None = None
        self._bar: tqdm[Any] | None = None
        if mode == "bar":
            self._bar = tqdm(
                total=total, unit=" rows", dynamic_ncols=True, file=self._out, smoothing=0.1
            )

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def count_throttled(self, source: Callable[[], int]) -> None:
        """Where the number of 429s so far comes from (the client's counters)."""
        self._throttled = source

    def tell_settled(self, sink: Callable[[], None]) -> None:
        """Whom to tell of each settled row besides the bar (the client's timeline)."""
        self._settled = sink

    def settle(self, status: Status) -> None:
        """One row got its final status."""
        if self._settled is not None:
            self._settled()
        self.done += 1
        if status not in SUCCEEDED:
            self.failed += 1
        self._show(1)

    def sync(self, *, done: int, failed: int) -> None:
        """The exact counts so far (from the report, at the end of a batch)."""
        delta, self.done, self.failed = done - self.done, done, failed
        self._show(delta)

    def line(self) -> str:
        """``1200/5000 rows, 33.1/s, 2m05s left, 3 failed[, 12 throttled (429)]``."""
        elapsed = max(self._clock() - self._started, 1e-9)
        rate = self.done / elapsed
        parts = [f"{self.done}/{self.total} rows" if self.total else f"{self.done} rows"]
        parts.append(f"{rate:.1f}/s")
        if self.total and rate > 0:
            parts.append(f"{format_duration(max(self.total - self.done, 0) / rate)} left")
        parts.append(f"{self.failed} failed")
        if throttled := self._throttled():
            parts.append(f"{throttled} throttled (429)")
        return ", ".join(parts)

    def close(self) -> None:
        """Stop the bar, or print the last line if any line was printed."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "lines" and self.lines_printed:
            self._print_line()

    def _show(self, delta: int) -> None:
        if self._watch is not None:
            self._watch(self.done, self.failed, self.total)
        if self._bar is not None:
            self._bar.update(delta)
            postfix = {"failed": self.failed}
            if throttled := self._throttled():
                postfix["429s"] = throttled
            self._bar.set_postfix(postfix, refresh=False)
        elif self.mode == "lines" and self._clock() - self._last_line >= self.interval_s:
            self._print_line()

    def _print_line(self) -> None:
        self._last_line = self._clock()
        self.lines_printed += 1
        print(self.line(), file=self._out, flush=True)
