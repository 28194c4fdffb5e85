"""The SQLite store: the journal's and the ledger's files in the state folder.

One file per component, as every earlier version kept them (``journal.sqlite``,
``ledger.sqlite``); an older file gains only the ``schema_version`` table. WAL mode with
``synchronous=NORMAL`` survives a killed process (not a power cut) at a fraction of FULL's
cost per commit: two commits per written row must stay cheap. Several runs may share a
file (a colleague's run, a cron job), so a connection waits for another's write.

Every ``sqlite3.Error`` and ``OSError`` becomes ``StateError`` in ``_translate``, the one
place: ``database or disk is full``, a read-only folder, a state path that is no folder.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from pipeline.errors import StateError

from .store import Row, first_line, stamp_version

__all__ = ["SCHEMAS", "SqliteStore"]

_VERSION = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY, version INTEGER NOT NULL, checked_at REAL
);
"""
_JOURNAL = """
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
_LEDGER = """
CREATE TABLE IF NOT EXISTS ledger (
    target TEXT NOT NULL, entity TEXT NOT NULL, identity TEXT NOT NULL,
    digest TEXT NOT NULL, record_id TEXT NOT NULL, imported_at REAL NOT NULL,
    PRIMARY KEY (target, entity, identity)
);
"""
#: Each component's tables, by component.
SCHEMAS = {"journal": _VERSION + _JOURNAL, "ledger": _VERSION + _LEDGER}


class SqliteStore:
    """One SQLite file (or an in-memory database) as a ``Store``."""

    def __init__(self, *, path: Path | None, component: str) -> None:
        self._db: sqlite3.Connection | None = None
        self._depth = 0  # open transaction() blocks
        self.path = path
        self.component = component
        self.label = "memory" if path is None else str(path)
        self.failed = False

    @classmethod
    def open(cls, path: Path | None, *, component: str, timeout_s: float = 30) -> SqliteStore:
        """Open (or create) the file, its tables and its version row (the write probe)."""
        store = cls(path=path, component=component)
        with store._translate("use"):
            if path is not None:
                if path.parent.exists() and not path.parent.is_dir():
                    raise NotADirectoryError(f"{path.parent} is not a folder")
                path.parent.mkdir(parents=True, exist_ok=True)
            # Default (deferred) transactions: each ``transaction()`` commits as one.
            store._db = sqlite3.connect(
                ":memory:" if path is None else str(path), timeout=timeout_s
            )
            store._db.execute("PRAGMA journal_mode=WAL")
            store._db.execute("PRAGMA synchronous=NORMAL")
            store._db.executescript(SCHEMAS[component])
        stamp_version(store, component, now=time.time())
        return store

    @classmethod
    def open_read_only(
        cls, path: Path | None, *, component: str, timeout_s: float = 30
    ) -> SqliteStore | None:
        """The file opened read-only (``mode=ro``: never written); None without a file."""
        if path is None or not path.exists():
            return None
        store = cls(path=path, component=component)
        with store._translate("read"):
            uri = f"{path.resolve().as_uri()}?mode=ro"
            store._db = sqlite3.connect(uri, uri=True, timeout=timeout_s)
            store._db.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
        return store

    @contextmanager
    def _translate(self, doing: str) -> Iterator[None]:
        """The one place where SQLite's and the file system's errors become ``StateError``."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            self.failed = True
            cause = first_line(exc)
            raise StateError(f"cannot {doing} {self.component} {self.label}: {cause}") from exc

    @property
    def db(self) -> sqlite3.Connection:
        assert self._db is not None, "the store is not open"
        return self._db

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        with self._translate("read"):
            return self.db.execute(sql, params).fetchall()

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        with self._translate("write"), self._autocommit():
            return self.db.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        with self._translate("write"), self._autocommit():
            self.db.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._translate("write"), self.db:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1

    @contextmanager
    def _autocommit(self) -> Iterator[None]:
        """A statement outside ``transaction()`` commits at once, as PostgreSQL's would."""
        if self._depth:
            yield
            return
        with self.db:
            yield

    def tables(self) -> set[str]:
        found = self.query("SELECT name FROM sqlite_master WHERE type='table'")
        return {str(name) for (name,) in found}

    def close(self) -> None:
        if self._db is not None:
            with suppress(sqlite3.Error):  # closing a file that failed: nothing to lose
                self._db.close()
