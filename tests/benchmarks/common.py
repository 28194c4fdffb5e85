"""What every benchmark shares: figures, the machine, a sandbox in its own process, and
running the real CLI in a subprocess with its wall time and peak memory."""

from __future__ import annotations

import functools
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "mappings" / "customers.toml"
APP_TOKEN = "bench-app-secret"
#: Below ``pipeline.redact.MIN_SECRET_LENGTH`` no masking happens; these are long enough
#: that the run pays for redaction as a real one does.
GRANT_TOKEN = "bench-agreement-grant"


@dataclass
class Figure:
    """One line of the table: a measured value beside its goal."""

    bench: str
    name: str
    value: float
    unit: str
    goal: str = ""  # e.g. ">= 0.95"; empty when the figure is context, not a target
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Whether the goal is met; None when there is no goal."""
        if not self.goal:
            return None
        op, _, bound = self.goal.partition(" ")
        limit = float(bound.replace(",", ""))
        return self.value >= limit if op == ">=" else self.value <= limit


def machine() -> dict[str, Any]:
    """Where the figures come from: cores, CPU model, Python, load at the start."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


# --- the sandbox in its own process ---------------------------------------------------------


@dataclass
class Sandbox:
    """A ``python -m pipeline.sandbox`` process and its base URL."""

    process: subprocess.Popen[str]
    url: str

    def stats(self) -> dict[str, Any]:
        """``GET /_sandbox/stats`` (costs no tokens)."""
        with urllib.request.urlopen(self.url + "/_sandbox/stats", timeout=10) as response:
            return dict(json.load(response))


def _discard(pipe: IO[str]) -> None:
    for _ in pipe:
        pass


@contextmanager
def sandbox(*flags: str) -> Iterator[Sandbox]:
    """Start the sandbox with ``flags`` on a free port; stop it (SIGTERM) on exit."""
    command = [sys.executable, "-m", "pipeline.sandbox", "--port", "0", *flags]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"sandbox did not start: {line!r}")
        # Read (and discard) the rest of stdout, so the pipe can never fill and block it.
        threading.Thread(target=_discard, args=(process.stdout,), daemon=True).start()
        yield Sandbox(process, line.rsplit(" ", 1)[1].strip())
    finally:
        stop_process(process, timeout=10)


def stop_process(process: subprocess.Popen[Any], *, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Sample:
    """The sandbox's counters at one moment (seconds since the poller started)."""

    t: float
    requests: int
    writes: int
    throttled: int
    #: Customers per agreement (hashed id) on the server: when each agreement's rows are in.
    customers: dict[str, int] = field(default_factory=dict)

    @property
    def answered(self) -> int:
        """Requests that got through the bucket (everything but the 429s)."""
        return self.requests - self.throttled


class StatsPoller:
    """Samples ``/_sandbox/stats`` every ``interval`` seconds in a thread."""

    def __init__(self, box: Sandbox, *, interval: float = 0.5) -> None:
        self.box = box
        self.interval = interval
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = 0.0
        self.wall_start = 0.0  # time.time() when the poller started (for UTC timestamps)

    @property
    def started(self) -> float:
        """``time.monotonic()`` when the poller started: the origin of every ``Sample.t``."""
        return self._start

    def __enter__(self) -> StatsPoller:
        self._start = time.monotonic()
        self.wall_start = time.time()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._take()

    def _take(self) -> None:
        stats = self.box.stats()
        self.samples.append(
            Sample(
                t=time.monotonic() - self._start,
                requests=int(stats["requests"]),
                writes=int(stats["writes"]),
                throttled=int(stats["throttled"]),
                customers={
                    ident: int(tables.get("customers", 0))
                    for ident, tables in stats.get("agreements", {}).items()
                },
            )
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._take()


# --- the CLI in a subprocess ----------------------------------------------------------------


@dataclass
class CliRun:
    """What a CLI subprocess did: exit code, wall time, peak RSS, its summary.json, and
    the CPU seconds it used (user + system, from ``wait4``)."""

    exit_code: int
    wall_s: float
    peak_rss_mb: float
    summary: dict[str, Any]
    stderr: str
    stdout: str = ""
    cpu_s: float = 0.0


@functools.cache
def _cache() -> str:
    return tempfile.mkdtemp(prefix="econ-import-bench-cache-")


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for the CLI: the tokens, and a state folder of its own per run (a
    fresh sandbox is a new agreement, which the ledger of an earlier run must not see)."""
    env = dict(os.environ)
    env.pop("ECONOMIC_BASE_URL", None)
    env["ECONOMIC_IMPORT_HOME"] = tempfile.mkdtemp(prefix="econ-import-bench-")
    env.setdefault("ECONOMIC_IMPORT_CACHE", _cache())  # report.html's bundle, built once
    env["ECONOMIC_APP_SECRET_TOKEN"] = APP_TOKEN
    env["ECONOMIC_AGREEMENT_GRANT_TOKEN"] = GRANT_TOKEN
    env.update(extra)
    return env


def run_cli(
    args: Sequence[str],
    *,
    report: Path,
    env: dict[str, str] | None = None,
    timeout_s: float | None = None,
) -> CliRun:
    """``python -m pipeline ARGS --report REPORT --no-progress``; wall time and peak RSS.

    The peak is the child's own ``ru_maxrss`` from ``wait4``, so each run is measured
    alone (``RUSAGE_CHILDREN`` would keep the largest child seen so far). A child still
    running after ``timeout_s`` is killed (its exit code is then -9, and stderr says so).
    """
    command = [sys.executable, "-m", "pipeline", *args, "--report", str(report), "--no-progress"]
    started = time.monotonic()
    # stdout (the plan, the summary) goes to a file: two pipes read one after the other
    # could fill and block, and ``communicate`` would reap the child before ``wait4``.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env or cli_env(), stdout=out, stderr=subprocess.PIPE, text=True
        )
        assert process.stderr is not None
        timer = threading.Timer(timeout_s, process.kill) if timeout_s else None
        if timer:
            timer.start()
        stderr = process.stderr.read()  # drains the pipe until the child closes it (exits)
        _, status, usage = os.wait4(process.pid, 0)
        if timer:
            timer.cancel()
        wall = time.monotonic() - started
        out.seek(0)
        stdout = out.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if timeout_s and process.returncode == -signal.SIGKILL:
        stderr += f"\n(benchmark: killed after {timeout_s:.0f} s)\n"
    summary_path = report / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    cpu = usage.ru_utime + usage.ru_stime
    return CliRun(process.returncode, wall, usage.ru_maxrss / 1024, summary, stderr, stdout, cpu)
