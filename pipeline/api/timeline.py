"""The run second by second: calls, 429s, the window and rows settled (for report.html).

``Timeline`` is a small sampler fed where things are known: the client counts each call
and each 429 (``pipeline.api.client``), the window says how many writes hold a place and
how many it allows (``pipeline.api.window``), and the writer says when a row settles.
It keeps one short row per second of the run, in memory (a day's run is 86,400 rows),
and does no IO: the report stage writes ``rows()`` to timeline.csv.

Columns (``TIMELINE_COLUMNS``), per second since the client opened:

- ``calls``: requests sent (each attempt, GETs included);
- ``responses_429``: of those, answered 429 Too Many Requests;
- ``in_flight``: the most writes holding a place in the window during that second;
- ``window``: the places the window allowed at the end of that second;
- ``rows_settled``: rows that got their final status;
- ``budget_rate``: the budget's rate in calls per second, as last known (empty when the
  API has not said it and the pacer has not learnt it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

TIMELINE_COLUMNS = (
    "second",
    "calls",
    "responses_429",
    "in_flight",
    "window",
    "rows_settled",
    "budget_rate",
)

#: One second's row: second, calls, 429s, in flight, window, rows settled, budget rate.
TimelineRow = tuple[int, int, int, int, int, int, float | None]


class Timeline:
    """Counts per second of the run (see the module docstring)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        #: [calls, 429s, in flight (max), window, rows settled, budget rate] per second.
        self._seconds: list[list[float | None]] = []
        self._in_flight = 0
        self._window = 0
        self._rate: float | None = None

    def call(self, *, budget_rate: float | None) -> None:
        """One request went out; ``budget_rate`` is the budget's calls per second now."""
        now = self._now()
        now[0] = int(now[0] or 0) + 1
        if budget_rate is not None:
            self._rate = now[5] = round(budget_rate, 3)

    def throttled(self) -> None:
        """One answer was 429."""
        now = self._now()
        now[1] = int(now[1] or 0) + 1

    def window(self, *, in_flight: int, limit: int) -> None:
        """The window changed: ``in_flight`` writes hold a place, ``limit`` are allowed."""
        now = self._now()
        self._in_flight, self._window = in_flight, limit
        now[2] = max(int(now[2] or 0), in_flight)
        now[3] = limit

    def settled(self, rows: int = 1) -> None:
        """``rows`` rows got their final status."""
        now = self._now()
        now[4] = int(now[4] or 0) + rows

    def rows(self) -> list[TimelineRow]:
        """One row per second from the first to the last second anything happened."""
        return [
            (n, int(c or 0), int(t or 0), int(f or 0), int(w or 0), int(s or 0), r)
            for n, (c, t, f, w, s, r) in enumerate(self._seconds)
        ]

    def _now(self) -> list[float | None]:
        """This second's row; the seconds since the last event carry the window's state."""
        second = max(int(self._clock() - self._started), 0)
        while len(self._seconds) <= second:
            self._seconds.append([0, 0, self._in_flight, self._window, 0, self._rate])
        return self._seconds[second]
