"""Source columns to API property paths: the mapping stage of an import.

A mapping file (TOML) is parsed into frozen dataclasses and checked completely before a
row is read: unknown keys, properties, transforms and lookups fail naming the valid
choices, and constants are checked against ``pipeline.constraints`` up front::

    entity = "customers"          # one of pipeline.constraints.ENTITIES
    key = "Kundenr"               # source column identifying the row in the source system
    skip_rows = 0                 # lines above the header row (as in e-conomic's import)
    sheet = "Kunder"              # optional: the workbook sheet to read
    match = ["corporateIdentificationNumber"]   # optional: how an existing record is found

    [columns]                     # source column -> property path, a rule, or false
    "Navn" = "name"
    "Postnr" = { property = "zip", transforms = ["strip", "digits-only"] }
    "Betaling" = { property = "paymentTerms.paymentTermsNumber", values = { "Netto 8" = 1 } }
    "Momszone" = { property = "vatZone.vatZoneNumber", lookup = "name" }
    "Ignoreret" = false

    [constants]                   # property -> value for every row
    [defaults]                    # property -> value where the mapped cell is empty

Transforms run in the order given, then the value map (exact match after transforms;
``"*"`` catches every other non-empty value; unmatched values pass through for the
validator to judge). Everything stays text until ``pipeline.constraints.convert``.
"""

from __future__ import annotations

import collections.abc as cabc
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.constraints import (
    CODE_NUMBER_FORMAT,
    Entity,
    MatchRule,
)
from pipeline.errors import ConfigError, RowError

from .transforms import (
    TRANSFORMS,
    Transform,
    collapse_spaces,
    decimal_comma,
    decimal_point,
    digits_only,
    transform_cells,
)

__all__ = [
    "KEY_COLUMN",
    "PARENT_KEY",
    "TRANSFORMS",
    "WILDCARD",
    "ColumnRule",
    "Mapping",
    "Transform",
    "apply_mapping",
    "collapse_spaces",
    "decimal_comma",
    "decimal_point",
    "digits_only",
    "map_chunk",
    "valid_properties",
]

#: The parent customer's source key, for contacts and delivery locations (resolved later).
PARENT_KEY = "customer.key"
#: The column of ``apply_mapping``'s output holding each row's source key.
KEY_COLUMN = "_key"
#: In a value map, the target of every non-empty value the map does not name.
WILDCARD = "*"


@dataclass(frozen=True)
class ColumnRule:
    """How one source column becomes one property."""

    source: str
    property: str
    transforms: tuple[str, ...] = ()
    values: cabc.Mapping[str, str] = field(default_factory=dict)
    lookup: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A checked mapping: rules, constants and defaults for one entity."""

    entity: Entity
    key: str | None = None
    skip_rows: int = 0
    rules: tuple[ColumnRule, ...] = ()
    constants: cabc.Mapping[str, str] = field(default_factory=dict)
    defaults: cabc.Mapping[str, str] = field(default_factory=dict)
    path: Path | None = None
    ignored: tuple[str, ...] = ()
    sheet: str | None = None
    match: MatchRule = ()  # pipeline.write.match_rules
    #: ``match = []``: rows without a number of their own are new records, created
    #: without asking the agreement (issue #19: the opt-out of "no history is no excuse").
    new_when_unmatched: bool = False

    def check_columns(self, columns: Sequence[str], *, source: str | Path | None = None) -> None:
        """ConfigError naming the source columns this mapping needs that ``columns`` lacks."""
        needed = [r.source for r in self.rules] + ([self.key] if self.key else [])
        missing = [c for c in dict.fromkeys(needed) if c not in columns]
        if missing:
            named = ", ".join(suggest(c, columns) for c in missing)
            where = f"{source}: " if source else ""
            raise ConfigError(
                f"{where}no column {named} (needed by {self.path or 'the mapping'}); "
                f"the columns are: {', '.join(columns)}"
            )

    def unused_columns(self, columns: Sequence[str]) -> list[str]:
        """Columns of the file that no rule reads and no ``false`` ignores (worth a warning)."""
        used = {r.source for r in self.rules} | set(self.ignored) | {self.key}
        return [c for c in columns if c not in used]

    def properties(self) -> list[str]:
        """Every property path this mapping produces, rules first."""
        paths = [r.property for r in self.rules] + list(self.defaults) + list(self.constants)
        return list(dict.fromkeys(paths))

    def lookups(self) -> dict[str, str]:
        """Property path -> the attribute its cells name the target by (``name``)."""
        return {r.property: r.lookup for r in self.rules if r.lookup}


def valid_properties(entity: Entity) -> list[str]:
    """Property paths a mapping may produce: the entity's fields, plus ``customer.key``
    for a child entity (contacts, delivery locations), plus a customer's pseudo-property
    ``currentCustomerNumber`` and its links by source key (``attention.key``...)."""
    extra = [f.path for f in entity.pseudo] + [link.key_path for link in entity.links]
    return [f.path for f in entity.fields] + ([PARENT_KEY] if entity.parent else []) + extra


def apply_mapping(frame: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """A chunk of source rows as property paths -> text, same index, plus ``_key``.

    A cell a transform refuses keeps its text; ``map_chunk`` also says which they are.
    """
    return map_chunk(frame, mapping)[0]


def map_chunk(
    frame: pd.DataFrame, mapping: Mapping
) -> tuple[pd.DataFrame, dict[int, list[RowError]]]:
    """``apply_mapping``, and the row errors of the cells a transform refused (by row):
    such a row is ``invalid``, through the same path as a validation error."""
    out: dict[str, list[str] | str] = {}
    errors: dict[int, list[RowError]] = {}
    rows = frame.index.tolist()
    for rule in mapping.rules:
        source = frame[rule.source].tolist()
        out[rule.property], refused = _apply_rule(source, rule)
        for n, reason in refused.items():
            message = f"column '{rule.source}': {reason}"
            error = RowError(rows[n], rule.property, CODE_NUMBER_FORMAT, message, source[n])
            errors.setdefault(rows[n], []).append(error)
    for path, default in mapping.defaults.items():
        cells = out.get(path)
        out[path] = [c or default for c in cells] if isinstance(cells, list) else default
    out.update(mapping.constants)
    out[KEY_COLUMN] = list(map(str.strip, frame[mapping.key].tolist())) if mapping.key else ""
    return pd.DataFrame(out, index=frame.index, dtype=str), errors


def _apply_rule(cells: list[str], rule: ColumnRule) -> tuple[list[str], dict[int, str]]:
    """The rule's cells, and why a transform refused some (by position)."""
    refused: dict[int, str] = {}
    for name in rule.transforms:
        cells, found = transform_cells(name, cells)
        for n, reason in found.items():
            refused.setdefault(n, reason)  # the first transform to refuse a cell says why
    if not rule.values:
        return cells, refused
    values = {k: v for k, v in rule.values.items() if k != WILDCARD}
    fallback = rule.values.get(WILDCARD)
    if fallback is None:
        return [values.get(c, c) for c in cells], refused
    return [values.get(c, fallback if c else c) for c in cells], refused


def suggest(name: str, choices: Sequence[str]) -> str:
    """``'nme' (did you mean 'name'?)``, matching case-insensitively."""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f"'{name}' (did you mean '{lowered[close[0]]}'?)" if close else f"'{name}'"
