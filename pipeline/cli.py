"""``econ-import``: parse arguments, build settings, call the library, map to an exit code.

Commands: ``import``, ``validate`` (``import --dry-run``: no writes; with a target, a
preview of every change), ``map`` (draft a mapping from a file), ``template``, ``export``,
``forget`` (clear an agreement's ledger) and ``sandbox``. Exit codes: 0 every row
succeeded (or was skipped because its record already exists), 1 some row did not, 2
nothing could start (bad mapping, unreadable file, missing token, a report folder or state
store that cannot be written), 3 the run was stopped before it finished (Ctrl-C, SIGTERM,
a report or state write that failed mid-run); run the same command again to resume.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING

# The stage packages load a module on first use (``pipeline.run.run_import``), so that
# --help and --version import no pandas, pandera or aiohttp.
from pipeline import __version__, api, fleet, run, state
from pipeline.cli_parts import positive_int, seconds, stop_on_signals
from pipeline.constraints import ENTITIES, entity
from pipeline.errors import ConfigError, EconImportError
from pipeline.redact import Redactor, install_log_filter

if TYPE_CHECKING:
    from pipeline.draft import Agreement

#: ``--concurrency adaptive`` (the default): the window follows the budget and latency.
ADAPTIVE = "adaptive"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="econ-import",
        description="Bulk import of customer lists into the e-conomic REST API.",
    )
    parser.add_argument("--version", action="version", version=f"econ-import {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in (
        ("import", "validate and send rows to the API"),
        (
            "validate",
            "check rows; with a target, preview every change; writes nothing (= import --dry-run)",
        ),
    ):
        _add_import_arguments(commands.add_parser(name, help=help_text, description=help_text))
    drafting = commands.add_parser(
        "map", help="draft a mapping from a file's headers and values", description=(
            "Draft a mapping: each column placed on a property by its header (synonyms in "
            "Danish, English, German, Swedish, Norwegian) or its values, with the reason."
        ),
    )  # fmt: skip
    drafting.add_argument("input", type=Path, help="CSV or workbook file")
    drafting.add_argument("--entity", default="customers", choices=list(ENTITIES))
    drafting.add_argument("--sheet", help="workbook sheet (default: the first)")
    drafting.add_argument("-o", "--output", type=Path, required=True, help="mapping (.toml)")
    drafting.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    _add_connection_arguments(drafting)  # a target: reference values matched to its names
    template = commands.add_parser("template", help="write an empty sheet with every column")
    template.add_argument("entity", choices=list(ENTITIES))
    template.add_argument("-o", "--output", type=Path, required=True, help=".csv or .xlsx")
    export = commands.add_parser("export", help="write a collection in the columns import takes")
    export.add_argument("entity", choices=list(ENTITIES))
    export.add_argument("-o", "--output", type=Path, required=True, help=".csv or .xlsx")
    _add_connection_arguments(export)
    forget = commands.add_parser(
        "forget",
        help="clear the ledger of one agreement (from --base-url and the grant token)",
        description="Remove what the ledger remembers of one agreement, so that the next "
        "import no longer recognises rows by it. The agreement is the one the tokens in "
        "the environment and --base-url (or ECONOMIC_BASE_URL) name.",
    )
    forget.add_argument("--entity", choices=list(ENTITIES), help="only this entity")
    forget.add_argument("--base-url", help="API base URL (default: $ECONOMIC_BASE_URL or live)")
    _add_state_argument(forget)
    _add_fleet_parser(commands)
    from pipeline.sandbox import add_sandbox_arguments

    sandbox = commands.add_parser("sandbox", help="run the local sandbox of the API")
    add_sandbox_arguments(sandbox)
    return parser


def _add_import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "input", nargs="?", type=Path, help="CSV, XLSX, XLSM, XLSB, XLS or ODS file (or --job)"
    )
    p.add_argument("--entity", default="customers", choices=list(ENTITIES))
    p.add_argument("--mapping", type=Path, help="mapping file (default: headers are API paths)")
    p.add_argument("--sheet", help="workbook sheet (default: the first visible one)")
    p.add_argument("--job", type=Path, help="job file: several inputs in dependency order")
    p.add_argument("--report", type=Path, help="report folder (default: reports/<timestamp>/)")
    p.add_argument(
        "--mode",
        choices=list(run.MODES),
        default="create",
        help="; ".join(f"{k}: {v}" for k, v in run.MODES.items()),
    )
    p.add_argument(
        "--concurrency",
        type=_concurrency,
        default=run.DEFAULT_CONCURRENCY,
        metavar="N|adaptive",
        help="requests in flight: a number fixes it; default: adaptive, sized from the "
        "budget's rate and the measured latency",
    )
    p.add_argument(
        "--max-concurrency",
        type=positive_int,
        metavar="N",
        help="the most requests an adaptive window may have in flight (default: 1.5 x the "
        f"budget's rate x the latency, at most {api.DEFAULT_MAX_CONCURRENCY}, and "
        f"{api.DEFAULT_BLIND_LIMIT} until the rate is known)",
    )
    p.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    p.add_argument("--offline", action="store_true",
                   help="with --dry-run (or validate): send nothing, not even the preview's "
                   "reads, whatever the environment names")  # fmt: skip
    p.add_argument(
        "--journal",
        type=Path,
        help="journal file (default: journal.sqlite in the state folder, "
        "$ECONOMIC_IMPORT_HOME or the user state directory)",
    )
    _add_state_argument(p)
    p.add_argument("--wait", type=seconds, default=0.0, metavar="SECONDS",
                   help="wait this long for another import's lock on the agreement "
                   "(default: exit 2 at once)")  # fmt: skip
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="on resume, send rows that were rejected or failed again",
    )
    p.add_argument(
        "--restart",
        action="store_true",
        help="abandon an unfinished run of these inputs and start afresh",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_connection_arguments(p)


def _add_fleet_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "fleet",
        help="import many agreements from a manifest, several at once",
        description="Import every agreement of a TOML manifest (one import each, its own "
        "report folder), up to --agreements at once, in this process or on a Dask cluster.",
    )
    p.add_argument("manifest", type=Path, help="fleet manifest (.toml)")
    p.add_argument("--report", type=Path, help="folder of the agreements' reports and "
                   "fleet.json (default: reports/fleet-<timestamp>/)")  # fmt: skip
    p.add_argument("--agreements", type=positive_int, default=fleet.DEFAULT_AGREEMENTS,
                   metavar="N", help="agreements at once (default: %(default)s)")  # fmt: skip
    p.add_argument("--mode", choices=list(run.MODES), help="every agreement's mode "
                   "(default: each agreement's, else create)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="validate every agreement; write nothing")
    p.add_argument("--base-url", help="API base URL (default: the manifest's base_url, "
                   "$ECONOMIC_BASE_URL or the live API)")  # fmt: skip
    _add_state_argument(p)
    p.add_argument("--engine", choices=fleet.ENGINES, default="local",
                   help="local: in this process (default); dask: one task per agreement "
                   "on a Dask cluster (needs --scheduler and a PostgreSQL --state)")  # fmt: skip
    p.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler (tcp://HOST:PORT)")
    p.add_argument("--no-progress", action="store_true", help="no live line per agreement")


def _add_connection_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", help="API base URL (default: $ECONOMIC_BASE_URL or the live API)")
    p.add_argument(
        "--sandbox", action="store_true", help="start the embedded sandbox in-process and use it"
    )


def _add_state_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", metavar="URL",
                   help="the state store: a postgresql:// URL or a folder (default: "
                   "$ECONOMIC_IMPORT_STATE, else the state folder)")  # fmt: skip


def _progress_interval() -> float:
    """Seconds between progress lines off a terminal: ``ECONOMIC_IMPORT_PROGRESS_INTERVAL``
    (for tests, which need lines from a short run), else the default 10."""
    text = os.environ.get(run.ENV_PROGRESS_INTERVAL, "").strip()
    if not text:
        return run.DEFAULT_PROGRESS_INTERVAL_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(
            f"{run.ENV_PROGRESS_INTERVAL} must be a positive number of seconds: {text!r}"
        )
    return value


def _concurrency(text: str) -> int | None:
    if text.strip().lower() == ADAPTIVE:
        return None
    try:
        return positive_int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number or {ADAPTIVE!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    import asyncio  # not before: --help and --version need no event loop

    _configure_logging()
    try:
        if args.command == "sandbox":
            from pipeline.sandbox import config_from_args, serve_forever

            serve_forever(config_from_args(args))
            return 0
        if args.command == "template":
            return _template(args)
        if args.command == "map":
            return _map(args)
        if args.command == "export":
            return asyncio.run(_export(args))
        if args.command == "forget":
            return _forget(args)
        if args.command == "fleet":
            return asyncio.run(_fleet(args))
        return asyncio.run(_import(args))
    except EconImportError as exc:
        print(f"econ-import: {exc}", file=sys.stderr)
        return run.EXIT_NOT_STARTED
    except (KeyboardInterrupt, asyncio.CancelledError):
        # Stopped before the run began (e.g. while the plan was read): nothing was sent.
        print("econ-import: interrupted before anything was sent", file=sys.stderr)
        return run.EXIT_INTERRUPTED


def _configure_logging() -> None:
    """Warnings from the libraries underneath go to stderr, with the tokens masked."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format="econ-import: %(name)s: %(message)s")
    install_log_filter(Redactor(os.environ.get(name, "") for name in run.SANDBOX_TOKENS))


