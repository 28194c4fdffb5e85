"""A fleet past one machine: one Dask task per agreement on a running cluster (issue #20).

``run_on_dask`` connects to the scheduler (``--scheduler tcp://HOST:PORT``), keeps up to
``limit`` agreements submitted at once, and turns each task's end into the agreement's
result. A task's argument is its ``AgreementTask``: paths and names, never a token; the
worker reads the grant token from the variable or the file the manifest names, and the
app secret token from its own environment, so every worker needs the same environment
and the same paths (a shared folder for inputs and reports).

A worker that dies mid-agreement: the scheduler gives the task to another worker
(``distributed``'s own rescheduling of a lost worker's tasks), whose import resumes
from the shared PostgreSQL journal: rows the dead worker had sent are recognised, none
is sent twice. The new task waits for the agreement's lock (``DASK_LOCK_WAIT_S``) until
PostgreSQL drops the dead worker's session. A task the cluster gives up on (it killed
``distributed.scheduler.allowed-failures`` workers) is the agreement's exit 3: the same
command resumes it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Sequence
from typing import Any

from pipeline.errors import ConfigError
from pipeline.write import uncancel

from .console import FleetConsole
from .task import AgreementResult, AgreementTask, run_task

__all__ = ["run_in_worker", "run_on_dask"]

#: Seconds to reach the scheduler before the fleet gives up (exit 2, nothing submitted).
CONNECT_TIMEOUT_S = 30


def run_in_worker(task: AgreementTask) -> dict[str, Any]:
    """A Dask task: import one agreement on this worker, with this worker's environment."""
    return asyncio.run(run_task(task, env=dict(os.environ))).as_dict()


async def run_on_dask(
    tasks: Sequence[AgreementTask], *, scheduler: str, limit: int, console: FleetConsole
) -> list[AgreementResult]:
    """Run ``tasks`` on the cluster at ``scheduler``, up to ``limit`` at once."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ConfigError(
            "--engine dask needs the distributed package: pip install 'econ-import[dask]'"
        ) from None
    try:
        client = await Client(scheduler, asynchronous=True, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    results: list[AgreementResult] = []
    try:
        waiting = list(tasks)
        running: dict[str, AgreementTask] = {}
        finished = as_completed()

        def submit() -> None:
            task = waiting.pop(0)
            key = f"econ-import-{task.spec.slug}-{uuid.uuid4().hex[:8]}"
            # pure=False: the same agreement run again is a new task, never a cached one.
            future = client.submit(run_in_worker, task, key=key, pure=False)
            running[key] = task
            console.begin(task.name, watched=False)
            finished.add(future)

        while waiting and len(running) < limit:
            submit()
        try:
            async for future in finished:
                task = running.pop(future.key)
                result = await _result(future, task)
                console.end(result)
                results.append(result)
                if waiting:
                    submit()
        except asyncio.CancelledError:
            # Ctrl-C or SIGTERM: what has not begun is cancelled on the cluster; an import
            # already running in a worker's thread cannot be interrupted and ends there.
            uncancel()
            await client.cancel(list(finished.futures))
            why = "stopped: the fleet was interrupted (Ctrl-C or SIGTERM)"
            results += [AgreementResult.stopped(t, why) for t in [*running.values(), *waiting]]
    finally:
        await client.close()
    return results


async def _result(future: Any, task: AgreementTask) -> AgreementResult:
    """The task's result; a task the cluster lost or gave up on is a stopped agreement."""
    try:
        found = await future
    except Exception as exc:  # KilledWorker, a worker's bug
        return AgreementResult.stopped(
            task, f"the Dask task ended without a result ({type(exc).__name__}: {exc}); "
            "run the same command again to resume it",
        )  # fmt: skip
    return AgreementResult(**found)
