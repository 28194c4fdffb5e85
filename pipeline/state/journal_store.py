"""The journal's SQLite file: its schema, opening it, and reading its rows back.

``pipeline.state.journal`` holds the logic (runs, row states, keys); this module only the
storage: the tables, a connection that survives a killed process, the fingerprint check
of an unfinished run, and rows turned back into ``RowState`` records.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import JournalError, RowError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY, run_uid TEXT NOT NULL, target TEXT NOT NULL,
    identity TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL
);
CREATE TABLE IF NOT EXISTS sources (
    run_id INTEGER NOT NULL, source_id TEXT NOT NULL, path TEXT NOT NULL, sheet TEXT NOT NULL,
    entity TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (run_id, source_id)
);
CREATE TABLE IF NOT EXISTS rows (
    run_id INTEGER NOT NULL, source_id TEXT NOT NULL, row INTEGER NOT NULL,
    state TEXT NOT NULL, status TEXT, idem_key TEXT, method TEXT, path TEXT,
    sent_at REAL, http_status INTEGER, api_id TEXT, errors TEXT,
    PRIMARY KEY (run_id, source_id, row)
);
CREATE TABLE IF NOT EXISTS parent_keys (
    target TEXT NOT NULL, entity TEXT NOT NULL, source_key TEXT NOT NULL, api_id TEXT NOT NULL,
    PRIMARY KEY (target, entity, source_key)
);
CREATE TABLE IF NOT EXISTS child_keys (
    target TEXT NOT NULL, entity TEXT NOT NULL, source_key TEXT NOT NULL,
    customer TEXT NOT NULL, api_id TEXT NOT NULL, PRIMARY KEY (target, entity, source_key)
);
"""


@dataclass(frozen=True)
class SourceRef:
    """One input of a run: a file (and sheet) imported as one entity."""

    path: str
    sheet: str
    entity: str
    fingerprint: str

    @property
    def source_id(self) -> str:
        return f"{self.entity}:{self.path}:{self.sheet}"


@dataclass(frozen=True)
class RowState:
    """What the journal knows of one row."""

    source_id: str
    row: int
    state: str
    status: str | None
    idem_key: str | None
    method: str | None
    path: str | None
    sent_at: float | None
    http_status: int | None
    api_id: str | None
    errors: list[RowError]


def connect(path: Path | None) -> sqlite3.Connection:
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # Default (deferred) transactions: each ``with db`` block commits as one.
        db = sqlite3.connect(":memory:" if path is None else str(path))
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process (not a power cut), at a fraction
        # of FULL's cost per commit: two commits per written row must stay cheap.
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
    except (sqlite3.Error, OSError) as exc:
        raise JournalError(f"cannot use journal {path}: {exc}") from exc
    return db


def check_fingerprints(
    db: sqlite3.Connection, run_id: int, sources: Sequence[SourceRef], path: Path | None
) -> None:
    known = dict(
        db.execute(
            "SELECT source_id, fingerprint FROM sources WHERE run_id=?", (run_id,)
        ).fetchall()
    )
    for source in sources:
        if known.get(source.source_id) not in (None, source.fingerprint):
            raise JournalError(
                f"{source.path} has changed since the unfinished run in journal {path} started; "
                "its rows may no longer line up with what was already sent. Restore the file "
                "to finish that run, or pass --restart to abandon it and start a new run"
            )


def abandon_unfinished(path: Path, *, target: str, sources: Sequence[SourceRef]) -> int:
    """Mark the unfinished runs of these sources finished (``--restart``); how many there were."""
    db = connect(path)
    identity = json.dumps(sorted(s.source_id for s in sources))
    with db:
        cur = db.execute(
            "UPDATE runs SET finished_at=? WHERE target=? AND identity=? AND finished_at IS NULL",
            (time.time(), target, identity),
        )
    db.close()
    return cur.rowcount


def row_state(r: Sequence[Any]) -> RowState:
    errors = [RowError(**e) for e in json.loads(r[10])] if r[10] else []
    return RowState(
        source_id=r[0],
        row=int(r[1]),
        state=r[2],
        status=r[3],
        idem_key=r[4],
        method=r[5],
        path=r[6],
        sent_at=r[7],
        http_status=r[8],
        api_id=_opt(r[9]),
        errors=errors,
    )


def _opt(value: object) -> str | None:
    return None if value is None else str(value)


def error_dict(e: RowError) -> dict[str, object]:
    return {
        "row": e.row,
        "property": e.property,
        "code": e.code,
        "message": e.message,
        "value": e.value,
        "origin": e.origin,
    }
