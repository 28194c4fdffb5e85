"""The importer as functions a program calls (issue #20): ``pipeline.import_file`` & co.

``import_steps`` is the one sequence every import follows, the CLI's included: check
every input and mapping, create the report folder, find the state, connect, take the
agreement's lock, print the plan, refuse what a fresh state cannot recognise, run, and
return an ``ImportOutcome``. The functions around it only say what the steps are: a
file, a DataFrame (``import_frame``: a query result without a file) or a job file.

Each ``a…`` function is a coroutine for a running event loop (a notebook, an async
service); the plain ones run it to the end, in a thread of their own when the calling
thread already runs a loop. Tokens default to the environment; a mistake raises the
project's own exception (``pipeline.errors``) with the one line the CLI prints. The
library prints nothing unless asked (``echo``); the report says everything.
"""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict, TypeVar, Unpack

from pipeline import state
from pipeline.api import ApiSettings
from pipeline.constraints import ENTITIES
from pipeline.errors import ConfigError
from pipeline.report import prepare_folder

from .connect import SANDBOX_TOKENS, connect, has_target, token_env
from .console import print_plan
from .importer import RunOutcome, run_import
from .inputs import prepare
from .job import load_job
from .lock import hold_agreement
from .no_history import check_history
from .settings import (
    DEFAULT_PROGRESS_INTERVAL_S,
    DEFAULT_REPORT_ROOT,
    MODES,
    RunSettings,
    Step,
    Watch,
)

__all__ = [
    "ImportOptions",
    "ImportOutcome",
    "aimport_file",
    "aimport_frame",
    "aimport_job",
    "import_file",
    "import_frame",
    "import_job",
    "import_steps",
]

T = TypeVar("T")


@dataclass(frozen=True)
class ImportOptions:
    """How to run an import: the CLI's flags, as keywords (see the README's table)."""

    mode: str = "create"
    dry_run: bool = False
    offline: bool = False  # a dry run that sends nothing, even with a target
    base_url: str | None = None
    sandbox: bool = False
    report: Path | str | None = None
    state: str | Path | None = None
    journal: Path | str | None = None
    concurrency: int | None = None  # None: adaptive
    max_concurrency: int | None = None
    app_secret_token: str | None = field(default=None, repr=False)
    agreement_grant_token: str | None = field(default=None, repr=False)
    retry_failed: bool = False
    restart: bool = False
    wait: float = 0.0  # seconds to wait for another import's lock on the agreement
    progress: bool = False
    progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S
    echo: bool = False  # the plan on stdout, the lock's messages on stderr, as the CLI
    env: Mapping[str, str] | None = field(default=None, repr=False)  # None: os.environ
    watch: Watch | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode {self.mode!r} is not one of: {', '.join(MODES)}")
        for name in ("concurrency", "max_concurrency"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name} must be a positive whole number, not {value!r}")
        if self.wait < 0:
            raise ConfigError(f"wait must be zero or more seconds, not {self.wait!r}")


class ImportKeywords(TypedDict, total=False):
    """The keywords every import function takes besides its input (``ImportOptions``)."""

    mode: str
    dry_run: bool
    offline: bool
    base_url: str | None
    sandbox: bool
    report: Path | str | None
    state: str | Path | None
    journal: Path | str | None
    concurrency: int | None
    max_concurrency: int | None
    app_secret_token: str | None
    agreement_grant_token: str | None
    retry_failed: bool
    restart: bool
    wait: float
    progress: bool
    progress_interval_s: float
    echo: bool
    env: Mapping[str, str] | None
    watch: Watch | None


