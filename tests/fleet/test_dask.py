"""A fleet on a Dask cluster (issue #20): a real ``LocalCluster`` of worker processes.

The state is a real PostgreSQL (``tests/pg.py``), the API the sandbox on loopback; the
workers read the grant tokens from the files the manifest names (no token travels in a
task) and the app secret token from the environment they inherited. One worker is
killed mid-run (SIGKILL, as an out-of-memory kill): Dask gives its tasks to another
worker, which resumes from the shared journal, and every row of every agreement is
written exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

import pipeline
from tests.conftest import SandboxHandle
from tests.runs import write_customers

AGREEMENTS = 4
ROWS = 240
#: Long enough for a cluster that is making progress, short enough to fail.
FLEET_TIMEOUT_S = 240.0


@pytest.fixture
def cluster(tokens: object) -> Iterator[LocalCluster]:
    """Two worker processes (under nannies, which restart a killed one), two threads each;
    started after ``tokens`` so that the workers inherit the app secret token."""
    found = LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    )
    try:
        yield found
    finally:
        found.close(timeout=30)


def write_manifest(folder: Path) -> Path:
    lines = ['[defaults]\nmode = "upsert"\nconcurrency = 2\n']  # slow enough to be killed
    for n in range(1, AGREEMENTS + 1):
        source = write_customers(folder / f"c{n}.csv", range(n * 1000, n * 1000 + ROWS))
        secret = folder / "secrets" / f"c{n}.token"
        secret.parent.mkdir(exist_ok=True)
        secret.write_text(f"dask-grant-{n}\n", encoding="utf-8")
        lines.append(f'[[agreements]]\nname = "Dask {n}"\ngrant_token_file = '
                     f'"secrets/c{n}.token"\ninput = "{source.name}"\n')  # fmt: skip
    manifest = folder / "fleet.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest


def held(sandbox: SandboxHandle) -> dict[int, int]:
    counts = sandbox.stats()["agreements"]
    found = {}
    for n in range(1, AGREEMENTS + 1):
        ident = hashlib.sha256(f"dask-grant-{n}".encode()).hexdigest()[:16]
        found[n] = int(counts.get(ident, {}).get("customers", 0))
    return found


async def kill_a_busy_worker(cluster: LocalCluster, sandbox: SandboxHandle) -> int:
    """SIGKILL a worker process that is importing, once some rows but not all are in."""
    async with Client(cluster.scheduler_address, asynchronous=True) as client:
        deadline = time.monotonic() + FLEET_TIMEOUT_S
        while time.monotonic() < deadline:
            written = sum(held(sandbox).values())
            busy = {w: keys for w, keys in (await client.processing()).items() if keys}
            if busy and 60 <= written < AGREEMENTS * ROWS // 2:
                pids = await client.run(os.getpid, workers=list(busy)[:1])
                pid = next(iter(pids.values()))
                os.kill(pid, signal.SIGKILL)
                return written
            await asyncio.sleep(0.05)
    raise AssertionError(f"no worker was busy mid-run: {held(sandbox)}")


async def test_a_worker_killed_mid_run_and_every_row_exactly_once(
    start_sandbox: Callable[..., SandboxHandle],
    cluster: LocalCluster,
    pg_url: str,
    tmp_path: Path,
) -> None:
    sandbox = start_sandbox(bucket=100_000, window=60.0, latency_ms=25)
    manifest = write_manifest(tmp_path)
    fleet = asyncio.create_task(
        pipeline.arun_fleet(manifest, engine="dask", scheduler=cluster.scheduler_address,
                            state=pg_url, base_url=sandbox.url, report=tmp_path / "r1")
    )  # fmt: skip
    written_at_kill = await kill_a_busy_worker(cluster, sandbox)
    outcome = await asyncio.wait_for(fleet, FLEET_TIMEOUT_S)

    assert 0 < written_at_kill < AGREEMENTS * ROWS
    assert outcome.exit_code == 0, json.dumps(outcome.summary, indent=1)
    assert held(sandbox) == {n: ROWS for n in range(1, AGREEMENTS + 1)}
    # Exactly once: one write per row, however many tasks ran; nothing was refused.
    assert sandbox.stats()["writes"] == AGREEMENTS * ROWS
    resumed = []
    for entry in outcome.summary["agreements"]:
        assert (entry["exit_code"], entry["rows"], entry["failed"]) == (0, ROWS, 0), entry
        results = (Path(entry["report"]) / "results.csv").read_text().splitlines()
        assert len(results) == ROWS + 1  # every input row has its line in the report
        summary = json.loads((Path(entry["report"]) / "summary.json").read_text())
        if any("resuming the unfinished run" in w for w in summary["warnings"]):
            resumed.append(entry["name"])
    assert resumed, "no agreement was run again after the kill"  # the kill hit mid-import
    writes = sandbox.stats()["writes"]

    again = await pipeline.arun_fleet(manifest, engine="dask",
                                      scheduler=cluster.scheduler_address, state=pg_url,
                                      base_url=sandbox.url, report=tmp_path / "r2")  # fmt: skip

    assert again.exit_code == 0 and again.totals["unchanged"] == AGREEMENTS * ROWS
    assert sandbox.stats()["writes"] == writes  # the second run wrote nothing
    assert "dask-grant" not in json.dumps(again.summary)
