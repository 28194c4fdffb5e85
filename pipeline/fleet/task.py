"""One agreement of a fleet: checked before the fleet starts, then imported where it runs.

An ``AgreementTask`` is everything a worker needs but the token: the manifest's entry and
the fleet's settings, small and picklable (a Dask task's argument); the worker reads the
grant token from the variable or the file the manifest names, never from the task. Its
import is the library's (``pipeline.run.import_steps``) with its own report folder, lock,
pacing and window. Whatever goes wrong in one agreement becomes its ``AgreementResult``
(an exit code and a reason), never an exception that would stop the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.api import ENV_APP_SECRET
from pipeline.errors import EconImportError
from pipeline.run import (
    EXIT_INTERRUPTED,
    EXIT_NOT_STARTED,
    ImportOptions,
    ImportOutcome,
    Watch,
    import_steps,
    prepare,
)

from .agreement import agreement_steps, resolve_grant_token
from .keys import shown
from .manifest import AgreementSpec

__all__ = ["AgreementResult", "AgreementTask", "check_task", "reason", "run_task"]

logger = logging.getLogger(__name__)

#: The summary's counters a fleet shows per agreement; ``failed`` there is every row that
#: did not succeed (summary.json's invalid + rejected + failed), each also on its own.
COUNTS = ("rows", "created", "updated", "unchanged", "skipped", "failed", "invalid", "rejected")


@dataclass(frozen=True)
class AgreementTask:
    """One agreement's import as the fleet runs it (no token in it: see the docstring)."""

    spec: AgreementSpec
    report_dir: Path
    state: str | None = None  # --state, else the environment's, else the state folder
    dry_run: bool = False
    base_url: str | None = None  # --base-url, which wins over the manifest's
    wait_s: float = 0.0  # for the agreement's lock (a Dask retry waits out a dead worker's)

    @property
    def name(self) -> str:
        return self.spec.name

    def options(self, env: Mapping[str, str], watch: Watch | None = None) -> ImportOptions:
        """The import's options: the agreement's token read here, from where it is named."""
        spec = self.spec
        return ImportOptions(
            mode=spec.mode,
            dry_run=self.dry_run,
            base_url=self.base_url or spec.base_url,
            report=self.report_dir,
            state=self.state,
            concurrency=spec.concurrency,
            max_concurrency=spec.max_concurrency,
            agreement_grant_token=resolve_grant_token(spec, env),
            wait=self.wait_s,
            env=env,
            watch=watch,
        )


@dataclass
class AgreementResult:
    """An agreement's line of fleet.json: its exit code, counts, report and reason."""

    name: str
    exit_code: int
    report: str
    error: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    invalid: int = 0
    rejected: int = 0
    elapsed_s: float = 0.0
    started_at: str = ""  # UTC, ISO 8601 to the millisecond; '' when it never started
    finished_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def not_started(cls, task: AgreementTask, error: str) -> AgreementResult:
        return cls(name=task.name, exit_code=EXIT_NOT_STARTED, report="", error=error)

    @classmethod
    def stopped(cls, task: AgreementTask, error: str) -> AgreementResult:
        """Stopped before it finished: exit 3, the same command resumes it."""
        result = cls(name=task.name, exit_code=EXIT_INTERRUPTED, report="", error=error)
        if task.report_dir.exists():
            result.report = str(task.report_dir)
        return result

    @classmethod
    def of(cls, task: AgreementTask, outcome: ImportOutcome) -> AgreementResult:
        summary = outcome.summary
        counts = {name: int(summary.get(name) or 0) for name in COUNTS}
        counts["failed"] += counts["invalid"] + counts["rejected"]
        result = cls(
            name=task.name,
            exit_code=outcome.exit_code,
            report=str(outcome.report_dir),
            error=str(summary.get("stopped_by") or ""),
        )
        for name, count in counts.items():
            setattr(result, name, count)
        return result


def check_task(task: AgreementTask, env: Mapping[str, str]) -> str:
    """Why the agreement cannot start ('' when it can): its token, its job, every input and
    mapping, read as the import will; nothing is sent."""
    try:
        resolve_grant_token(task.spec, env)
        if not env.get(ENV_APP_SECRET, "").strip():
            return f"environment variable {ENV_APP_SECRET} not set (the integration's)"
        prepare(agreement_steps(task.spec), mode=task.spec.mode)
    except EconImportError as exc:
        return reason(task, exc)
    return ""


def reason(task: AgreementTask, exc: BaseException) -> str:
    """The error's line without the agreement's name, which fleet.json has beside it."""
    return str(exc).removeprefix(f"agreement {shown(task.name)}: ")


async def run_task(
    task: AgreementTask, *, env: Mapping[str, str], watch: Watch | None = None
) -> AgreementResult:
    """Import one agreement; its trouble, of any kind, is its result's reason."""
    started, started_at = time.monotonic(), _now()
    try:
        outcome = await import_steps(agreement_steps(task.spec), task.options(env, watch))
    except EconImportError as exc:
        result = AgreementResult.not_started(task, reason(task, exc))
    except Exception as exc:  # a bug must not take the other agreements down with it
        logger.exception("agreement %r failed", task.name)
        result = AgreementResult.not_started(task, f"internal error: {type(exc).__name__}: {exc}")
    else:
        result = AgreementResult.of(task, outcome)
    result.elapsed_s = round(time.monotonic() - started, 3)
    result.started_at, result.finished_at = started_at, _now()
    if not result.report and task.report_dir.exists():
        result.report = str(task.report_dir)
    return result


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