@dataclass
class ImportOutcome:
    """What an import did: its exit code (as the CLI's), summary.json's dict, the report."""

    exit_code: int
    summary: dict[str, Any]
    report_dir: Path
    run: RunOutcome = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when every row succeeded (exit code 0)."""
        return self.exit_code == 0


async def import_steps(steps: Sequence[Step], options: ImportOptions) -> ImportOutcome:
    """Run an import of ``steps`` (see the module docstring for the sequence)."""
    env = token_env(
        os.environ if options.env is None else options.env,
        app_secret_token=options.app_secret_token,
        agreement_grant_token=options.agreement_grant_token,
    )
    prepared = prepare(steps, mode=options.mode)  # every input and mapping checked first
    report_dir = Path(options.report or _default_report_dir())
    prepare_folder(report_dir)  # before the plan's first request (issue #19)
    journal, ledger = _state_places(options, env)
    settings = RunSettings(
        steps=tuple(steps),
        report_dir=report_dir,
        journal=journal,
        ledger=ledger,
        mode=options.mode,  # type: ignore[arg-type]  # checked by ImportOptions
        concurrency=options.concurrency,
        dry_run=options.dry_run,
        retry_failed=options.retry_failed,
        restart=options.restart,
        progress=options.progress,
        progress_interval_s=options.progress_interval_s,
        watch=options.watch,
    )
    known = [env.get(name, "") for name in SANDBOX_TOKENS]
    known.append(state.state_password(_text(options.state), env))  # masked wherever it shows
    out, err = (sys.stdout, sys.stderr) if options.echo else (io.StringIO(), io.StringIO())
    target = has_target(env, base_url=options.base_url, sandbox=options.sandbox,
                        dry_run=options.dry_run, offline=options.offline)  # fmt: skip
    connection: AbstractAsyncContextManager[ApiSettings | None] = nullcontext(None)
    if target:
        connection = connect(env, base_url=options.base_url, sandbox=options.sandbox,
                             concurrency=options.concurrency,
                             max_concurrency=options.max_concurrency)  # fmt: skip
    async with (
        connection as api,
        hold_agreement(settings, prepared, api, wait_s=options.wait, out=err),
    ):
        if api is not None and not options.dry_run:
            plan = await print_plan(prepared, api, out=out)
            await check_history(settings, prepared, api, plan)
            settings = replace(settings, total_rows=plan.rows, notes=plan.notes,
                               plan=plan.as_dict())  # fmt: skip
        outcome = await run_import(settings, prepared, api=api, secrets=known)
    return ImportOutcome(
        exit_code=outcome.exit_code,
        summary=_summary(outcome),
        report_dir=report_dir,
        run=outcome,
    )


async def aimport_file(
    path: Path | str,
    *,
    entity: str | None = None,
    mapping: Path | str | None = None,
    sheet: str | None = None,
    **options: Unpack[ImportKeywords],
) -> ImportOutcome:
    """Import one CSV file or workbook sheet (``econ-import import FILE``)."""
    step = Step(entity=_entity(entity), input=Path(path), sheet=sheet, mapping=_path(mapping))
    return await import_steps([step], ImportOptions(**options))


async def aimport_frame(
    frame: Any,
    *,
    entity: str | None = None,
    mapping: Path | str | None = None,
    name: str = "frame",
    **options: Unpack[ImportKeywords],
) -> ImportOutcome:
    """Import a pandas DataFrame whose columns are the mapping's source columns (or
    property paths, without a mapping); ``name`` names it in the report and the journal."""
    if not name.strip():
        raise ConfigError("name must name the frame in the report (it is empty)")
    step = Step(entity=_entity(entity), input=Path(name), mapping=_path(mapping), frame=frame)
    return await import_steps([step], ImportOptions(**options))


async def aimport_job(path: Path | str, **options: Unpack[ImportKeywords]) -> ImportOutcome:
    """Import the inputs of a job file, in dependency order (``import --job FILE``)."""
    return await import_steps(list(load_job(Path(path))), ImportOptions(**options))


def import_file(
    path: Path | str,
    *,
    entity: str | None = None,
    mapping: Path | str | None = None,
    sheet: str | None = None,
    **options: Unpack[ImportKeywords],
) -> ImportOutcome:
    """``aimport_file``, run to the end (see the module docstring)."""
    return run_to_end(aimport_file(path, entity=entity, mapping=mapping, sheet=sheet, **options))


def import_frame(
    frame: Any,
    *,
    entity: str | None = None,
    mapping: Path | str | None = None,
    name: str = "frame",
    **options: Unpack[ImportKeywords],
) -> ImportOutcome:
    """``aimport_frame``, run to the end."""
    return run_to_end(aimport_frame(frame, entity=entity, mapping=mapping, name=name, **options))


def import_job(path: Path | str, **options: Unpack[ImportKeywords]) -> ImportOutcome:
    """``aimport_job``, run to the end."""
    return run_to_end(aimport_job(path, **options))


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on a loop of its own: this thread's, or a new thread's when this
    one already runs a loop (a notebook), which ``asyncio.run`` refuses."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="econ-import") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _state_places(options: ImportOptions, env: Mapping[str, str]) -> tuple[state.Where, ...]:
    """(journal, ledger): ``journal`` moves the journal; the rest is ``state``'s."""
    journal: state.Where = None if options.journal is None else _where(options.journal)
    if options.sandbox:  # it starts empty and dies with the run: its history stays in memory
        return journal, None
    found_journal, ledger = state.state_places(_text(options.state), env)
    return journal or found_journal, ledger


def _summary(outcome: RunOutcome) -> dict[str, Any]:
    """summary.json's dict, read back; the counters alone when it could not be written."""
    import json

    try:
        found = json.loads(outcome.report.summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {**outcome.summary.as_dict(), "exit_code": outcome.exit_code}
    return found if isinstance(found, dict) else {}


def _default_report_dir() -> Path:
    """``reports/<timestamp>/``, made here: a second import in the same second (a loop in
    a script, two processes) gets ``<timestamp>-2/``, never the first one's folder."""
    stamp = DEFAULT_REPORT_ROOT / datetime.now().strftime("%Y%m%d-%H%M%S")
    for number in range(1, 1000):
        folder = stamp if number == 1 else stamp.with_name(f"{stamp.name}-{number}")
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError:
            return folder  # prepare_folder names the path and the cause
        return folder
    return stamp


def _entity(name: str | None) -> str:
    chosen = name or "customers"
    if chosen not in ENTITIES:
        raise ConfigError(f"entity {chosen!r} is not one of: {', '.join(ENTITIES)}")
    return chosen


def _path(value: Path | str | None) -> Path | None:
    return None if value is None else Path(value)


def _text(value: str | Path | None) -> str | None:
    return None if value is None else str(value)


def _where(value: Path | str) -> state.Where:
    text = str(value)
    return text if state.is_url(text) else Path(text)
