"""The fleet on the console: a live line per running agreement, then the table.

In a terminal each running agreement has a tqdm bar of its own (its name, rows settled of
the plan's total, failures); elsewhere (cron, CI, a log) a line per running agreement
goes to stderr about every ``interval_s`` seconds (10; ``ECONOMIC_IMPORT_PROGRESS_INTERVAL``
sets it), and one line as each agreement ends. ``--no-progress`` leaves only the latter.
At the end the table goes to stdout: agreement, rows, created, updated, unchanged, skipped,
failed, exit code, time, and the totals.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from tqdm import tqdm

from pipeline.run import Watch

from .task import AgreementResult

#: The table's counters, in its order (``failed``: every row that did not succeed).
TABLE_COUNTS = ("rows", "created", "updated", "unchanged", "skipped", "failed")


@dataclass
class _Running:
    started: float
    done: int = 0
    failed: int = 0
    total: int | None = None
    watched: bool = True  # False on a Dask worker: only its start and end are known here
    bar: tqdm[Any] | None = field(default=None, repr=False)


class FleetConsole:
    """What the fleet shows while it runs (see the module docstring)."""

    def __init__(
        self, *, progress: bool, interval_s: float, out: TextIO | None = None, width: int = 24
    ) -> None:
        self._out = out or sys.stderr
        isatty = getattr(self._out, "isatty", None)
        self.mode = "off" if not progress else ("bar" if isatty and isatty() else "lines")
        self.interval_s = interval_s
        self.width = width
        self._running: dict[str, _Running] = {}
        self._positions: list[str | None] = []
        self._ticker: asyncio.Task[None] | None = None

    def begin(self, name: str, *, watched: bool = True) -> Watch:
        """An agreement starts: its line (or bar), and what its import tells as rows settle
        (unless it runs elsewhere: ``watched=False``)."""
        running = _Running(started=time.monotonic(), watched=watched)
        self._running[name] = running
        if self.mode == "bar":
            running.bar = tqdm(desc=self._label(name), unit=" rows", file=self._out,
                               position=self._position(name), leave=False,
                               dynamic_ncols=True)  # fmt: skip

        def watch(done: int, failed: int, total: int | None) -> None:
            running.done, running.failed, running.total = done, failed, total
            if running.bar is not None:
                if total is not None and running.bar.total != total:
                    running.bar.total = total
                running.bar.set_postfix({"failed": failed}, refresh=False)
                running.bar.update(done - running.bar.n)  # drawn at most every 0.1 s

        return watch

    def end(self, result: AgreementResult) -> None:
        """An agreement ended: its bar goes, one line says how."""
        running = self._running.pop(result.name, None)
        if running is not None and running.bar is not None:
            running.bar.close()
            self._positions[self._positions.index(result.name)] = None
        how = f"exit {result.exit_code}, {result.rows} rows, {result.failed} not succeeded"
        if result.error:
            how += f": {result.error}"
        self._print(f"{self._label(result.name)} {how} ({result.elapsed_s:.1f} s)")

    def lines(self) -> list[str]:
        """A line per running agreement: ``name  120/1000 rows, 3 failed, 12s``."""
        now = time.monotonic()
        shown = []
        for name, running in self._running.items():
            elapsed = f"{now - running.started:.0f}s"
            if not running.watched:
                shown.append(f"{self._label(name)} running on the cluster, {elapsed}")
                continue
            rows = f"{running.done}/{running.total}" if running.total else f"{running.done}"
            shown.append(f"{self._label(name)} {rows} rows, {running.failed} failed, {elapsed}")
        return shown

    async def __aenter__(self) -> FleetConsole:
        if self.mode == "lines":
            self._ticker = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        for running in self._running.values():
            if running.bar is not None:
                running.bar.close()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            for line in self.lines():
                self._print(line)

    def _print(self, line: str) -> None:
        if self.mode == "bar":
            tqdm.write(line, file=self._out)
        else:
            print(line, file=self._out, flush=True)

    def _label(self, name: str) -> str:
        cut = name if len(name) <= self.width else name[: self.width - 1] + "…"
        return f"[{cut}]"

    def _position(self, name: str) -> int:
        if None in self._positions:
            index = self._positions.index(None)
            self._positions[index] = name
            return index
        self._positions.append(name)
        return len(self._positions) - 1


def table_lines(results: Sequence[AgreementResult], totals: dict[str, Any]) -> list[str]:
    """The fleet's table: one line per agreement, then the totals."""
    headers = ["agreement", *TABLE_COUNTS, "exit", "time"]
    rows = [
        [r.name, *(str(getattr(r, n)) for n in TABLE_COUNTS), str(r.exit_code),
         f"{r.elapsed_s:.1f} s"]
        for r in results
    ]  # fmt: skip
    total = [str(totals.get(n, 0)) for n in TABLE_COUNTS]
    rows.append(["total", *total, str(totals.get("exit_code", "")),
                 f"{totals.get('elapsed_s', 0):.1f} s"])  # fmt: skip
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for number, row in enumerate([headers, *rows]):
        right = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in right)]
        lines.append("  ".join(cells).rstrip())
        if number == 0 or number == len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
    return lines
