"""SQLite write-through for ``--db``: records and the idempotency cache survive a restart.

Agreements are stored under a hash of their grant token (``store.agreement_id``), never the
token itself. Each write is one transaction, so a killed sandbox keeps every answered write.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agreements (agreement TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS records (
    agreement TEXT NOT NULL, kind TEXT NOT NULL, number INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (agreement, kind, number)
);
CREATE TABLE IF NOT EXISTS idempotency (
    agreement TEXT NOT NULL, key TEXT NOT NULL, expires REAL NOT NULL, status INTEGER NOT NULL,
    headers TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (agreement, key)
);
"""

Upsert = tuple[str, int, dict[str, Any]]
Delete = tuple[str, int]
#: (agreement, key, expires, status, headers, body)
CachedRow = tuple[str, str, float, int, dict[str, str], bytes]


class Database:
    """The sandbox's SQLite file."""

    def __init__(self, path: Path) -> None:
        # The sandbox runs on one event loop; check_same_thread=False only lets a test
        # fixture that builds the app in one thread serve it from another.
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def agreements(self) -> list[str]:
        """The ids of every stored agreement."""
        return [row[0] for row in self._conn.execute("SELECT agreement FROM agreements")]

    def records(self) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
        """Every stored record as ``(agreement, kind, number, record)``."""
        query = "SELECT agreement, kind, number, body FROM records ORDER BY number"
        for agreement, kind, number, body in self._conn.execute(query):
            yield agreement, kind, number, json.loads(body)

    def add_agreement(self, agreement: str) -> None:
        """Remember that ``agreement`` exists (so its deleted seed groups stay deleted)."""
        self._conn.execute("INSERT OR IGNORE INTO agreements VALUES (?)", (agreement,))

    def write(self, agreement: str, *, upserts: list[Upsert], deletes: list[Delete]) -> None:
        """Apply one request's changes in one transaction."""
        with self._transaction():
            self._conn.executemany(
                "DELETE FROM records WHERE agreement = ? AND kind = ? AND number = ?",
                [(agreement, kind, number) for kind, number in deletes],
            )
            self._conn.executemany(
                "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)",
                [(agreement, k, n, json.dumps(rec)) for k, n, rec in upserts],
            )

    def cached_responses(self, now: float) -> Iterator[CachedRow]:
        """Unexpired idempotency entries as ``(agreement, key, expires, status, headers, body)``."""
        self._conn.execute("DELETE FROM idempotency WHERE expires <= ?", (now,))
        query = "SELECT agreement, key, expires, status, headers, body FROM idempotency"
        for agreement, key, expires, status, headers, body in self._conn.execute(query):
            yield agreement, key, expires, status, json.loads(headers), bytes(body)

    def cache_response(
        self,
        agreement: str,
        key: str,
        *,
        expires: float,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        """Store one idempotency entry."""
        self._conn.execute(
            "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
            (agreement, key, expires, status, json.dumps(headers), body),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    def close(self) -> None:
        """Close the file."""
        self._conn.close()


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type else "COMMIT")
