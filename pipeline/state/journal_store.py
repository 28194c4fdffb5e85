"""The journal's records: an input's reference, a row's state, and reading them back.

``pipeline.state.journal`` holds the logic (runs, row states, keys); this module the
records it keeps in its store (``pipeline.state.store``: the tables are the store's), the
fingerprint check of an unfinished run, abandoning one (``--restart``), and rows turned
back into ``RowState`` records.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.errors import JournalError, RowError

from .store import Store, Where, open_store


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


def check_fingerprints(store: Store, run_id: int, sources: Sequence[SourceRef]) -> None:
    known: dict[str, str] = dict(
        store.query("SELECT source_id, fingerprint FROM sources WHERE run_id=?", (run_id,))
    )
    for source in sources:
        if known.get(source.source_id) not in (None, source.fingerprint):
            raise JournalError(
                f"{source.path} has changed since the unfinished run in journal {store.label} "
                "started; its rows may no longer line up with what was already sent. Restore "
                "the file to finish that run, or pass --restart to abandon it and start a new run"
            )


def run_identity(sources: Sequence[SourceRef]) -> str:
    """What makes two commands the same run: their inputs (the agreement aside)."""
    return json.dumps(sorted(s.source_id for s in sources))


def abandon_unfinished(where: Where, *, target: str, sources: Sequence[SourceRef]) -> int:
    """Mark the unfinished runs of these sources finished (``--restart``); how many there were."""
    store = open_store(where, component="journal")
    assert store is not None
    try:
        return store.execute(
            "UPDATE runs SET finished_at=? WHERE target=? AND identity=? AND finished_at IS NULL",
            (time.time(), target, run_identity(sources)),
        )
    finally:
        store.close()


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
