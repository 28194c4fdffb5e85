"""Agreements and their data: in memory, written through to SQLite with ``--db``.

Each distinct agreement grant token is its own agreement, with its own tables and its own
token bucket (issue #2, point 2). An agreement is known by a hash of its token, so the
token itself is never stored, logged or shown in ``/_sandbox/stats``.

Tables are keyed by entity name (``pipeline.constraints.ENTITIES``). Contacts and delivery
locations are numbered agreement-wide and indexed by their customer, whose number they
carry as ``customer.customerNumber``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from pipeline.sandbox.config import SandboxConfig
from pipeline.sandbox.persistence import Database, Delete, Upsert
from pipeline.sandbox.ratelimit import TokenBucket
from pipeline.sandbox.seed import READ_ONLY_NUMBERS, customer_groups, demo_customers

Record = dict[str, Any]

CUSTOMERS = "customers"
GROUPS = "customer-groups"
CONTACTS = "contacts"
LOCATIONS = "delivery-locations"
_KEYS = {
    CUSTOMERS: "customerNumber",
    GROUPS: "customerGroupNumber",
    CONTACTS: "customerContactNumber",
    LOCATIONS: "deliveryLocationNumber",
}
_CHILD_TABLES = (CONTACTS, LOCATIONS)

#: The public demo agreement's grant token: read-only (slate _introduction.md).
DEMO_TOKEN = "demo"


def agreement_id(token: str) -> str:
    """A stable, non-reversible name for the agreement behind ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def now_iso() -> str:
    """The current UTC time as the live ``lastUpdated`` shows it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parent_of(record: Record) -> int:
    """The customer number a contact or delivery location belongs to."""
    return int(record["customer"]["customerNumber"])


class Table:
    """One collection of an agreement, by number (and by customer for child tables)."""

    __slots__ = ("_top", "by_parent", "rows")

    def __init__(self, *, child: bool) -> None:
        self.rows: dict[int, Record] = {}
        self.by_parent: dict[int, dict[int, Record]] | None = {} if child else None
        self._top = 0

    def put(self, number: int, record: Record) -> None:
        """Insert or replace ``number`` (moving it to its new customer if that changed)."""
        if self.by_parent is not None:
            self._unindex(number)
            self.by_parent.setdefault(parent_of(record), {})[number] = record
        self.rows[number] = record
        self._top = max(self._top, number)

    def pop(self, number: int) -> Record | None:
        """Remove and return ``number``, or None."""
        if self.by_parent is not None:
            self._unindex(number)
        record = self.rows.pop(number, None)
        if number == self._top:
            # Numbers are reused after deletion (API-FACTS.md "Idempotency"): next is max + 1.
            self._top = max(self.rows, default=0)
        return record

    def _unindex(self, number: int) -> None:
        old = self.rows.get(number)
        if old is not None and self.by_parent is not None:
            siblings = self.by_parent.get(parent_of(old), {})
            siblings.pop(number, None)

    def next_number(self) -> int:
        """The number the server assigns to the next record without one."""
        return self._top + 1

    def move_children(self, old: int, new: int) -> dict[int, Record]:
        """Hand customer ``old``'s records to customer ``new``; returns the moved ones."""
        assert self.by_parent is not None
        moved = self.by_parent.pop(old, {})
        for record in moved.values():
            record["customer"] = {"customerNumber": new}
        self.by_parent.setdefault(new, {}).update(moved)
        return moved

    def children(self, parent: int) -> dict[int, Record]:
        """The records of customer ``parent`` (child tables only)."""
        assert self.by_parent is not None
        return self.by_parent.get(parent, {})


class Agreement:
    """One agreement's tables and rate bucket."""

    def __init__(self, ident: str, *, read_only: bool, bucket: TokenBucket) -> None:
        self.id = ident
        self.read_only = read_only
        self.bucket = bucket
        self.tables = {name: Table(child=name in _CHILD_TABLES) for name in _KEYS}

    def counts(self) -> dict[str, int]:
        """Records per table, for ``/_sandbox/stats``."""
        return {name: len(table.rows) for name, table in self.tables.items()}


class AgreementLookup:
    """Answers the validator's reference questions for one agreement (and customer)."""

    def __init__(self, agreement: Agreement, customer: int | None = None) -> None:
        self._agreement = agreement
        self._customer = customer

    def exists(self, collection: str, number: int) -> bool:
        """True when ``collection`` holds ``number`` (children: of this customer)."""
        seeded = READ_ONLY_NUMBERS.get(collection)
        if seeded is not None:
            return number in seeded
        record = self._agreement.tables[collection].rows.get(number)
        if record is None:
            return False
        return collection not in _CHILD_TABLES or self._customer in (None, parent_of(record))


