"""The ledger: what each agreement already holds from earlier runs (issue #9).

The journal resumes an *unfinished* run; the ledger makes a *finished* one safe to repeat.
For every row written successfully it keeps, per agreement and entity, the row's identity
and the record the API gave it::

    identity     "key:<source key>" when the mapping has a ``key`` column, else
                 "sha256:<digest of the row's mapped values>"
    digest       sha256 of the row's mapped values (canonical: sorted, empties left out)
    record_id    the record's number (customerNumber, customerContactNumber, ...)
    imported_at  when the write succeeded

Nothing secret and no row data: the agreement is ``journal.target_id`` (base URL and a
short hash of the grant token), and values appear only inside the digest. The store is a
SQLite file or a PostgreSQL database (``pipeline.state.store``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .store import Store, Where, describe, is_url, open_store

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


class Ledger:
    """The ledger of one agreement (``target``): look rows up, record what was written."""

    def __init__(self, db: Store, *, target: str, path: Where, read_only: bool = False) -> None:
        self._db = db
        self.target = target
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, path: Where, *, target: str) -> Ledger:
        """Open (or create) the ledger: a SQLite file or a PostgreSQL URL; ``path`` None
        keeps it in memory (--sandbox)."""
        db = open_store(path, component="ledger")
        assert db is not None
        return cls(db, target=target, path=path)

    @classmethod
    def open_read_only(cls, path: Where, *, target: str) -> Ledger | None:
        """The ledger as a preview reads it (issue #11: decide exactly as the import would),
        never written; None when there is no ledger yet."""
        db = open_store(path, component="ledger", read_only=True)
        if db is None:
            return None
        if "ledger" not in db.tables():
            db.close()
            return None
        return cls(db, target=target, path=path, read_only=True)

    @property
    def label(self) -> str:
        """The ledger as messages name it: its path, or its URL with the password masked."""
        return describe(self.path)

    @property
    def failed(self) -> bool:
        """Whether a write to the store failed (the run stopped; the next one resumes)."""
        return self._db.failed

    def find(self, entity: str, identities: Iterable[str]) -> dict[str, LedgerEntry]:
        """The entries of these identities that the ledger holds, by identity."""
        wanted = sorted(set(identities))
        found: dict[str, LedgerEntry] = {}
        for start in range(0, len(wanted), _QUERY_BATCH):
            batch = wanted[start : start + _QUERY_BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._db.query(
                "SELECT identity, digest, record_id, imported_at FROM ledger"
                f" WHERE target=? AND entity=? AND identity IN ({marks})",
                (self.target, entity, *batch),
            )
            for identity, digest, record_id, at in rows:
                found[identity] = LedgerEntry(identity, digest, str(record_id), float(at))
        return found

    def holds_any(self, entity: str) -> bool:
        """Whether the ledger has any entry of this agreement and ``entity``: whether the
        store ever recorded a write of it here (issue #19's stop rule)."""
        found = self._db.query(
            "SELECT 1 FROM ledger WHERE target=? AND entity=? LIMIT 1", (self.target, entity)
        )
        return bool(found)

    def record(
        self, entity: str, identity: str, *, digest: str, record_id: str, keep: bool = False
    ) -> None:
        """Remember a row written successfully (a newer write replaces a stale entry);
        ``keep`` leaves an entry the ledger already has as it is."""
        if self.read_only:
            return
        then = (
            "DO NOTHING"
            if keep
            else "DO UPDATE SET digest=excluded.digest, record_id=excluded.record_id,"
            " imported_at=excluded.imported_at"
        )
        self._db.execute(
            "INSERT INTO ledger VALUES (?,?,?,?,?,?)"
            f" ON CONFLICT (target, entity, identity) {then}",
            (self.target, entity, identity, digest, record_id, time.time()),
        )

    def renumber(self, entity: str, old: str, new: str) -> None:
        """Point every entry naming record ``old`` at ``new`` (a renumbered customer,
        issue #14: the ledger follows the new number whichever row imported it)."""
        if self.read_only:
            return
        self._db.execute(
            "UPDATE ledger SET record_id=? WHERE target=? AND entity=? AND record_id=?",
            (new, self.target, entity, old),
        )

    def drop(self, entity: str, identity: str) -> None:
        """Forget one entry whose record no longer exists on the server."""
        if self.read_only:
            return
        self._db.execute(
            "DELETE FROM ledger WHERE target=? AND entity=? AND identity=?",
            (self.target, entity, identity),
        )

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()


def forget(path: Where, *, target: str, entity: str | None = None) -> dict[str, int]:
    """Remove an agreement's entries (of one ``entity``, or all); how many per entity."""
    if path is None or (not is_url(path) and not Path(path).exists()):
        return {}
    db = open_store(path, component="ledger")
    assert db is not None
    try:
        where, args = "target=?", [target]
        if entity is not None:
            where, args = "target=? AND entity=?", [target, entity]
        with db.transaction():
            counts: dict[str, int] = dict(
                db.query(f"SELECT entity, COUNT(*) FROM ledger WHERE {where} GROUP BY entity", args)
            )
            db.execute(f"DELETE FROM ledger WHERE {where}", args)
    finally:
        db.close()
    return {str(name): int(n) for name, n in counts.items()}
