"""The ledger: what each agreement already holds from earlier runs, in SQLite (issue #9).

The journal resumes an *unfinished* run; the ledger makes a *finished* one safe to repeat.
For every row written successfully it keeps, per agreement and entity, the row's identity
and the record the API gave it::

    identity     "key:<source key>" when the mapping has a ``key`` column, else
                 "sha256:<digest of the row's mapped values>"
    digest       sha256 of the row's mapped values (canonical: sorted, empties left out)
    record_id    the record's number (customerNumber, customerContactNumber, ...)
    imported_at  when the write succeeded

Nothing secret and no row data: the agreement is ``journal.target_id`` (base URL and a
short hash of the grant token), and values appear only inside the digest.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipeline.errors import JournalError

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    target TEXT NOT NULL, entity TEXT NOT NULL, identity TEXT NOT NULL,
    digest TEXT NOT NULL, record_id TEXT NOT NULL, imported_at REAL NOT NULL,
    PRIMARY KEY (target, entity, identity)
);
"""
#: Identities per ``IN (...)`` query, well under SQLite's limit on bound variables.
_QUERY_BATCH = 500


def row_digest(record: Mapping[str, str]) -> str:
    """sha256 of a row's mapped values, independent of column order; empty cells left out."""
    items = sorted((path, str(text)) for path, text in record.items() if str(text) != "")
    canonical = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def row_identity(source_key: str, digest: str) -> str:
    """The row's identity: its source key when it has one, else the digest of its values."""
    return f"key:{source_key}" if source_key else f"sha256:{digest}"


@dataclass(frozen=True)
class LedgerEntry:
    """One imported row: its record and when it was written."""

    identity: str
    digest: str
    record_id: str
    imported_at: float

    @property
    def when(self) -> str:
        """``2026-12-01 14:03`` in local time, for messages."""
        return datetime.fromtimestamp(self.imported_at).strftime("%Y-%m-%d %H:%M")


def _connect(path: Path | None) -> sqlite3.Connection:
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # Several runs may share the file (a colleague's run, a cron job): wait for a lock.
        db = sqlite3.connect(":memory:" if path is None else str(path), timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process (see journal)
        db.executescript(SCHEMA)
    except (sqlite3.Error, OSError) as exc:
        raise JournalError(f"cannot use ledger {path}: {exc}") from exc
    return db


class Ledger:
    """The ledger of one agreement (``target``): look rows up, record what was written."""

    def __init__(
        self, db: sqlite3.Connection, *, target: str, path: Path | None, read_only: bool = False
    ) -> None:
        self._db = db
        self.target = target
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, path: Path | None, *, target: str) -> Ledger:
        """Open (or create) the ledger file; ``path`` None keeps it in memory (--sandbox)."""
        return cls(_connect(path), target=target, path=path)

    @classmethod
    def open_read_only(cls, path: Path | None, *, target: str) -> Ledger | None:
        """The ledger as a preview reads it (issue #11: decide exactly as the import would),
        never written; None when there is no ledger file yet."""
        if path is None or not path.exists():
            return None
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot read ledger {path}: {exc}") from exc
        return cls(db, target=target, path=path, read_only=True)

    def find(self, entity: str, identities: Iterable[str]) -> dict[str, LedgerEntry]:
        """The entries of these identities that the ledger holds, by identity."""
        wanted = sorted(set(identities))
        found: dict[str, LedgerEntry] = {}
        for start in range(0, len(wanted), _QUERY_BATCH):
            batch = wanted[start : start + _QUERY_BATCH]
            marks = ",".join("?" * len(batch))
            cur = self._db.execute(
                "SELECT identity, digest, record_id, imported_at FROM ledger"
                f" WHERE target=? AND entity=? AND identity IN ({marks})",
                (self.target, entity, *batch),
            )
            for identity, digest, record_id, at in cur:
                found[identity] = LedgerEntry(identity, digest, str(record_id), float(at))
        return found

    def holds_any(self, entity: str) -> bool:
        """Whether this store ever recorded a write of ``entity`` into the agreement."""
        cur = self._db.execute(
            "SELECT 1 FROM ledger WHERE target=? AND entity=? LIMIT 1", (self.target, entity)
        )
        return cur.fetchone() is not None

    def record(
        self, entity: str, identity: str, *, digest: str, record_id: str, keep: bool = False
    ) -> None:
        """Remember a row written successfully (a newer write replaces a stale entry);
        ``keep`` leaves an entry the ledger already has as it is."""
        if self.read_only:
            return
        verb = "INSERT OR IGNORE" if keep else "INSERT OR REPLACE"
        with self._db:
            self._db.execute(
                f"{verb} INTO ledger VALUES (?,?,?,?,?,?)",
                (self.target, entity, identity, digest, record_id, time.time()),
            )

    def renumber(self, entity: str, old: str, new: str) -> None:
        """Point every entry naming record ``old`` at ``new`` (a renumbered customer,
        issue #14: the ledger follows the new number whichever row imported it)."""
        if self.read_only:
            return
        with self._db:
            self._db.execute(
                "UPDATE ledger SET record_id=? WHERE target=? AND entity=? AND record_id=?",
                (new, self.target, entity, old),
            )

    def drop(self, entity: str, identity: str) -> None:
        """Forget one entry whose record no longer exists on the server."""
        if self.read_only:
            return
        with self._db:
            self._db.execute(
                "DELETE FROM ledger WHERE target=? AND entity=? AND identity=?",
                (self.target, entity, identity),
            )

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()


def forget(path: Path, *, target: str, entity: str | None = None) -> dict[str, int]:
    """Remove an agreement's entries (of one ``entity``, or all); how many per entity."""
    if not path.exists():
        return {}
    db = _connect(path)
    try:
        where, args = "target=?", [target]
        if entity is not None:
            where, args = "target=? AND entity=?", [target, entity]
        with db:
            counts = dict(
                db.execute(
                    f"SELECT entity, COUNT(*) FROM ledger WHERE {where} GROUP BY entity", args
                ).fetchall()
            )
            db.execute(f"DELETE FROM ledger WHERE {where}", args)
    finally:
        db.close()
    return {str(name): int(n) for name, n in counts.items()}
