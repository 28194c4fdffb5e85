"""A fleet: 20 agreements at once against one sandbox, in one process and on Dask (issue #20).

The cell: one sandbox process keeps a token bucket per agreement (per grant token) of 200
tokens per 6 s (``--bucket 200 --window 6``, the live 2,000-per-60 s rate) with
exponentially distributed latency of mean 150 ms (seed 7). A TOML manifest names 20
agreements, each its own grant token (``grant_token_env = "GRANT_01"`` ... ``GRANT_20``,
set in the children's environment) and its own CSV of 1,000 new customers (distinct
customer numbers, ``mappings/customers.toml``). ``econ-import fleet MANIFEST --agreements
20`` imports them all at once, first with the local engine (one process, one event loop),
then on a Dask cluster of two worker processes (``dask scheduler`` and two ``dask worker
--nworkers 1 --nthreads 10`` processes started here, a PostgreSQL server from
``tests/pg.py`` as the shared state, a fresh sandbox). The sandbox's counters are sampled
twice a second.

How the ratio is defined: as ``budget.py`` defines it for one agreement, with the fleet's
20 buckets counted as one of their sum (4,000 tokens, refilled at 20 × 200 / 6 = 666.7
per second). The buckets start full, so the first 4,000 calls are free; the **steady
state** runs from the moment the summed bucket, replayed from the samples, is first below
10 % of its size plus what is in flight (rate × latency: 500 tokens) and at least 5 s
after the first call, until the last call, and the ratio is the calls answered (anything
but a 429: the POSTs, the look-up GETs, the plans' GETs) in it divided by 666.7 × its
length. Replaying the sum is an approximation (one agreement's bucket may be full while
another's is empty); the agreements start within a fraction of a second of each other
and pace alike, so it is a close one. The steady state ends when the first agreement's
rows are all on the server (its customers, sampled per agreement): from then on its
refill goes unused, and no client could spend it, since every bucket is its own
agreement's. The ratio to the fleet's last call, that tail of 2-3 s included (the
agreements end a second or two apart), is in the detail (``ratio_to_last_call``).

A fleet whose summed bucket never drains: ``budget.py`` then takes the whole run's
calls/s ÷ rate, but for a fleet the free calls are a fifth of all (4,000 of 20,300), and
that rate counts them as paced ones: it read 1.03 for a Dask run whose overall ratio
was 0.83. Here the fallback is the **overall ratio** instead, (answered − 4,000) / (666.7 ×
the time from the first call to the last), exactly 1 for an ideal client; the whole-run
rate is kept in the detail (``whole_run_ratio``). A Dask run does not drain when the
workers' measured latencies (the machine is loaded) make every agreement's pacing keep
more tokens in flight than the 500 counted. Goal >= 0.9 for either engine.

The importer's CPU: the fleet child's user + system seconds (``wait4``, start-up, reading
and validating the 20 files and writing the reports included) per 1,000 requests the
sandbox served (429s included: each costs the client too). Goal <= 1.0 s (the issue
estimates about 0.6 ms a call). On Dask the import runs in the workers, whose CPU (the
process trees, through psutil) is in the detail beside the client's.

The machine has 2 cores, shared by the importer (or the cluster), the sandbox and, on
Dask, PostgreSQL and the scheduler. The sandbox serves every agreement from one process:
its CPU seconds per wall second and its ``max_in_flight`` are in each detail, so a
sandbox at its limit (CPU share near 1.0) would show as such, not as the importer's
fault. It is not at its limit: at 667 calls/s and 150 ms it used 0.25–0.32 CPU s per
second with about 210–230 requests in flight (up to 1,200 in a Dask run's first
burst). The importer's one event loop, at about 1 ms of CPU a call, is 0.6–0.7 of a core
busy; on Dask the workers spend about 2 ms a call (ten event loops in threads of one
process share its GIL; Dask logs "Event loop was unresponsive" for its own loop) and
PostgreSQL another 0.5–0.65 ms, which with the sandbox fills this machine's two cores.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from tests.benchmarks.budget import DRAINED, Cell, _drained, _first_and_last
from tests.benchmarks.common import (
    MAPPING,
    ROOT,
    CliRun,
    Figure,
    Sample,
    Sandbox,
    StatsPoller,
    cli_env,
    run_cli,
    sandbox,
    stop_process,
)
from tests.benchmarks.data import FIRST_NUMBER, HEADERS, SEED, customer_rows
from tests.pg import PgServer, remove_server, start_server

AGREEMENTS = 20
BUCKET = 200
WINDOW_S = 6.0
LATENCY_MS = 150
ROWS = 1000
#: The fleet's buckets as one: their sum, refilled at their summed rate (666.7/s).
FLEET = Cell(AGREEMENTS * BUCKET, LATENCY_MS)
DASK_WORKERS = 2
DASK_THREADS = 10
#: About 35 s is expected; long enough for a slow, loaded machine, short enough to fail.
FLEET_TIMEOUT_S = 240.0
#: To start (or stop) the scheduler and the workers.
CLUSTER_TIMEOUT_S = 90.0
BENCH = f"fleet {AGREEMENTS}×{BUCKET}/6s {LATENCY_MS}ms"
SANDBOX_FLAGS = ("--bucket", str(BUCKET), "--window", str(WINDOW_S),
                 "--latency-ms", str(LATENCY_MS), "--latency-dist", "exponential",
                 "--seed", "7")  # fmt: skip


def _tokens() -> dict[str, str]:
    """GRANT_01 ... GRANT_20 -> a distinct grant token each (long enough to be redacted)."""
    return {f"GRANT_{n:02d}": f"bench-fleet-grant-{n:02d}" for n in range(1, AGREEMENTS + 1)}


def write_manifest(folder: Path) -> Path:
    """The agreements' CSVs (1,000 customers each, numbers distinct across the fleet) and
    the manifest naming them, in ``folder``."""
    lines = []
    for n in range(1, AGREEMENTS + 1):
        source = folder / f"agreement-{n:02d}.csv"
        with source.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(HEADERS)
            for i, row in enumerate(customer_rows(ROWS, seed=SEED + n)):
                row[0] = str(FIRST_NUMBER + (n - 1) * ROWS + i)
                writer.writerow(row)
        lines.append(
            f'[[agreements]]\nname = "Bench {n:02d}"\ngrant_token_env = "GRANT_{n:02d}"\n'
            f"input = {json.dumps(source.name)}\nmapping = {json.dumps(str(MAPPING))}\n"
        )
    manifest = folder / "fleet.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest


def _cpu(process: psutil.Process, *, tree: bool = False) -> float:
    """User + system seconds of ``process``; with ``tree``, of its live descendants too, and
    of the ended ones each has waited for (a server's finished backends)."""
    found = [process, *process.children(recursive=True)] if tree else [process]
    total = 0.0
    for p in found:
        try:
            times = p.cpu_times()
        except psutil.Error:  # ended in between
            continue
        total += times.user + times.system
        if tree:
            total += times.children_user + times.children_system
    return total


class CpuWatch:
    """Samples ``read()`` (CPU seconds, or None while there is nothing to read) every
    ``interval`` seconds in a thread, on the clock of the StatsPoller started at ``origin``."""

    def __init__(self, read: Callable[[], float | None], origin: float, interval: float = 0.5):
        self.read = read
        self.origin = origin
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            value = self.read()
            if value is not None:
                self.samples.append((time.monotonic() - self.origin, value))


class FleetChild:
    """The CPU seconds of this process's ``python -m pipeline fleet`` child, once it runs."""

    def __init__(self) -> None:
        self.process: psutil.Process | None = None

    def __call__(self) -> float | None:
        if self.process is None:
            for child in psutil.Process().children():
                try:
                    command = child.cmdline()
                except psutil.Error:
                    continue
                if "pipeline" in command and "fleet" in command:
                    self.process = child
                    break
            else:
                return None
        try:
            times = self.process.cpu_times()
        except psutil.Error:  # it has ended: its last sample stands
            return None
        return float(times.user + times.system)


@dataclass
class FleetRun:
    """One fleet run: the CLI's, the sandbox's counters over time, its last stats, the
    importer's CPU over time, and fleet.json."""

    cli: CliRun
    samples: list[Sample]
    server: dict[str, Any]
    sandbox_cpu_s: float
    fleet: dict[str, Any]  # fleet.json
    cpu: list[tuple[float, float]]  # (t, the importer's CPU seconds so far)
    wall_start: float  # time.time() at t = 0


def run_fleet(
    box: Sandbox,
    manifest: Path,
    report: Path,
    env: dict[str, str],
    *extra: str,
    importer_cpu: Callable[[], float | None] | None = None,
) -> FleetRun:
    """``econ-import fleet MANIFEST --agreements 20`` against ``box``, sampled; the
    importer's CPU is the fleet child's unless ``importer_cpu`` reads it elsewhere."""
    served = psutil.Process(box.process.pid)
    before = _cpu(served)
    args = ["fleet", str(manifest), "--base-url", box.url, "--agreements", str(AGREEMENTS),
            *extra]  # fmt: skip
    with (
        StatsPoller(box) as poller,
        CpuWatch(importer_cpu or FleetChild(), poller.started) as watch,
    ):
        cli = run_cli(args, report=report, env=env, timeout_s=FLEET_TIMEOUT_S)
    sandbox_cpu = _cpu(served) - before
    server = box.stats()
    path = report / "fleet.json"
    fleet = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return FleetRun(cli, poller.samples, server, sandbox_cpu, fleet, watch.samples,
                    poller.wall_start)  # fmt: skip


def _answered_at(samples: list[Sample], t: float) -> float:
    """Calls answered by time ``t``, interpolated between the samples."""
    before = [s for s in samples if s.t <= t]
    after = [s for s in samples if s.t >= t]
    if not before or not after:
        return float((before or after)[-1 if before else 0].answered)
    a, b = before[-1], after[0]
    if b.t == a.t:
        return float(a.answered)
    return a.answered + (b.answered - a.answered) * (t - a.t) / (b.t - a.t)


def _first_full(samples: list[Sample]) -> Sample | None:
    """The first sample in which some agreement holds all its rows on the server."""
    return next((s for s in samples if any(n >= ROWS for n in s.customers.values())), None)


def _lowest(samples: list[Sample], first: Sample) -> float:
    """The fewest tokens the summed bucket held, replayed as ``budget._drained`` does."""
    tokens, previous, lowest = float(FLEET.bucket), first, float(FLEET.bucket)
    for sample in samples[samples.index(first) + 1 :]:
        refill = FLEET.rate * (sample.t - previous.t)
        tokens = min(float(FLEET.bucket), tokens + refill) - (sample.answered - previous.answered)
        previous, lowest = sample, min(lowest, tokens)
    return lowest


def _timeline(run: FleetRun, origin: float) -> dict[str, Any]:
    """When the agreements started and finished, in seconds after the first call."""
    starts, ends = [], []
    for entry in run.fleet.get("agreements", []):
        if entry.get("started_at") and entry.get("finished_at"):
            starts.append(datetime.fromisoformat(entry["started_at"]).timestamp())
            ends.append(datetime.fromisoformat(entry["finished_at"]).timestamp())
    if not starts:
        return {}
    base = run.wall_start + origin
    return {
        "agreements_started_s": [round(min(starts) - base, 1), round(max(starts) - base, 1)],
        "agreements_finished_s": [round(min(ends) - base, 1), round(max(ends) - base, 1)],
    }


def _calling_cpu(run: FleetRun, first: Sample, last: Sample) -> float | None:
    """The importer's CPU ms per call answered between its first and last call (start-up,
    reading, validating and the final reports left out)."""
    inside = [(t, cpu) for t, cpu in run.cpu if first.t <= t <= last.t]
    if len(inside) < 2:
        return None
    (t0, cpu0), (t1, cpu1) = inside[0], inside[-1]
    calls = _answered_at(run.samples, t1) - _answered_at(run.samples, t0)
    return 1000 * (cpu1 - cpu0) / calls if calls > 0 else None


def _ratio(run: FleetRun) -> tuple[float, dict[str, Any]]:
    """The steady-state ratio (see the module docstring) and what it was made of."""
    samples = run.samples
    final = samples[-1]
    cli = run.cli
    detail: dict[str, Any] = {
        "agreements": AGREEMENTS,
        "rows_each": ROWS,
        "exit_code": cli.exit_code,
        "requests": final.requests,
        "answered": final.answered,
        "throttled": final.throttled,
        "writes": final.writes,
    }
    ratio = 0.0
    if final.requests:
        first, last, final = _first_and_last(samples)
        elapsed = last.t - first.t
        settled = _drained(samples, first, FLEET)
        drained = settled is not samples[-1]
        full = _first_full(samples)
        if drained and full is not None and full.t - settled.t >= 2.0:
            # Until the first agreement's rows are all in: past it, that agreement's refill
            # goes unused, which no client could spend (buckets are per agreement).
            window = full.t - settled.t
            ratio = (full.answered - settled.answered) / window / FLEET.rate
        elif drained:
            window = max(last.t - settled.t, 1e-9)
            ratio = (last.answered - settled.answered) / window / FLEET.rate
        else:  # never drained: the overall ratio (see the module docstring)
            window = elapsed
            paced = last.answered - first.answered - FLEET.bucket
            ratio = paced / max(elapsed, 1e-9) / FLEET.rate
        whole_run = (last.answered - first.answered) / max(elapsed, 1e-9) / FLEET.rate
        timeline = _timeline(run, first.t)
        detail.update(
            elapsed_s=round(elapsed, 1),
            drained=drained,
            lowest_summed_bucket=round(_lowest(samples, first)),
            drained_below=round(DRAINED * FLEET.bucket + FLEET.rate * LATENCY_MS / 1000),
            steady_from_s=round(settled.t - first.t, 1) if drained else None,
            steady_window_s=round(window, 1),
            overall_ratio=round((final.answered - FLEET.bucket) / (FLEET.rate * elapsed), 3),
            whole_run_ratio=round(whole_run, 3),
            share_429_pct=round(100 * final.throttled / final.requests, 3),
            **timeline,
        )
        if drained:  # to the fleet's last call, the end's tail included
            to_last = (last.answered - settled.answered) / max(last.t - settled.t, 1e-9)
            detail["ratio_to_last_call"] = round(to_last / FLEET.rate, 3)
        if full is not None:
            detail["first_agreement_in_s"] = round(full.t - first.t, 1)
        detail.update(
            sandbox_cpu_s=round(run.sandbox_cpu_s, 1),
            sandbox_cpu_per_wall_s=round(run.sandbox_cpu_s / max(elapsed, 1e-9), 2),
        )
        calling = _calling_cpu(run, first, last)
        if calling is not None:
            detail["importer_cpu_ms_per_call_while_calling"] = round(calling, 3)
    detail.update(
        sandbox_max_in_flight=run.server.get("max_in_flight"),
        wall_s=round(cli.wall_s, 1),
        fleet_elapsed_s=run.fleet.get("totals", {}).get("elapsed_s"),
        fleet_totals=run.fleet.get("totals"),
        importer_cpu_s=round(cli.cpu_s, 2),
        importer_peak_rss_mb=round(cli.peak_rss_mb),
        loadavg_after=[round(x, 2) for x in os.getloadavg()],
    )
    troubled = [{k: a.get(k) for k in ("name", "exit_code", "error")}
                for a in run.fleet.get("agreements", []) if a.get("exit_code")]  # fmt: skip
    if troubled:
        detail["agreements_not_ok"] = troubled[:5]
    if cli.exit_code != 0:
        detail["stderr"] = cli.stderr[-2000:]
    return ratio, detail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, size: int = 1500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return ""


@dataclass
class Cluster:
    """A running ``dask scheduler`` and its ``dask worker`` processes."""

    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def cpu_s(self) -> float:
        """The workers' process trees' CPU seconds so far (nannies and workers)."""
        return sum(_cpu(psutil.Process(w.pid), tree=True) for w in self.workers)

    def log_tails(self) -> dict[str, str]:
        return {path.name: _tail(path) for path in self.logs}


@contextmanager
def dask_cluster(folder: Path, env: dict[str, str]) -> Iterator[Cluster]:
    """A scheduler and ``DASK_WORKERS`` workers on loopback, their logs in ``folder``;
    stopped (SIGTERM, then SIGKILL) on exit."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    commands = [
        [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
         "--no-dashboard"],
        *([dask, "worker", address, "--nworkers", "1", "--nthreads", str(DASK_THREADS),
           "--host", "127.0.0.1", "--no-dashboard", "--name", f"bench-{i}",
           "--local-directory", str(folder / "dask")] for i in range(DASK_WORKERS)),
    ]  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        for i, command in enumerate(commands):
            log = folder / ("scheduler.log" if i == 0 else f"worker-{i}.log")
            logs.append(log)
            with log.open("wb") as out:
                processes.append(subprocess.Popen(
                    command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT,
                ))  # fmt: skip
        with Client(address, timeout=CLUSTER_TIMEOUT_S) as client:
            client.wait_for_workers(DASK_WORKERS, timeout=CLUSTER_TIMEOUT_S)
        yield Cluster(address, processes[0], processes[1:], logs)
    finally:
        for process in reversed(processes):  # the workers first, then the scheduler
            stop_process(process, timeout=30)


def _postmaster(server: PgServer) -> psutil.Process | None:
    """The PostgreSQL server's main process (its backends are its children)."""
    try:
        pid = int((server.data / "postmaster.pid").read_text().split()[0])
        return psutil.Process(pid)
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def _dask(manifest: Path, folder: Path, local_wall_s: float) -> Figure:
    """The same fleet on a two-worker Dask cluster with a PostgreSQL state."""
    env = cli_env(**_tokens())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    name = f"{BENCH} dask {DASK_WORKERS} workers"
    what = "fleet calls/s ÷ summed refill rate"
    set_up = time.monotonic()
    try:
        server = start_server()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:  # no PostgreSQL
        detail = {"error": f"{type(exc).__name__}: {exc}"[-2000:]}
        return Figure(name, what, 0.0, "ratio", ">= 0.9", detail)
    try:
        state = server.create_database("bench_fleet")
        with dask_cluster(folder, env) as cluster, sandbox(*SANDBOX_FLAGS) as box:
            ready_s = time.monotonic() - set_up
            before = cluster.cpu_s()
            scheduler = psutil.Process(cluster.scheduler.pid)
            postgres = _postmaster(server)
            others = (_cpu(scheduler), _cpu(postgres, tree=True) if postgres else 0.0)
            run = run_fleet(box, manifest, folder / "report-dask", env,
                            "--engine", "dask", "--scheduler", cluster.address,
                            "--state", state, importer_cpu=cluster.cpu_s)  # fmt: skip
            workers_cpu = cluster.cpu_s() - before
            scheduler_cpu = _cpu(scheduler) - others[0]
            postgres_cpu = _cpu(postgres, tree=True) - others[1] if postgres else None
            tails = cluster.log_tails() if run.cli.exit_code != 0 else {}
            stalls = sum(_tail(log, 10**7).count("Event loop was unresponsive")
                         for log in cluster.logs)  # fmt: skip
    except (RuntimeError, OSError, TimeoutError) as exc:  # no cluster, no sandbox
        detail = {"error": f"{type(exc).__name__}: {exc}"[-2000:]}
        return Figure(name, what, 0.0, "ratio", ">= 0.9", detail)
    finally:
        remove_server(server)
    ratio, detail = _ratio(run)
    requests = max(detail["requests"], 1)
    detail.update(
        local_engine_wall_s=round(local_wall_s, 1),
        dask_vs_local_wall=round(run.cli.wall_s / max(local_wall_s, 1e-9), 2),
        cluster_set_up_s=round(ready_s, 1),
        workers_cpu_s=round(workers_cpu, 1),
        workers_cpu_s_per_1000_calls=round(1000 * workers_cpu / requests, 3),
        client_cpu_s=detail.pop("importer_cpu_s"),
        scheduler_cpu_s=round(scheduler_cpu, 1),
        postgres_cpu_s=None if postgres_cpu is None else round(postgres_cpu, 1),
        event_loop_unresponsive_warnings=stalls,
    )
    if "importer_cpu_ms_per_call_while_calling" in detail:
        calling = detail.pop("importer_cpu_ms_per_call_while_calling")
        detail["workers_cpu_ms_per_call_while_calling"] = calling
    if tails:
        detail["logs"] = tails
    print(f"  dask: ratio {ratio:.3f}, wall {run.cli.wall_s:.1f} s "
          f"(local {local_wall_s:.1f} s), exit {run.cli.exit_code}", flush=True)  # fmt: skip
    return Figure(name, what, ratio, "ratio", ">= 0.9", detail)


def run() -> list[Figure]:
    """The local engine's ratio and CPU per 1,000 calls, then the Dask engine's ratio."""
    with tempfile.TemporaryDirectory(prefix="econ-import-bench-fleet-") as tmp:
        folder = Path(tmp)
        manifest = write_manifest(folder)
        with sandbox(*SANDBOX_FLAGS) as box:
            run = run_fleet(box, manifest, folder / "report-local", cli_env(**_tokens()))
        ratio, detail = _ratio(run)
        requests = detail["requests"]
        cpu_per_k = 1000 * run.cli.cpu_s / requests if requests else 0.0
        cpu_detail = {
            "importer_cpu_s": round(run.cli.cpu_s, 2),
            "requests": requests,
            "exit_code": run.cli.exit_code,
            "wall_s": round(run.cli.wall_s, 1),
            "cpu_ms_per_call": round(cpu_per_k, 3),
            "cpu_ms_per_call_while_calling": detail.get("importer_cpu_ms_per_call_while_calling"),
        }
        print(f"  local: ratio {ratio:.3f}, wall {run.cli.wall_s:.1f} s, "
              f"{cpu_per_k:.2f} CPU s per 1,000 calls, exit {run.cli.exit_code}",
              flush=True)  # fmt: skip
        figures = [
            Figure(BENCH, "fleet calls/s ÷ summed refill rate (local engine)", ratio, "ratio",
                   ">= 0.9", detail),
            Figure(BENCH, "importer CPU per 1,000 calls (local engine)", cpu_per_k, "CPU s",
                   "<= 1.0", cpu_detail),
        ]  # fmt: skip
        figures.append(_dask(manifest, folder, run.cli.wall_s))
    return figures
