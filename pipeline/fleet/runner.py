"""A fleet run: every agreement checked, then up to N imported at once, fail apart.

``arun_fleet`` reads the manifest (a mistake in its structure, or a token written in it,
refuses the whole fleet: ``ManifestError``, exit 2), then checks every agreement as its
import would (token, job, inputs, mappings) and lists every agreement that cannot start,
with its reason, before any request. The others run: in this process (``local``, the
default: up to ``agreements`` at once in one event loop, each with its own pacing,
window, lock, ledger scope and report folder ``DIR/<slug>/``), or one task each on a
Dask cluster (``dask``, ``pipeline.fleet.dask_engine``). One agreement's trouble is its
own result, never the others' stop.

The fleet's exit code is 0 when every agreement exits 0, else the most serious of
theirs, in this order: 2 (could not start: a person must fix something first), 3
(stopped: the same command resumes it), 1 (some rows did not succeed). ``fleet.json``
and ``fleet.html`` sit beside the agreements' folders.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.report import prepare_folder, write_fleet_report
from pipeline.run import (
    DEFAULT_PROGRESS_INTERVAL_S,
    DEFAULT_REPORT_ROOT,
    run_to_end,
)
from pipeline.state import STATE_ENV, describe, is_url
from pipeline.write import uncancel

from .console import FleetConsole, table_lines
from .manifest import load_manifest
from .settings import DASK_LOCK_WAIT_S, DEFAULT_AGREEMENTS, ENGINES, SEVERITY
from .task import COUNTS, AgreementResult, AgreementTask, check_task, run_task

__all__ = ["FleetOutcome", "arun_fleet", "fleet_exit_code", "run_fleet"]


@dataclass
class FleetOutcome:
    """What a fleet did: its exit code, an entry per agreement, fleet.json's dict."""

    exit_code: int
    agreements: list[AgreementResult]
    totals: dict[str, Any]
    report_dir: Path
    summary: dict[str, Any]  # fleet.json's dict

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def fleet_exit_code(codes: Sequence[int]) -> int:
    """0 when every code is 0, else the most serious one (``SEVERITY``)."""
    for code in SEVERITY:
        if code in codes:
            return code
    return max(codes, default=0)


async def arun_fleet(
    manifest: Path | str,
    *,
    report: Path | str | None = None,
    agreements: int = DEFAULT_AGREEMENTS,
    mode: str | None = None,
    dry_run: bool = False,
    base_url: str | None = None,
    state: str | Path | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    progress: bool = False,
    progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S,
    echo: bool = False,
    env: Mapping[str, str] | None = None,
) -> FleetOutcome:
    """Run a fleet manifest (see the module docstring); ``echo`` prints what the CLI does."""
    env = dict(os.environ if env is None else env)
    if engine not in ENGINES:
        raise ConfigError(f"engine {engine!r} is not one of: {', '.join(ENGINES)}")
    if not isinstance(agreements, int) or agreements < 1:
        raise ConfigError(f"agreements must be a positive whole number, not {agreements!r}")
    loaded = load_manifest(Path(manifest), mode=mode)
    where = None if state is None else str(state)
    if engine == "dask":
        where = _shared_state(where, env)
        if not scheduler:
            raise ConfigError("--engine dask needs --scheduler tcp://HOST:PORT (a running "
                              "Dask scheduler; see the README)")  # fmt: skip
    root = Path(report or DEFAULT_REPORT_ROOT / datetime.now().strftime("fleet-%Y%m%d-%H%M%S"))
    prepare_folder(root, what="the fleet's report")
    wait_s = DASK_LOCK_WAIT_S if engine == "dask" else 0.0
    tasks = [AgreementTask(spec=spec, report_dir=root / spec.slug, state=where,
                           dry_run=dry_run, base_url=base_url, wait_s=wait_s)
             for spec in loaded.agreements]  # fmt: skip
    started = time.monotonic()
    results: dict[str, AgreementResult] = {}
    for task in tasks:  # every agreement checked, every mistake listed, before any request
        if problem := check_task(task, env):
            results[task.name] = AgreementResult.not_started(task, problem)
            if echo:
                print(f"econ-import: agreement {task.name!r} cannot start: {problem}",
                      file=sys.stderr)  # fmt: skip
    ready = [t for t in tasks if t.name not in results]
    if echo:
        print(f"fleet: {len(ready)} of {len(tasks)} agreements to import, up to {agreements} "
              f"at once ({engine}); reports in {root}")  # fmt: skip
    console = FleetConsole(progress=progress, interval_s=progress_interval_s)
    async with console:
        if engine == "dask":
            from .dask_engine import run_on_dask

            assert scheduler is not None
            done = await run_on_dask(ready, scheduler=scheduler, limit=agreements,
                                     console=console)  # fmt: skip
        else:
            done = await _run_local(ready, limit=agreements, env=env, console=console)
    results.update({r.name: r for r in done})
    ordered = [results[t.name] for t in tasks]
    outcome = _outcome(ordered, root=root, engine=engine, elapsed_s=time.monotonic() - started)
    write_fleet_report(root, outcome.summary)  # fleet.json, then fleet.html beside it
    if echo:
        print("\n".join(["", *table_lines(ordered, outcome.totals)]))
        if reasons := [f"  {r.name}: exit {r.exit_code}: {r.error}" for r in ordered if r.error]:
            print("\n".join(["", "Why:", *reasons]))
        print(f"\nfleet.json: {root / 'fleet.json'}\nSee the fleet at a glance: "
              f"{root / 'fleet.html'}")  # fmt: skip
    return outcome


