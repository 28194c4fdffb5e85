"""The journal: every sent row's state, in SQLite, written before and after each write.

A run is one invocation's intent: the same inputs (path, sheet, entity) against the same
agreement. An unfinished run is resumed by the next identical command; a finished one is
history, kept so that children can find the API number of a parent imported earlier
(``parent_id``). Row states::

    inflight  the request may have gone out: idempotency key and time sent are recorded
    done      the API answered 2xx; ``api_id`` is the number it gave
    failed    rejected (4xx) or given up after retries; errors kept as JSON

Nothing secret is stored: the agreement is identified by a short hash of its token.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
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


def target_id(base_url: str, agreement_grant_token: str) -> str:
    """The agreement a run writes to: base URL plus a short hash, never the token itself."""
    digest = hashlib.sha256(agreement_grant_token.encode()).hexdigest()[:12]
    return f"{base_url.rstrip('/')}#{digest}"


class Journal:
    """A SQLite journal of one run, resumable by the next identical command."""

    def __init__(
        self,
        db: sqlite3.Connection,
        *,
        run_id: int,
        run_uid: str,
        target: str,
        resumed: bool,
        path: Path | None,
    ) -> None:
        self._db = db
        self.run_id = run_id
        self.run_uid = run_uid
        self.target = target
        self.resumed = resumed
        self.path = path

    @classmethod
    def open(cls, path: Path | None, *, target: str, sources: Sequence[SourceRef]) -> Journal:
        """Open (or create) the journal and resume the unfinished run of these sources.

        ``path`` None keeps the journal in memory (a throwaway sandbox run). A changed
        input under an unfinished run raises ``JournalError`` that says what changed.
        """
        db = _connect(path)
        identity = json.dumps(sorted(s.source_id for s in sources))
        found = db.execute(
            "SELECT run_id, run_uid FROM runs WHERE target=? AND identity=? AND finished_at IS NULL"
            " ORDER BY run_id DESC LIMIT 1",
            (target, identity),
        ).fetchone()
        if found is not None:
            _check_fingerprints(db, found[0], sources, path)
            return cls(
                db, run_id=found[0], run_uid=found[1], target=target, resumed=True, path=path
            )
        run_uid = uuid.uuid4().hex
        with db:
            cur = db.execute(
                "INSERT INTO runs (run_uid, target, identity, started_at) VALUES (?,?,?,?)",
                (run_uid, target, identity, time.time()),
            )
            run_id = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO sources VALUES (?,?,?,?,?,?)",
                [(run_id, s.source_id, s.path, s.sheet, s.entity, s.fingerprint) for s in sources],
            )
        return cls(db, run_id=run_id, run_uid=run_uid, target=target, resumed=False, path=path)

    def idempotency_key(self, source_id: str, row: int, method: str) -> str:
        """The row's key: the same for every retry and resume of this run, new for a new run."""
        raw = f"{self.run_uid}:{source_id}:{row}:{method}".encode()
        return "econ-import-" + hashlib.sha256(raw).hexdigest()[:40]

    def states(self, source_id: str) -> dict[int, RowState]:
        """Every journaled row of one source in this run, by row number."""
        cur = self._db.execute(
            "SELECT source_id, row, state, status, idem_key, method, path, sent_at, http_status,"
            " api_id, errors FROM rows WHERE run_id=? AND source_id=?",
            (self.run_id, source_id),
        )
        return {r[1]: _row_state(r) for r in cur}

    def mark_inflight(self, source_id: str, row: int, *, key: str, method: str, path: str) -> float:
        """Record, before sending, that the row's write may go out; returns when it first did.

        A row re-sent with the same key keeps its first ``sent_at``: the key's age, not the
        attempt's, decides whether the API still remembers it (one hour, API-FACTS.md).
        """
        with self._db:
            self._db.execute(
                "INSERT INTO rows (run_id, source_id, row, state, idem_key, method, path, sent_at)"
                " VALUES (?,?,?,'inflight',?,?,?,?) ON CONFLICT (run_id, source_id, row) DO UPDATE"
                " SET state='inflight', method=excluded.method, path=excluded.path,"
                " sent_at=CASE WHEN rows.idem_key IS excluded.idem_key"
                " THEN COALESCE(rows.sent_at, excluded.sent_at) ELSE excluded.sent_at END,"
                " idem_key=excluded.idem_key",
                (self.run_id, source_id, row, key, method, path, time.time()),
            )
            found = self._db.execute(
                "SELECT sent_at FROM rows WHERE run_id=? AND source_id=? AND row=?",
                (self.run_id, source_id, row),
            ).fetchone()
        return float(found[0])

    def mark_done(
        self,
        source_id: str,
        row: int,
        *,
        status: str,
        http_status: int | None,
        api_id: str,
        entity: str,
        source_key: str,
    ) -> None:
        """Record a success and, when the row has a source key, the number the API gave."""
        with self._db:
            self._db.execute(
                "INSERT INTO rows (run_id, source_id, row, state, status, http_status, api_id)"
                " VALUES (?,?,?,'done',?,?,?) ON CONFLICT (run_id, source_id, row) DO UPDATE SET"
                " state='done', status=excluded.status, http_status=excluded.http_status,"
                " api_id=excluded.api_id, errors=NULL",
                (self.run_id, source_id, row, status, http_status, api_id),
            )
            if source_key and api_id:
                self._db.execute(
                    "INSERT OR REPLACE INTO parent_keys VALUES (?,?,?,?)",
                    (self.target, entity, source_key, api_id),
                )

    def mark_failed(
        self,
        source_id: str,
        row: int,
        *,
        status: str,
        http_status: int | None,
        errors: Sequence[RowError],
    ) -> None:
        """Record a row the API rejected or that failed after retries."""
        blob = json.dumps([_error_dict(e) for e in errors], default=str)
        with self._db:
            self._db.execute(
                "INSERT INTO rows (run_id, source_id, row, state, status, http_status, errors)"
                " VALUES (?,?,?,'failed',?,?,?) ON CONFLICT (run_id, source_id, row) DO UPDATE SET"
                " state='failed', status=excluded.status, http_status=excluded.http_status,"
                " errors=excluded.errors",
                (self.run_id, source_id, row, status, http_status, blob),
            )

    def parent_id(self, entity: str, source_key: str) -> str | None:
        """The API number of a row of ``entity`` with this source key, from any run."""
        found = self._db.execute(
            "SELECT api_id FROM parent_keys WHERE target=? AND entity=? AND source_key=?",
            (self.target, entity, source_key),
        ).fetchone()
        return None if found is None else str(found[0])

    def finish(self) -> None:
        """Mark the run complete: the next identical command starts a new run."""
        with self._db:
            self._db.execute(
                "UPDATE runs SET finished_at=? WHERE run_id=?", (time.time(), self.run_id)
            )

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def counts(self) -> dict[str, int]:
        """Rows of this run by state, for messages."""
        cur = self._db.execute(
            "SELECT state, COUNT(*) FROM rows WHERE run_id=? GROUP BY state", (self.run_id,)
        )
        return {state: int(n) for state, n in cur}


def _connect(path: Path | None) -> sqlite3.Connection:
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


def _check_fingerprints(
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
    db = _connect(path)
    identity = json.dumps(sorted(s.source_id for s in sources))
    with db:
        cur = db.execute(
            "UPDATE runs SET finished_at=? WHERE target=? AND identity=? AND finished_at IS NULL",
            (time.time(), target, identity),
        )
    db.close()
    return cur.rowcount


def _row_state(r: Sequence[Any]) -> RowState:
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


def _error_dict(e: RowError) -> dict[str, object]:
    return {
        "row": e.row,
        "property": e.property,
        "code": e.code,
        "message": e.message,
        "value": e.value,
        "origin": e.origin,
    }


def iter_runs(path: Path) -> Iterator[tuple[int, str, float, float | None]]:
    """(run_id, target, started_at, finished_at) of every run, for diagnostics."""
    db = _connect(path)
    try:
        yield from db.execute("SELECT run_id, target, started_at, finished_at FROM runs")
    finally:
        db.close()
