"""What became of each row, and of the run: the records the report is written from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.errors import RowError


class Status(StrEnum):
    """A row's final status, as written in results.csv (issue #3, point 7)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    INVALID = "invalid"  # stopped by local validation, never sent
    REJECTED = "rejected"  # the API answered 4xx
    FAILED = "failed"  # gave up after retries
    VALID = "valid"  # --dry-run / validate only: passed every local check, not sent

    @property
    def succeeded(self) -> bool:
        return self in SUCCEEDED


#: A row skipped because its record already exists (create mode): a success for the exit
#: code, unlike a row skipped because its parent was not imported (PARENT_NOT_IMPORTED).
CODE_EXISTS = "EXISTS"


def is_success(result: RowResult) -> bool:
    """True for created, updated, unchanged and valid rows, and for a row ``skipped``
    because its record already exists (ledger, number or match rule)."""
    if result.status in SUCCEEDED:
        return True
    return result.status is Status.SKIPPED and exists_already(result.errors)


def exists_already(errors: Sequence[RowError]) -> bool:
    """True when a skipped row's errors say only that its record already exists."""
    return bool(errors) and all(e.code == CODE_EXISTS for e in errors)


#: The statuses of a row that succeeded (``Status.succeeded``), for a cheap ``in`` per row.
SUCCEEDED = frozenset((Status.CREATED, Status.UPDATED, Status.UNCHANGED, Status.VALID))


#: results.csv columns, in order: a public contract (issue #3).
RESULT_COLUMNS = (
    "source",
    "sheet",
    "row",
    "entity",
    "key",
    "status",
    "http_status",
    "id",
    "errors",
    "links",  # issue #14: set / unchanged / failed for a customer row with links, else ''
)

#: summary.json counters, in order: a public contract (issue #3).
SUMMARY_FIELDS = (
    "rows",
    "created",
    "updated",
    "unchanged",
    "skipped",
    "invalid",
    "rejected",
    "failed",
    "requests",
    "retries",
    "throttled",
    "elapsed_s",
)


#: summary.json's links counters (issue #14): customer rows whose links were set, already
#: as wanted, or not set.
LINK_FIELDS = ("links_set", "links_unchanged", "links_failed")


@dataclass
class RowResult:
    """One input row's outcome: one line of results.csv."""

    source: str
    sheet: str
    row: int
    entity: str
    key: str
    status: Status
    http_status: int | None = None
    id: str = ""
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    def error_text(self) -> str:
        """The ``errors`` cell: ``property: message (code)`` joined by ``; ``."""
        return "; ".join(e.describe() for e in self.errors)


#: summary.json's ``by_entity`` counters for each entity, in order (issue #13), then
#: ``valid`` as in the totals.
ENTITY_FIELDS = SUMMARY_FIELDS[: SUMMARY_FIELDS.index("failed") + 1]


@dataclass
class Summary:
    """Counters for summary.json and the closing table, in total and per entity."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    invalid: int = 0
    rejected: int = 0
    failed: int = 0
    valid: int = 0
    #: Of ``skipped``, the rows whose record already exists: they count as succeeded.
    skipped_existing: int = 0
    links_set: int = 0
    links_unchanged: int = 0
    links_failed: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    elapsed_s: float = 0.0
    #: Entity name -> rows per status, in the order the run met the entities.
    by_entity: dict[str, Counter[Status]] = field(default_factory=dict)

    def count(self, status: Status, *, entity: str | None = None) -> None:
        """Add one row with ``status`` (of ``entity``, when given)."""
        self.count_all({status: 1}, entity=entity)

    def count_all(self, rows: Mapping[Status, int], *, entity: str | None = None) -> None:
        """Add ``rows[status]`` rows with each status (a batch's ``Counter``), to the
        totals and, when ``entity`` is given, to that entity's counters."""
        for status, n in rows.items():
            self.rows += n
            setattr(self, status.value, getattr(self, status.value) + n)
        if entity is not None:
            self.by_entity.setdefault(entity, Counter()).update(rows)

    def entity_counts(self) -> dict[str, dict[str, int]]:
        """summary.json's ``by_entity``: per entity ``ENTITY_FIELDS`` and ``valid``."""
        out: dict[str, dict[str, int]] = {}
        for name, counted in self.by_entity.items():
            counts = {"rows": sum(counted.values())}
            counts.update({f: counted[Status(f)] for f in ENTITY_FIELDS if f != "rows"})
            counts["valid"] = counted[Status.VALID]
            out[name] = counts
        return out

    def count_results(self, results: Sequence[RowResult], *, entity: str | None = None) -> None:
        """Add a batch's rows: by status, and the skips of records that already exist."""
        counts: Counter[Status] = Counter()
        for result in results:
            counts[result.status] += 1
            if result.status is Status.SKIPPED and exists_already(result.errors):
                self.skipped_existing += 1
        self.count_all(counts, entity=entity)

    def count_links(self, cell: str) -> None:
        """Add one customer row's links outcome (``set``, ``unchanged``, ``failed``); a
        preview's ``valid`` ones are counted in summary.json's ``changes.links``."""
        if cell not in ("set", "unchanged", "failed"):
            return
        name = f"links_{cell}"
        setattr(self, name, getattr(self, name) + 1)

    @property
    def succeeded(self) -> int:
        """Rows that succeeded, including those skipped because their record exists."""
        done = self.created + self.updated + self.unchanged + self.valid
        return done + self.skipped_existing

    @property
    def all_succeeded(self) -> bool:
        """Exit code 0: every row created, updated, unchanged, valid or already there,
        and every customer's links set or already as wanted (issue #14)."""
        return self.rows == self.succeeded and not self.links_failed

    def as_dict(self) -> dict[str, float | int]:
        """The contract's counters in order, then ``valid`` (dry runs), ``skipped_existing``
        (the part of ``skipped`` that is a success) and the links."""
        out: dict[str, float | int] = {name: getattr(self, name) for name in SUMMARY_FIELDS}
        out["valid"] = self.valid
        out["skipped_existing"] = self.skipped_existing
        for name in LINK_FIELDS:
            out[name] = getattr(self, name)
        return out