def _template(args: argparse.Namespace) -> int:
    from pipeline.mapping import write_template

    headers = write_template(entity(args.entity), args.output)
    print(f"wrote {args.output} with {len(headers)} columns")
    return 0


def _map(args: argparse.Namespace) -> int:
    import asyncio

    from pipeline.draft import draft_mapping, draft_notes, draft_summary, draft_table, write_draft

    # Only when told (--base-url with the tokens, or --sandbox): a draft reads no agreement.
    agreement = asyncio.run(_read_agreement(args)) if args.sandbox or args.base_url else None
    draft = draft_mapping(args.input, entity=args.entity, sheet=args.sheet, agreement=agreement)
    write_draft(draft, args.output, force=args.force)
    print("\n".join(draft_table(draft)))
    print("\n".join(["", *draft_notes(draft)]))
    print(f"\nwrote {args.output}: {draft_summary(draft)}")
    return 0


async def _read_agreement(args: argparse.Namespace) -> Agreement:
    from pipeline.draft import read_agreement

    async with _connection(args) as connection:
        return await read_agreement(connection, entity(args.entity))


async def _import(args: argparse.Namespace) -> int:
    options = run.ImportOptions(
        mode=args.mode,
        dry_run=args.dry_run or args.command == "validate",
        offline=args.offline,
        base_url=args.base_url,
        sandbox=args.sandbox,
        report=args.report,
        state=args.state,
        journal=args.journal,
        concurrency=args.concurrency,
        max_concurrency=args.max_concurrency,
        retry_failed=args.retry_failed,
        restart=args.restart,
        wait=args.wait,
        progress=not args.no_progress,  # a bar in a terminal, else a line now and then
        progress_interval_s=_progress_interval(),
        echo=True,  # the plan on stdout, the lock's messages on stderr
    )
    steps = _steps(args)
    with stop_on_signals():
        outcome = await run.import_steps(steps, options)
    run.print_outcome(outcome.run)
    return outcome.exit_code


