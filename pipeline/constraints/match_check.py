"""A mapping's ``match`` rule, checked when the mapping is loaded (issue #9).

Each property must be filterable for the entity ("Filterable properties" of the
collection, spec/000 GET /customer-groups and spec/001 GET /customers, /contacts,
/delivery-locations: ``Entity.filterable``) and produced by the mapping, so that a mistake
is found before any request. How a rule finds records is ``pipeline.write.match_rules``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .table import Entity

#: The properties a mapping matches existing records by, in the mapping's order.
MatchRule = tuple[str, ...]


def check_match(entity: Entity, value: object, *, produced: Iterable[str], where: str) -> MatchRule:
    """The ``match`` list checked; a ``ValueError`` message names the valid properties."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f'{where} must be a list of property names, e.g. match = ["email"]')
    valid = sorted(entity.filterable - {entity.parent_path or ""})
    for path in value:
        if path not in valid:
            raise ValueError(
                f"{where}: '{path}' is not a filterable {entity.label} property "
                f"(spec/000, spec/001 'Filterable properties'); valid: {', '.join(valid)}"
            )
    missing = [path for path in value if path not in set(produced)]
    if missing:
        raise ValueError(
            f"{where}: {', '.join(repr(p) for p in missing)} is not produced by the mapping; "
            "map a column, a constant or a default to it"
        )
    if len(set(value)) != len(value):
        raise ValueError(f"{where} names a property twice: {value}")
    return tuple(value)