class Store:
    """Every agreement the sandbox has seen; the only place that touches ``Database``."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._by_id: dict[str, Agreement] = {}
        self._by_token: dict[str, Agreement] = {}
        self.db = Database(config.db) if config.db is not None else None
        if self.db is not None:
            self._load(self.db)

    def _new(self, ident: str, *, read_only: bool = False) -> Agreement:
        bucket = TokenBucket(self._config.bucket, self._config.window)
        agreement = Agreement(ident, read_only=read_only, bucket=bucket)
        self._by_id[ident] = agreement
        return agreement

    def _load(self, db: Database) -> None:
        for ident in db.agreements():
            self._new(ident)
        for ident, kind, number, record in db.records():
            self._by_id[ident].tables[kind].put(number, record)

    def agreement(self, token: str) -> Agreement:
        """The agreement behind ``token``, created (and seeded) on first sight."""
        found = self._by_token.get(token)
        if found is not None:
            return found
        ident = agreement_id(token)
        agreement = self._by_id.get(ident)
        if agreement is None:
            agreement = self._create(ident, demo=token == DEMO_TOKEN)
        self._by_token[token] = agreement
        return agreement

    def _create(self, ident: str, *, demo: bool) -> Agreement:
        agreement = self._new(ident, read_only=demo)
        seeded = [(GROUPS, g) for g in customer_groups()]
        if demo:
            seeded += [(CUSTOMERS, c) for c in demo_customers(now_iso())]
        for kind, record in seeded:
            agreement.tables[kind].put(record[_KEYS[kind]], record)
        if self.db is not None and not demo:  # the demo agreement never changes: not stored
            self.db.add_agreement(ident)
            upserts = [(kind, rec[_KEYS[kind]], rec) for kind, rec in seeded]
            self.db.write(ident, upserts=upserts, deletes=[])
        return agreement

    def save(self, agreement: Agreement, kind: str, number: int, record: Record) -> None:
        """Insert or replace one record."""
        agreement.tables[kind].put(number, record)
        self._persist(agreement, upserts=[(kind, number, record)], deletes=[])

    def remove(self, agreement: Agreement, kind: str, number: int) -> Record | None:
        """Delete one record; a customer takes its contacts and delivery locations with it."""
        upserts: list[Upsert] = []
        deletes: list[Delete] = [(kind, number)]
        record = agreement.tables[kind].pop(number)
        if kind == CUSTOMERS:
            for child in _CHILD_TABLES:
                table = agreement.tables[child]
                for n in list(table.children(number)):
                    table.pop(n)
                    deletes.append((child, n))
        elif kind in _CHILD_TABLES:
            upserts = self._unlink(agreement, kind, number, record)
        self._persist(agreement, upserts=upserts, deletes=deletes)
        return record

    def _unlink(
        self, agreement: Agreement, kind: str, number: int, record: Record | None
    ) -> list[Upsert]:
        # A customer's attention/customerContact/defaultDeliveryLocation must not point at
        # a deleted contact or location.
        customer = agreement.tables[CUSTOMERS].rows.get(parent_of(record)) if record else None
        if customer is None:
            return []
        key = _KEYS[kind]
        stale = [k for k, v in customer.items() if isinstance(v, dict) and v.get(key) == number]
        for k in stale:
            del customer[k]
        return [(CUSTOMERS, customer["customerNumber"], customer)] if stale else []

    def renumber_customer(self, agreement: Agreement, old: int, record: Record) -> None:
        """Store ``record`` under its new ``customerNumber`` and move its children along
        (spec/003 "Customer Numbers": PUT on the old number with the new one in the body)."""
        new = record["customerNumber"]
        customers = agreement.tables[CUSTOMERS]
        customers.pop(old)
        customers.put(new, record)
        upserts: list[Upsert] = [(CUSTOMERS, new, record)]
        for child in _CHILD_TABLES:
            moved = agreement.tables[child].move_children(old, new)
            upserts += [(child, n, rec) for n, rec in moved.items()]
        self._persist(agreement, upserts=upserts, deletes=[(CUSTOMERS, old)])

    def _persist(
        self, agreement: Agreement, *, upserts: list[Upsert], deletes: list[Delete]
    ) -> None:
        if self.db is not None:
            self.db.write(agreement.id, upserts=upserts, deletes=deletes)

    def counts(self) -> dict[str, dict[str, int]]:
        """Records per table per agreement id."""
        return {ident: a.counts() for ident, a in self._by_id.items()}

    def close(self) -> None:
        """Close the SQLite file, if any."""
        if self.db is not None:
            self.db.close()
