"""Reference values given by name ("Netto 30 dage") resolved to numbers (issue #4).

Names are read once per step from the API's collections (paged), case-insensitively; an
unknown name is a row error found before the row is sent. A name the agreement does not
hold may still be a standard name in the user's own language (``Indenlandsk`` for the VAT
zone the API calls ``Domestic``, ``Net 14 days`` for the agreement's one net term of 14
days): ``pipeline.mapping`` keeps that table, which ``econ-import map`` reads too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.api import ApiClient
from pipeline.constraints import CODE_NOT_FOUND, Entity, Reference
from pipeline.errors import ConfigError, RowError
from pipeline.mapping import ReferenceRecord, find_standard, reference_record


def reference_for(entity: Entity, path: str) -> Reference:
    """The reference behind a property path that a mapping resolves by name."""
    for ref in entity.references:
        if ref.path == path:
            return ref
    valid = ", ".join(r.path for r in entity.references) or "none"
    raise ConfigError(f"{path} cannot be given by name; these can: {valid}")


class NameResolver:
    """Name -> number tables of the collections a step's lookups point at."""

    def __init__(
        self,
        tables: Mapping[str, dict[str, tuple[str, str]]],
        refs: Mapping[str, Reference],
        records: Mapping[str, Sequence[ReferenceRecord]] | None = None,
    ) -> None:
        self._tables = tables  # path -> folded name -> (number, name as the API spells it)
        self._refs = refs
        self._records = records or {}  # path -> the collection's records, for standard names

    @classmethod
    async def load(
        cls, client: ApiClient, entity: Entity, lookups: Mapping[str, str]
    ) -> NameResolver:
        """Read every collection the lookups need, each once."""
        tables: dict[str, dict[str, tuple[str, str]]] = {}
        records: dict[str, list[ReferenceRecord]] = {}
        refs: dict[str, Reference] = {}
        for path, attribute in lookups.items():
            ref = reference_for(entity, path)
            refs[path] = ref
            table: dict[str, tuple[str, str]] = {}
            records[path] = []
            async for item in client.iter_collection(f"/{ref.collection}"):
                record = reference_record(
                    item, number_property=ref.number_property, name_property=attribute
                )
                if record is not None:
                    table.setdefault(_fold(record.name), (record.number, record.name))
                    records[path].append(record)
            tables[path] = table
        return cls(tables, refs, records)

    def resolve(self, path: str, name: str, *, row: int) -> str | RowError:
        """The number for ``name``, or the row error that says it does not exist."""
        found = self._tables[path].get(_fold(name))
        if found is not None:
            return found[0]
        ref = self._refs[path]
        standard = find_standard(ref.collection, name, self._records.get(path, ()))
        if standard is not None:
            return standard.number
        known = sorted(spelled for _, spelled in self._tables[path].values())[:10]
        hint = f"; known: {', '.join(known)}" if known else ""
        return RowError(
            row=row,
            property=path,
            code=CODE_NOT_FOUND,
            value=name,
            message=f"{ref.label} named '{name}' not found in /{ref.collection}{hint}",
        )


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()
