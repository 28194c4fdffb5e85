"""The agreement's own reference names, read for ``econ-import map`` with a target.

With ``--base-url`` (and the tokens) or ``--sandbox``, the drafter reads the collections
the entity's references point at (for customers: payment terms, VAT zones, customer
groups, layouts and employees; ``pipeline.constraints`` ``Entity.references``) once
each, with GETs only, so that a reference column's values can be matched against the
names the agreement really holds (``pipeline.draft.values``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.api import ApiClient, ApiSettings
from pipeline.constraints import Entity
from pipeline.errors import ConfigError
from pipeline.mapping import ReferenceRecord, reference_record


@dataclass(frozen=True)
class Agreement:
    """What a draft knows of its target: where it is, and each collection's records."""

    base_url: str
    records: Mapping[str, tuple[ReferenceRecord, ...]] = field(default_factory=dict)

    def of(self, collection: str) -> tuple[ReferenceRecord, ...]:
        """The records of one collection (``payment-terms``), empty if it was not read."""
        return self.records.get(collection, ())


async def read_agreement(settings: ApiSettings, entity: Entity) -> Agreement:
    """Read every collection ``entity``'s references point at, each once."""
    records: dict[str, tuple[ReferenceRecord, ...]] = {}
    async with ApiClient(settings) as client:
        for ref in entity.references:
            if ref.collection in records:
                continue
            found = []
            try:
                async for item in client.iter_collection(f"/{ref.collection}"):
                    record = reference_record(
                        item, number_property=ref.number_property, name_property=ref.name_property
                    )
                    if record is not None:
                        found.append(record)
            except ConfigError as exc:  # a 4xx: the base URL is not an agreement's API
                raise ConfigError(
                    f"cannot read the agreement's names at {settings.base_url}: {exc}"
                ) from exc
            records[ref.collection] = tuple(found)
    return Agreement(settings.base_url, records)
