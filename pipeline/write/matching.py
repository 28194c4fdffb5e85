"""Find the records that already exist for a batch of rows (modes; exactly-once look-ups).

How a row is matched to an existing record, per entity (issue #4, "Modes"):

- customer groups: by ``customerGroupNumber``;
- customers: by ``customerNumber`` (read in batches with ``filter=customerNumber$in:[...]``,
  at most 200 values a call, API-FACTS.md "Collections");
- contacts: within their customer, by e-mail (case-insensitive), else by name;
- delivery locations: within their customer, by address and postal code.

A mapping's match rule (``pipeline.write.match_rules``) adds a second way: customers and groups
by the API's ``filter`` on the rule's properties, children on their customer's records.
Each look-up reads a collection once per batch (or once per parent customer), so matching
costs a few GETs per thousand rows rather than one per row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.api import ApiClient, collection_url, record_id
from pipeline.constraints import Entity
from pipeline.errors import ConfigError
from pipeline.mapping import flatten

from .match_rules import MatchRule, can_match, filters, record_values, row_values
from .renumber import renumbering

IN_FILTER_MAX = 200  # API-FACTS.md: "$in:[1,2,3] takes at most 200 values"
#: Look-ups of one batch sent at once: one after another they would leave the budget
#: unused for a latency each (25 GETs at 400 ms are 10 s without a write).
LOOKUPS_IN_FLIGHT = 16


def _fold(text: object) -> str:
    return " ".join(str(text).split()).casefold() if text is not None else ""


def match_key(entity: Entity, record: Mapping[str, Any]) -> str:
    """The key a row or an API record is matched by, '' when it has none.

    ``record`` is flat (property path -> value), as a row's texts or ``flatten`` of JSON.
    A row that renumbers a customer is matched by its current number (``pipeline.write.renumber``).
    """
    if entity.name in ("customers", "customer-groups"):
        current, _ = renumbering(entity, record)
        value = current or record.get(entity.key)
        return str(value).strip() if value not in (None, "") else ""
    if entity.name == "contacts":
        email = _fold(record.get("email"))
        return f"email:{email}" if email else f"name:{_fold(record.get('name'))}"
    address = _fold(record.get("address"))
    postal = _fold(record.get("postalCode"))
    return f"{address}|{postal}" if address or postal else ""


def lookup_keys(entity: Entity, record: Mapping[str, Any]) -> list[str]:
    """What to fetch for a row: its match key, and the new number of a renumbering row."""
    _, new = renumbering(entity, record)
    return [match_key(entity, record), new] if new else [match_key(entity, record)]


def renumber_holder(
    existing: ExistingRecords | None, entity: Entity, record: Mapping[str, Any]
) -> tuple[tuple[str, str], dict[str, Any] | None]:
    """(current, new) of a renumbering row and the record holding the new number now."""
    renumber = renumbering(entity, record)
    holder = existing.find(renumber[1]) if existing is not None and renumber[1] else None
    return renumber, holder


class ExistingRecords:
    """Existing API records of one entity, fetched for the rows at hand."""

    def __init__(self, client: ApiClient, entity: Entity, *, match: MatchRule = ()) -> None:
        self._client = client
        self._entity = entity
        self._match = match
        self._records: dict[tuple[str, str], dict[str, Any]] = {}
        self._fetched_parents: set[str] = set()
        self._children: dict[str, list[dict[str, Any]]] = {}
        self._matched: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}
        self._match_fetched: set[tuple[str, ...]] = set()

    async def fetch(
        self, keys: Iterable[str], *, parents: Iterable[str] = (), ids: Iterable[str] = ()
    ) -> None:
        """Read what exists for these match keys or record ``ids`` (top-level: both are
        numbers), or under these parents (children)."""
        if self._entity.parent is None:
            numbers = {k for k in keys if k.isdigit()} | {i for i in ids if i.isdigit()}
            await self._fetch_numbers(sorted(numbers))
        else:
            for parent in sorted(set(parents) - self._fetched_parents):
                await self._fetch_children(parent)

    async def fetch_matches(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Read the records these rows may match by the rule (top-level entities only;
        children are matched on their parent's records, read by ``fetch``)."""
        if not self._match or self._entity.parent is not None:
            return
        wanted = [r for r in rows if row_values(self._match, r) not in self._match_fetched]
        path = self._entity.collection_path
        for text in filters(self._entity, self._match, wanted):
            async for item in self._client.iter_collection(path, params={"filter": text}):
                self._add_match(item)
        self._match_fetched.update(row_values(self._match, r) for r in wanted)

    def find(self, key: str, *, parent: str = "") -> dict[str, Any] | None:
        """The existing record with this match key (under ``parent`` for children)."""
        return self._records.get((parent, key)) if key else None

    def find_id(self, number: str, *, parent: str = "") -> dict[str, Any] | None:
        """The existing record with this number (under ``parent`` for children), if read."""
        if self._entity.parent is None:
            return self._records.get(("", number))
        for item in self._children.get(parent, ()):
            if record_id(self._entity, item) == number:
                return item
        return None

    def matches(self, row: Mapping[str, Any], *, parent: str = "") -> list[dict[str, Any]]:
        """Every record the rule matches to ``row`` (none without a rule or values)."""
        values = row_values(self._match, row)
        if not self._match or not can_match(values):
            return []
        if self._entity.parent is None:
            return list(self._matched.get(values, {}).values())
        return [
            item
            for item in self._children.get(parent, ())
            if record_values(self._match, item, self._entity) == values
        ]

    def remember(self, key: str, record: dict[str, Any], *, parent: str = "") -> None:
        """Add a record this run created, so a later duplicate row matches it."""
        if key:
            self._records[(parent, key)] = record
        if self._entity.parent is not None:
            self._children.setdefault(parent, []).append(record)
        elif self._match:
            self._add_match(record)

    def _add_match(self, item: dict[str, Any]) -> None:
        values = record_values(self._match, item, self._entity)
        self._matched.setdefault(values, {})[record_id(self._entity, item)] = item

    async def _fetch_numbers(self, numbers: list[str]) -> None:
        todo = [n for n in numbers if ("", n) not in self._records]
        batches = [todo[i : i + IN_FILTER_MAX] for i in range(0, len(todo), IN_FILTER_MAX)]
        places = asyncio.Semaphore(LOOKUPS_IN_FLIGHT)
        tasks = [asyncio.ensure_future(self._fetch_in(batch, places)) for batch in batches]
        try:
            await asyncio.gather(*tasks)
        finally:  # a failed look-up (or a cancel) stops the others before going on
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _fetch_in(self, batch: list[str], places: asyncio.Semaphore) -> None:
        params = {"filter": f"{self._entity.key}$in:[{','.join(batch)}]"}
        async with places:
            items = [
                item
                async for item in self._client.iter_collection(
                    self._entity.collection_path, params=params
                )
            ]
        for item in items:
            key = match_key(self._entity, flatten(item, self._entity) | _key_of(item, self._entity))
            self._records[("", key)] = item

    async def _fetch_children(self, parent: str) -> None:
        self._fetched_parents.add(parent)
        path = collection_url(self._entity, parent_id=parent)
        try:
            async for item in self._client.iter_collection(path):
                key = match_key(self._entity, flatten(item, self._entity))
                self._records.setdefault((parent, key), item)
                self._children.setdefault(parent, []).append(item)
        except ConfigError:
            # The parent customer does not exist (404): nothing matches, and the write
            # itself gets the API's 404, which reports the row as rejected.
            return


def _key_of(item: Mapping[str, Any], entity: Entity) -> dict[str, str]:
    value = item.get(entity.key)
    return {entity.key: str(value)} if value is not None else {}
