"""Match rules: how a mapping finds the record a row already has on the server (issue #9).

A mapping may say ``match = ["corporateIdentificationNumber"]`` or ``["name", "zip"]``
(checked when the mapping is loaded: ``pipeline.constraints.match_check``).

Customers and customer groups are looked up with the API's ``filter``: one numeric
property with ``$in:[...]`` (at most 200 values), otherwise each row's non-empty values as
``p1$eq:v1$and:p2$eq:v2``, rows joined by ``$or:`` in batches of a bounded length. Values
are escaped as API-FACTS.md "Collections" says (``$$ $( $) $* $,``). Contacts and delivery
locations are matched within their customer, on the records read from its collection.

On both sides values are compared folded (case and runs of white space ignored), the way
``pipeline.write.matching.match_key`` compares e-mails and names; an empty cell matches only an
empty or absent property. A row whose match values are all empty cannot be matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pipeline.constraints import Entity, MatchRule
from pipeline.mapping import flatten

__all__ = ["MatchRule", "can_match", "escape", "filters", "fold", "row_values"]

#: ``$in:`` takes at most 200 values (API-FACTS.md "Collections").
IN_FILTER_MAX = 200
#: Rows per ``$or:`` filter, and the filter's length before URL-encoding: a request line
#: stays far below the 8 KB that HTTP servers commonly accept.
OR_FILTER_MAX_TERMS = 100
OR_FILTER_MAX_CHARS = 2_000
#: Characters the filter language reserves; each is escaped with ``$`` (API-FACTS.md).
_SPECIAL = "$(),*"


def fold(text: object) -> str:
    """Case and white space folded: ``' ACME  ApS'`` and ``'acme aps'`` compare equal."""
    return " ".join(str(text).split()).casefold() if text not in (None, "") else ""


def escape(value: str) -> str:
    """A value as the filter language reads it literally (API-FACTS.md: ``$$ $( $) $* $,``)."""
    return "".join("$" + c if c in _SPECIAL else c for c in value)


def row_values(rule: MatchRule, record: Mapping[str, Any]) -> tuple[str, ...]:
    """The folded match values of a row (or of ``flatten`` of an API record)."""
    return tuple(fold(record.get(path)) for path in rule)


def record_values(rule: MatchRule, item: Mapping[str, Any], entity: Entity) -> tuple[str, ...]:
    """The folded match values of a record as the API returns it (JSON)."""
    return row_values(rule, flatten(item, entity, paths=rule))


def can_match(values: Sequence[str]) -> bool:
    """False when every match value is empty: such a row is created, never matched."""
    return any(values)


def filters(entity: Entity, rule: MatchRule, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The ``filter`` texts that fetch every record these rows may match (deduplicated)."""
    terms: list[str] = []
    seen: set[str] = set()
    numeric = len(rule) == 1 and _is_numeric(entity, rule[0])
    for record in rows:
        texts = [(path, " ".join(str(record.get(path) or "").split())) for path in rule]
        given = [(path, text) for path, text in texts if text]
        if not given:
            continue
        term = given[0][1] if numeric else "$and:".join(f"{p}$eq:{escape(t)}" for p, t in given)
        if numeric and not term.replace(".", "", 1).lstrip("-").isdigit():
            continue  # not a number: nothing of a numeric property can match it
        if term not in seen:
            seen.add(term)
            terms.append(term)
    if numeric:
        return [
            f"{rule[0]}$in:[{','.join(terms[i : i + IN_FILTER_MAX])}]"
            for i in range(0, len(terms), IN_FILTER_MAX)
        ]
    return _or_batches(terms)


def _or_batches(terms: list[str]) -> list[str]:
    batches: list[list[str]] = [[]]
    length = 0
    for term in terms:
        wrapped = f"({term})" if "$and:" in term else term
        too_long = length + len(wrapped) > OR_FILTER_MAX_CHARS
        if batches[-1] and (len(batches[-1]) >= OR_FILTER_MAX_TERMS or too_long):
            batches.append([])
            length = 0
        batches[-1].append(wrapped)
        length += len(wrapped) + len("$or:")
    return ["$or:".join(batch) for batch in batches if batch]


def _is_numeric(entity: Entity, path: str) -> bool:
    # slate "Filtering": $in: works on numeric properties only (the sandbox agrees).
    return any(f.path == path and f.type in ("integer", "number") for f in entity.fields)


def describe_values(rule: MatchRule, record: Mapping[str, Any]) -> str:
    """``corporateIdentificationNumber 12345678`` / ``name Acme ApS and zip 8000``."""
    parts = [f"{path} {' '.join(str(record.get(path) or '').split())}" for path in rule]
    return " and ".join(parts)
