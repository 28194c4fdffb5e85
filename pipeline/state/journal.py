"""The journal: every sent row's state, in the state store, written before and after each write.

A run is one invocation's intent: the same inputs (path, sheet, entity) against the same
agreement. An unfinished run is resumed by the next identical command; a finished one is
history, kept so that children can find the API number of a parent imported earlier
(``parent_id``). Row states::

    inflight  the request may have gone out: idempotency key and time sent are recorded
    done      the API answered 2xx; ``api_id`` is the number it gave
    failed    rejected (4xx) or given up after retries; errors kept as JSON

Nothing secret is stored: the agreement is identified by a short hash of its token, and
the tokens are masked in any error text kept. The store is a SQLite file or a PostgreSQL
database (``pipeline.state.store``); the SQL here is plain enough for both.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Sequence

from pipeline.errors import RowError
from pipeline.redact import Redactor

from .journal_store import (
    RowState,
    SourceRef,
    abandon_unfinished,
    check_fingerprints,
    error_dict,
    row_state,
    run_identity,
)
from .keys import child_id, parent_id
from .store import Store, Where, describe, open_store

__all__ = ["Journal", "RowState", "SourceRef", "abandon_unfinished", "target_id"]


def target_id(base_url: str, agreement_grant_token: str) -> str:
    """The agreement a run writes to: base URL plus a short hash, never the token itself."""
    digest = hashlib.sha256(agreement_grant_token.encode()).hexdigest()[:12]
    return f"{base_url.rstrip('/')}#{digest}"


class Journal:
    """The journal of one run, resumable by the next identical command."""

    def __init__(
        self,
        store: Store,
        *,
        run_id: int,
        run_uid: str,
        target: str,
        resumed: bool,
        path: Where,
        secrets: Iterable[str] = (),
    ) -> None:
        self._db = store
        self._redactor = Redactor(secrets)
        self.run_id = run_id
        self.run_uid = run_uid
        self.target = target
        self.resumed = resumed
        self.path = path

    @classmethod
    def open(
        cls,
        path: Where,
        *,
        target: str,
        sources: Sequence[SourceRef],
        secrets: Iterable[str] = (),
    ) -> Journal:
        """Open (or create) the journal and resume the unfinished run of these sources.

        ``path`` is a SQLite file or a PostgreSQL URL (``pipeline.state.store``); None
        keeps the journal in memory (a throwaway sandbox run). A changed
        input under an unfinished run raises ``JournalError`` that says what changed.
        ``secrets`` (the tokens) are masked in every error text stored, should an answer
        ever echo one.
        """
        db = open_store(path, component="journal")
        assert db is not None
        try:
            run_id, run_uid, resumed = _resume_or_start(db, target=target, sources=sources)
        except BaseException:
            db.close()
            raise
        return cls(db, run_id=run_id, run_uid=run_uid, target=target, resumed=resumed,
                   path=path, secrets=secrets)  # fmt: skip

    def idempotency_key(self, source_id: str, row: int, method: str, *, salt: str = "") -> str:
        """The row's key: the same for every retry and resume of this run, new for a new run.

        A ``salt`` gives a key never used before, for a row that must be sent afresh.
        """
        raw = f"{self.run_uid}:{source_id}:{row}:{method}{':' + salt if salt else ''}".encode()
        return "econ-import-" + hashlib.sha256(raw).hexdigest()[:40]

    def states(self, source_id: str) -> dict[int, RowState]:
        """Every journaled row of one source in this run, by row number."""
        found = self._db.query(
            "SELECT source_id, row, state, status, idem_key, method, path, sent_at, http_status,"
            " api_id, errors FROM rows WHERE run_id=? AND source_id=?",
            (self.run_id, source_id),
        )
        return {int(r[1]): row_state(r) for r in found}

    def mark_inflight(self, source_id: str, row: int, *, key: str, method: str, path: str) -> float:
        """Record, before sending, that the row's write may go out; returns when it first did.

        A row re-sent with the same key keeps its first ``sent_at``: the key's age, not the
        attempt's, decides whether the API still remembers it (one hour, API-FACTS.md). A
        new key starts its own hour; an earlier failure's status and errors are cleared.
        """
        # One statement, committed at once; the read after it needs no transaction, since
        # only the run holding the agreement's lock writes its rows. The key given is never
        # NULL, so ``=`` says what SQLite's ``IS`` said.
        self._db.execute(
            "INSERT INTO rows (run_id, source_id, row, state, idem_key, method, path, sent_at)"
            " VALUES (?,?,?,'inflight',?,?,?,?) ON CONFLICT (run_id, source_id, row) DO UPDATE"
            " SET state='inflight', method=excluded.method, path=excluded.path,"
            " status=NULL, http_status=NULL, api_id=NULL, errors=NULL,"
            " sent_at=CASE WHEN rows.idem_key = excluded.idem_key"
            " THEN COALESCE(rows.sent_at, excluded.sent_at) ELSE excluded.sent_at END,"
            " idem_key=excluded.idem_key",
            (self.run_id, source_id, row, key, method, path, time.time()),
        )
        found = self._db.query(
            "SELECT sent_at FROM rows WHERE run_id=? AND source_id=? AND row=?",
            (self.run_id, source_id, row),
        )
        return float(found[0][0])

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
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO rows (run_id, source_id, row, state, status, http_status, api_id)"
                " VALUES (?,?,?,'done',?,?,?) ON CONFLICT (run_id, source_id, row) DO UPDATE SET"
                " state='done', status=excluded.status, http_status=excluded.http_status,"
                " api_id=excluded.api_id, errors=NULL",
                (self.run_id, source_id, row, status, http_status, api_id),
            )
            if source_key and api_id:
                self._db.execute(
                    "INSERT INTO parent_keys VALUES (?,?,?,?) ON CONFLICT"
                    " (target, entity, source_key) DO UPDATE SET api_id=excluded.api_id",
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
        errors_out = [self._redactor.redact_mapping(error_dict(e)) for e in errors]
        blob = json.dumps(errors_out, default=str)
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO rows (run_id, source_id, row, state, status, http_status, errors)"
                " VALUES (?,?,?,'failed',?,?,?) ON CONFLICT (run_id, source_id, row) DO UPDATE SET"
                " state='failed', status=excluded.status, http_status=excluded.http_status,"
                " errors=excluded.errors",
                (self.run_id, source_id, row, status, http_status, blob),
            )

    def parent_id(self, entity: str, source_key: str) -> str | None:
        """The API number of a row of ``entity`` with this source key, from any run."""
        return parent_id(self._db, self.target, entity, source_key)

    def remember_children(self, entity: str, children: Iterable[tuple[str, str, str]]) -> None:
        """Remember (source key, customer number, API number) of contacts or delivery
        locations, so that a customer of a later run can link to them by key (issue #14).

        Their numbers are only meaningful under their customer (the URL names both), so
        the customer is kept with each.
        """
        rows = [(self.target, entity, key, customer, n) for key, customer, n in children]
        if rows:
            self._db.executemany(
                "INSERT INTO child_keys VALUES (?,?,?,?,?) ON CONFLICT (target, entity, source_key)"
                " DO UPDATE SET customer=excluded.customer, api_id=excluded.api_id",
                rows,
            )

    def child_id(self, entity: str, source_key: str) -> tuple[str, str] | None:
        """(customer number, API number) of a child row with this source key, from any run."""
        return child_id(self._db, self.target, entity, source_key)

    def renumber_customer(self, old: str, new: str) -> None:
        """Customer ``old`` is now ``new``: every source key naming it, or naming one of its
        children's customer, follows (spec/003 "Customer Numbers"; issue #14)."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE parent_keys SET api_id=? WHERE target=? AND entity='customers'"
                " AND api_id=?",
                (new, self.target, old),
            )
            self._db.execute(
                "UPDATE child_keys SET customer=? WHERE target=? AND customer=?",
                (new, self.target, old),
            )

    def finish(self) -> None:
        """Mark the run complete: the next identical command starts a new run."""
        self._db.execute("UPDATE runs SET finished_at=? WHERE run_id=?", (time.time(), self.run_id))

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def counts(self) -> dict[str, int]:
        """Rows of this run by state, for messages."""
        found = self._db.query(
            "SELECT state, COUNT(*) FROM rows WHERE run_id=? GROUP BY state", (self.run_id,)
        )
        return {str(state): int(n) for state, n in found}

    @property
    def label(self) -> str:
        """The journal as messages name it: its path, or its URL with the password masked."""
        return describe(self.path)

    @property
    def failed(self) -> bool:
        """Whether a write to the store failed (the run stopped; the next one resumes)."""
        return self._db.failed


def _resume_or_start(
    db: Store, *, target: str, sources: Sequence[SourceRef]
) -> tuple[int, str, bool]:
    """(run id, run uid, resumed): the unfinished run of these sources, else a new one."""
    identity = run_identity(sources)
    found = db.query(
        "SELECT run_id, run_uid FROM runs WHERE target=? AND identity=? AND finished_at IS NULL"
        " ORDER BY run_id DESC LIMIT 1",
        (target, identity),
    )
    if found:
        check_fingerprints(db, int(found[0][0]), sources)
        return int(found[0][0]), str(found[0][1]), True
    run_uid = uuid.uuid4().hex
    with db.transaction():
        db.execute(
            "INSERT INTO runs (run_uid, target, identity, started_at) VALUES (?,?,?,?)",
            (run_uid, target, identity, time.time()),
        )
        run_id = int(db.query("SELECT run_id FROM runs WHERE run_uid=?", (run_uid,))[0][0])
        db.executemany(
            "INSERT INTO sources VALUES (?,?,?,?,?,?)",
            [(run_id, s.source_id, s.path, s.sheet, s.entity, s.fingerprint) for s in sources],
        )
    return run_id, run_uid, False
