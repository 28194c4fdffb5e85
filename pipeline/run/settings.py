"""A run's settings: small frozen values, built by the CLI and checked before any request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

#: Seconds between progress lines off a terminal (``pipeline.run.progress``), and the
#: environment variable that sets them.
ENV_PROGRESS_INTERVAL = "ECONOMIC_IMPORT_PROGRESS_INTERVAL"
DEFAULT_PROGRESS_INTERVAL_S = 10.0

Mode = Literal["create", "upsert", "update"]
#: Told (settled, failed, total or None) as an import's rows settle: a fleet's live line.
Watch = Callable[[int, int, int | None], None]

#: What each mode does when a row's record already exists / is absent (issue #4).
MODES: dict[str, str] = {
    "create": "POST new records; a record that already exists is skipped",
    "upsert": "PUT when different, unchanged when equal, POST when absent",
    "update": "PUT only; an absent record is rejected as not found",
}

#: ``None``: the in-flight window adapts to the budget (``pipeline.api.concurrency``).
DEFAULT_CONCURRENCY: int | None = None
#: Rows per batch of an import. A batch is sent before the next is read, so this is also
#: how often the progress bar moves (5,000 rows take minutes at the API's rate limit).
DEFAULT_CHUNK_ROWS = 5_000
#: Rows per batch of a dry run, which sends nothing: bigger batches spread pandera's fixed
#: cost per call (10-25 ms) over more rows. A batch holds its rows' text about twice
#: (read and mapped): some 20 MB for 20,000 rows of a 16-column customer list.
DRY_RUN_CHUNK_ROWS = 20_000
DEFAULT_REPORT_ROOT = Path("reports")


@dataclass(frozen=True)
class Step:
    """One input imported as one entity: a file, its sheet and its mapping; or a pandas
    DataFrame (``frame``, ``pipeline.import_frame``), which ``input`` then names."""

    entity: str
    input: Path
    sheet: str | None = None
    mapping: Path | None = None
    frame: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs besides the API connection."""

    steps: tuple[Step, ...]
    report_dir: Path
    #: The journal: a SQLite file, a PostgreSQL URL (``pipeline.state.store``), or None
    #: to keep it in memory for this run only.
    journal: Path | str | None
    mode: Mode = "create"
    #: The ledger of what each agreement holds (``pipeline.state.ledger``), a file or a
    #: URL as the journal; None keeps it in memory for this run only (``--sandbox``,
    #: library use without a state folder).
    ledger: Path | str | None = None
    concurrency: int | None = DEFAULT_CONCURRENCY
    dry_run: bool = False
    retry_failed: bool = False
    restart: bool = False
    progress: bool = True
    progress_interval_s: float = DEFAULT_PROGRESS_INTERVAL_S  # between lines off a terminal
    total_rows: int | None = None  # from the plan, for the progress bar's total
    notes: tuple[str, ...] = ()  # the plan's notes and warnings, for summary.json's warnings
    plan: dict[str, object] | None = None  # the plan's rows, calls, seconds: for report.html
    chunk_rows: int | None = None  # None: DEFAULT_CHUNK_ROWS, or DRY_RUN_CHUNK_ROWS
    watch: Watch | None = field(default=None, compare=False, repr=False)  # a fleet's line

    @property
    def rows_per_chunk(self) -> int:
        """Rows per batch: ``chunk_rows`` if given, else the default for the kind of run."""
        if self.chunk_rows is not None:
            return self.chunk_rows
        return DRY_RUN_CHUNK_ROWS if self.dry_run else DEFAULT_CHUNK_ROWS
