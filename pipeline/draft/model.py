"""What a draft is made of: each column's ``Placement`` and the whole ``Draft``."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.constraints import Entity


@dataclass(frozen=True)
class Placement:
    """One column's fate: a rule (``property`` set, ``comment`` empty) or a comment.

    A reference column's value map may say why each value goes where it goes
    (``value_notes``: ``~ 'Netto 14 dage' (86)``) and which values it left out and why
    (``left_out``): those are written as comments, never guessed.
    """

    column: str
    property: str | None
    score: int = 0
    reasons: tuple[str, ...] = ()
    transforms: tuple[str, ...] = ()
    values: dict[str, bool | int] = field(default_factory=dict)
    lookup: str | None = None
    comment: str = ""
    value_notes: dict[str, str] = field(default_factory=dict)
    left_out: tuple[tuple[str, str], ...] = ()

    @builtins.property  # the field ``property`` hides the builtin in the class body
    def placed(self) -> bool:
        return self.property is not None and not self.comment


@dataclass(frozen=True)
class Draft:
    """A drafted mapping: where it came from, its key, and every column's placement."""

    entity: Entity
    source: Path
    sheet: str
    rows: int
    key: str | None
    key_reason: str
    placements: tuple[Placement, ...]
    missing: tuple[str, ...]  # required properties that no column feeds
    match: tuple[str, ...] | None = None  # the proposed match rule (issue #19)
    match_reason: str = ""  # why that rule, or why none (empty: not asked for)
    target: str = ""  # the base URL whose reference names the values were matched against
