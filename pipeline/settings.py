"""A run's settings: small frozen values, built by the CLI and checked before any request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Mode = Literal["create", "upsert", "update"]

#: What each mode does when a row's record already exists / is absent (issue #4).
MODES: dict[str, str] = {
    "create": "POST new records; a record that already exists is skipped",
    "upsert": "PUT when different, unchanged when equal, POST when absent",
    "update": "PUT only; an absent record is rejected as not found",
}

DEFAULT_CONCURRENCY = 8
DEFAULT_CHUNK_ROWS = 5_000
DEFAULT_REPORT_ROOT = Path("reports")


@dataclass(frozen=True)
class Step:
    """One input imported as one entity: a file, its sheet and its mapping."""

    entity: str
    input: Path
    sheet: str | None = None
    mapping: Path | None = None


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs besides the API connection."""

    steps: tuple[Step, ...]
    report_dir: Path
    journal: Path | None
    mode: Mode = "create"
    concurrency: int = DEFAULT_CONCURRENCY
    dry_run: bool = False
    retry_failed: bool = False
    restart: bool = False
    progress: bool = True
    chunk_rows: int = DEFAULT_CHUNK_ROWS
