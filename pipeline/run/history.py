"""What a run reads from earlier runs and keeps for later ones: the journal and the ledger.

An import (a target, no ``--dry-run``) opens both for writing: the journal resumes the
unfinished run of these inputs or starts one, the ledger records each success. A preview
(a dry run with a target, issue #11) must decide every row as the import would and write
nothing to the state folder: it reads the ledger and the journal's source keys of earlier
runs (``JournalKeys``), both read-only, and creates neither; it starts, resumes and
finishes no run. A dry run without a target opens nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.api import ApiSettings
from pipeline.state import (
    Journal,
    JournalKeys,
    Ledger,
    SourceKeys,
    abandon_unfinished,
    is_url,
    target_id,
)

from .inputs import PreparedStep
from .settings import RunSettings


@dataclass
class History:
    """The run's journal and ledger, and where earlier runs' source keys are looked up."""

    journal: Journal | None  # this run's, written: None without a target and in a preview
    ledger: Ledger | None  # read-only in a preview
    keys: SourceKeys | None  # the journal, or a preview's read-only view of its file

    @property
    def failed(self) -> bool:
        """Whether a write to the state store failed: the run stops, resumable (exit 3)."""
        return any(part is not None and part.failed for part in (self.journal, self.ledger))

    def close(self) -> None:
        """Close every file opened (a journal opened for writing is also ``keys``)."""
        if self.journal is not None:
            self.journal.close()
        elif isinstance(self.keys, JournalKeys):
            self.keys.close()
        if self.ledger is not None:
            self.ledger.close()


def open_history(
    settings: RunSettings, prepared: Sequence[PreparedStep], api: ApiSettings | None
) -> History:
    """The journal and the ledger as this run uses them (see the module's docstring)."""
    if api is None:
        return History(journal=None, ledger=None, keys=None)
    target = target_id(api.base_url, api.agreement_grant_token)
    if settings.dry_run:
        keys = JournalKeys.open_read_only(settings.journal, target=target)
        ledger = Ledger.open_read_only(settings.ledger, target=target)
        return History(journal=None, ledger=ledger, keys=keys)
    sources = [p.source for p in prepared]
    if settings.restart and _exists(settings.journal):
        abandon_unfinished(settings.journal, target=target, sources=sources)
    journal = Journal.open(settings.journal, target=target, sources=sources, secrets=api.secrets())
    try:
        ledger = Ledger.open(settings.ledger, target=target)
    except BaseException:
        journal.close()
        raise
    return History(journal=journal, ledger=ledger, keys=journal)


def _exists(where: Path | str | None) -> bool:
    """Whether there is a journal to abandon a run in: a database, or a file that exists."""
    if where is None:
        return False
    return is_url(where) or Path(where).exists()
