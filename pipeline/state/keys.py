"""Earlier runs' source keys, as the journal remembers them, and a preview's read-only view.

A child row names its customer by ``customer.key`` and a customer row its contacts and
delivery location by ``customerContact.key`` (issues #4 and #14); the key may be a row's
of an earlier run, whose number the journal keeps (``parent_keys``, ``child_keys``). A
preview (issue #11) must decide such rows exactly as the import would, yet never start,
resume or finish a run: ``JournalKeys`` reads only those two look-ups from the journal's
store, opened read-only (a SQLite file with ``mode=ro``, a PostgreSQL session that refuses
writes; as ``Ledger.open_read_only`` reads the ledger), and creates no journal where there
is none.
"""

from __future__ import annotations

from typing import Protocol

from .store import Store, Where, open_store

__all__ = ["JournalKeys", "SourceKeys", "child_id", "parent_id"]


class SourceKeys(Protocol):
    """Where a row's source key of an earlier run finds its number: a ``Journal``, or in a
    preview a ``JournalKeys``."""

    def parent_id(self, entity: str, source_key: str) -> str | None:
        """The API number of a row of ``entity`` with this source key, from any run."""
        ...

    def child_id(self, entity: str, source_key: str) -> tuple[str, str] | None:
        """(customer number, API number) of a child row with this source key, from any run."""
        ...


def parent_id(db: Store, target: str, entity: str, source_key: str) -> str | None:
    found = db.query(
        "SELECT api_id FROM parent_keys WHERE target=? AND entity=? AND source_key=?",
        (target, entity, source_key),
    )
    return str(found[0][0]) if found else None


def child_id(db: Store, target: str, entity: str, source_key: str) -> tuple[str, str] | None:
    found = db.query(
        "SELECT customer, api_id FROM child_keys WHERE target=? AND entity=? AND source_key=?",
        (target, entity, source_key),
    )
    return (str(found[0][0]), str(found[0][1])) if found else None


class JournalKeys:
    """The journal's source keys of one agreement (``target``), read-only: never written."""

    def __init__(self, db: Store, *, target: str, tables: set[str]) -> None:
        self._db = db
        self._tables = tables
        self.target = target

    @classmethod
    def open_read_only(cls, path: Where, *, target: str) -> JournalKeys | None:
        """The journal's source keys as a preview reads them; None without a journal."""
        db = open_store(path, component="journal", read_only=True)
        if db is None:
            return None
        # A journal of an older version may lack a table: it knows no such keys then.
        return cls(db, target=target, tables=db.tables())

    def parent_id(self, entity: str, source_key: str) -> str | None:
        if "parent_keys" not in self._tables:
            return None
        return parent_id(self._db, self.target, entity, source_key)

    def child_id(self, entity: str, source_key: str) -> tuple[str, str] | None:
        if "child_keys" not in self._tables:
            return None
        return child_id(self._db, self.target, entity, source_key)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()
