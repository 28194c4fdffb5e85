"""Reference values given by name ("Netto 30 dage") resolved to numbers (issue #4).

Names are read once per step from the API's collections (paged), case-insensitively; an
unknown name is a row error found before the row is sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.api import ApiClient
from pipeline.constraints import CODE_NOT_FOUND, Entity, Reference
from pipeline.errors import ConfigError, RowError


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
        self, tables: Mapping[str, dict[str, tuple[str, str]]], refs: Mapping[str, Reference]
    ) -> None:
        self._tables = tables  # path -> folded name -> (number, name as the API spells it)
        self._refs = refs

    @classmethod
    async def load(
        cls, client: ApiClient, entity: Entity, lookups: Mapping[str, str]
    ) -> NameResolver:
        """Read every collection the lookups need, each once."""
        tables: dict[str, dict[str, tuple[str, str]]] = {}
        refs: dict[str, Reference] = {}
        for path, attribute in lookups.items():
            ref = reference_for(entity, path)
            refs[path] = ref
            table: dict[str, tuple[str, str]] = {}
            async for item in client.iter_collection(f"/{ref.collection}"):
                name = item.get(attribute)
                if isinstance(name, str) and item.get(ref.number_property) is not None:
                    table.setdefault(_fold(name), (str(item[ref.number_property]), name))
            tables[path] = table
        return cls(tables, refs)

    def resolve(self, path: str, name: str, *, row: int) -> str | RowError:
        """The number for ``name``, or the row error that says it does not exist."""
        found = self._tables[path].get(_fold(name))
        if found is not None:
            return found[0]
        ref = self._refs[path]
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