async def _fleet(args: argparse.Namespace) -> int:
    with stop_on_signals():
        outcome = await fleet.arun_fleet(
            args.manifest,
            report=args.report,
            agreements=args.agreements,
            mode=args.mode,
            dry_run=args.dry_run,
            base_url=args.base_url,
            state=args.state,
            engine=args.engine,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            progress_interval_s=_progress_interval(),
            echo=True,
        )
    return outcome.exit_code


def _steps(args: argparse.Namespace) -> list[run.Step]:
    if args.job is not None:
        if args.input is not None:
            raise _usage("give either an input file or --job, not both")
        return list(run.load_job(args.job))
    if args.input is None:
        raise _usage("give an input file (or --job FILE)")
    return [run.Step(entity=args.entity, input=args.input, sheet=args.sheet, mapping=args.mapping)]


def _forget(args: argparse.Namespace) -> int:
    """Remove one agreement's ledger entries and say how many went."""
    connection = api.settings_from_env(base_url=args.base_url, env=os.environ)  # no tokens
    path = state.state_places(args.state, os.environ)[1]
    where = state.describe(path)
    target = state.target_id(connection.base_url, connection.agreement_grant_token)
    removed = state.forget(path, target=target, entity=args.entity)
    what = f"{args.entity} of " if args.entity else ""
    if not removed:
        print(f"the ledger {where} holds nothing of {what}the agreement at {connection.base_url}")
        return 0
    counts = ", ".join(f"{n} {name}" for name, n in sorted(removed.items()))
    print(f"removed from the ledger {where}: {counts} (agreement at {connection.base_url})")
    return 0


def _connection(args: argparse.Namespace) -> AbstractAsyncContextManager[api.ApiSettings]:
    """API settings from flags and environment; with --sandbox, a sandbox to point at."""
    return run.connect(os.environ, base_url=args.base_url, sandbox=args.sandbox)


async def _export(args: argparse.Namespace) -> int:
    async with _connection(args) as connection:
        count = await run.export_entity(entity(args.entity), args.output, api=connection)
    print(f"wrote {count} {args.entity} to {args.output}")
    return 0


def _usage(message: str) -> EconImportError:
    return ConfigError(message)