def run_fleet(manifest: Path | str, **options: Any) -> FleetOutcome:
    """``arun_fleet``, run to the end (in a thread of its own under a running loop)."""
    return run_to_end(arun_fleet(manifest, **options))


async def _run_local(
    tasks: Sequence[AgreementTask], *, limit: int, env: Mapping[str, str], console: FleetConsole
) -> list[AgreementResult]:
    """Up to ``limit`` agreements at once in this event loop. Ctrl-C or SIGTERM stops each
    running import as it stops one alone (its report written, resumable); the agreements
    not yet begun are stopped before they begin. Either way the fleet's report follows."""
    gate = asyncio.Semaphore(limit)

    async def one(task: AgreementTask) -> AgreementResult:
        try:
            async with gate:
                result = await run_task(task, env=env, watch=console.begin(task.name))
        except asyncio.CancelledError:
            why = "stopped before its import began (Ctrl-C or SIGTERM)"
            result = AgreementResult.stopped(task, why)
        console.end(result)
        return result

    running = [asyncio.create_task(one(task)) for task in tasks]
    if not running:
        return []
    try:
        await asyncio.wait(running)
    except asyncio.CancelledError:
        uncancel()  # the fleet stops, but every agreement's report and fleet.json are written
        for future in running:
            future.cancel()
        await asyncio.wait(running)
    return [future.result() for future in running]


def _shared_state(where: str | None, env: Mapping[str, str]) -> str:
    """The PostgreSQL URL a Dask fleet shares; a folder (one machine's) is refused."""
    text = (where or env.get(STATE_ENV, "")).strip()
    if not is_url(text):
        shown = f" ({describe(Path(text))})" if text else ""
        raise ConfigError(
            "--engine dask needs a shared PostgreSQL state: give --state postgresql://... "
            f"or set {STATE_ENV}; a folder{shown} is on one machine only"
        )
    return text


def _outcome(
    results: Sequence[AgreementResult], *, root: Path, engine: str, elapsed_s: float
) -> FleetOutcome:
    exit_code = fleet_exit_code([r.exit_code for r in results])
    totals: dict[str, Any] = {n: sum(getattr(r, n) for r in results) for n in COUNTS}
    totals.update(agreements=len(results), exit_code=exit_code, elapsed_s=round(elapsed_s, 3))
    summary = {
        "exit_code": exit_code,
        "engine": engine,
        "agreements": [r.as_dict() for r in results],
        "totals": totals,
    }
    return FleetOutcome(exit_code, list(results), totals, root, summary)
