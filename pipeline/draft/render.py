"""A drafted mapping (``pipeline.draft``) as a mapping file, and as the table ``map`` prints.

The file is a normal mapping (``pipeline.mapping`` reads it back before it is kept): one
rule per placed column with its reason beside it, every other column as a commented
line saying why, and the required properties no column feeds as commented constants.
A reference column whose value map was matched against an agreement is written as a
table of its own after the others (``[columns."Betaling".values]``), one value a line
with its score beside it, and the values left out as comments.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.mapping import load_mapping

from .model import Draft, Placement

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

#: Example values for required properties that no column feeds (left commented).
EXAMPLE_CONSTANTS: dict[str, str] = {
    "currency": '"DKK"',
    "customerGroup.customerGroupNumber": "1",
    "paymentTerms.paymentTermsNumber": "1",
    "vatZone.vatZoneNumber": "1",
    "name": '"..."',
    "customerGroupNumber": "1",
    "customer.customerNumber": "1",
}


def _quote(text: str) -> str:
    """A TOML basic string: JSON's escapes are all valid TOML, and TOML also forbids DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _comment(text: str) -> str:
    """Text safe in a TOML comment, which ends at a newline and admits no control
    characters but tab: a header's own control characters are shown escaped."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def rule_text(p: Placement) -> str:
    """The right-hand side of a ``[columns]`` line for ``p``."""
    assert p.property is not None
    parts = [f"property = {_quote(p.property)}"]
    if p.transforms:
        parts.append(f"transforms = [{', '.join(_quote(t) for t in p.transforms)}]")
    if p.values:
        pairs = ", ".join(f"{_quote(k)} = {_value(v)}" for k, v in p.values.items())
        parts.append(f"values = {{ {pairs} }}")
    if p.lookup:
        parts.append(f"lookup = {_quote(p.lookup)}")
    return "{ " + ", ".join(parts) + " }"


def _value(value: bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scored(p: Placement) -> bool:
    """True when the column's value map says why each value goes where (with a target)."""
    return p.placed and bool(p.value_notes or p.left_out)


def render_mapping(draft: Draft) -> str:
    """The draft as the text of a mapping file."""
    where = _comment(f"{draft.source.name}" + (f", sheet '{draft.sheet}'" if draft.sheet else ""))
    lines = [
        f"# Drafted by `econ-import map` from {where} ({draft.rows} rows read) for",
        f"# {draft.entity.name}. Check every line: each says why it is there. Commented",
        "# lines are columns it could not place, or lost to a better column.",
        f"entity = {_quote(draft.entity.name)}",
    ]
    if draft.key is not None:
        lines.append(f"key = {_quote(draft.key)}  # {_comment(draft.key_reason)}")
    else:
        lines.append(f'# key = "..."  # {_comment(draft.key_reason)}')
    if draft.match is not None:
        rule = ", ".join(_quote(path) for path in draft.match)
        lines.append(f"match = [{rule}]  # {_comment(draft.match_reason)}")
    elif draft.match_reason:
        lines.append(f"# match = [...]  # {_comment(draft.match_reason)}")
    if draft.sheet:
        lines.append(f"sheet = {_quote(draft.sheet)}")
    if draft.target:
        lines.append(f"# Reference values were matched against the agreement at {draft.target}.")
    lines += ["", "[columns]"]
    for p in draft.placements:
        if _scored(p):
            lines.append(f"# {_quote(p.column)}: below, with its value map")
        else:
            lines.append(_column_line(draft, p))
    for p in draft.placements:
        if _scored(p):
            lines += ["", *_scored_table(p)]
    if draft.missing:
        lines += ["", "[constants]", "# Required, and no column feeds them: give a constant",
                  "# (or map a column, or use [defaults] to fill empty cells)."]  # fmt: skip
        for path in draft.missing:
            lines.append(f"# {_quote(path)} = {EXAMPLE_CONSTANTS.get(path, '...')}")
    return "\n".join(lines) + "\n"


def _scored_table(p: Placement) -> list[str]:
    """A reference column as a table of its own: the rule, then one value a line."""
    assert p.property is not None
    name = f"columns.{_quote(p.column)}"
    lines = [f"[{name}]  # {_comment('; '.join(p.reasons))}",
             f"property = {_quote(p.property)}"]  # fmt: skip
    if p.transforms:
        lines.append(f"transforms = [{', '.join(_quote(t) for t in p.transforms)}]")
    lines.append(f"[{name}.values]")
    for value, number in p.values.items():
        lines.append(f"{_quote(value)} = {_value(number)}  # {_comment(p.value_notes[value])}")
    for value, why in p.left_out:
        lines.append(f"# {_quote(value)} = ...  # {_comment(why)}")
    return lines


def _column_line(draft: Draft, p: Placement) -> str:
    reasons, why = _comment("; ".join(p.reasons)), _comment(p.comment)
    if p.placed:
        return f"{_quote(p.column)} = {rule_text(p)}  # {reasons}"
    if p.column == draft.key:
        return f"# {_quote(p.column)}: the key (above), not sent as a property"
    if p.property is not None:
        return f"# {_quote(p.column)} = {rule_text(p)}  # {why}"
    return f"# {_quote(p.column)} = false  # {why}"


def draft_table(draft: Draft) -> list[str]:
    """The table ``map`` prints: column, property, why."""
    rows = [("column", "property", "why")]
    for p in draft.placements:
        if p.placed:
            target, why = str(p.property), "; ".join(p.reasons)
        elif p.column == draft.key:
            target, why = "(key)", draft.key_reason
        else:
            target, why = "-", p.comment
        if p.column == draft.key and p.placed:
            target, why = f"{target} (key)", f"{why}; key: {draft.key_reason}"
        rows.append((p.column, target, why))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    return [f"{c:<{widths[0]}}  {t:<{widths[1]}}  {w}".rstrip() for c, t, w in rows]


def draft_notes(draft: Draft) -> list[str]:
    """What ``map`` prints below the table: the match rule and why, the target."""
    notes = []
    if draft.match is not None:
        notes.append(f"match = {list(draft.match)}: {draft.match_reason}")
    elif draft.match_reason:
        notes.append(f"no match rule: {draft.match_reason}")
    if draft.target:
        left = sum(len(p.left_out) for p in draft.placements if p.placed)
        note = f"; {left} values left for you to map (commented)" if left else ""
        notes.append(f"reference values matched against {draft.target}{note}")
    return notes


def draft_summary(draft: Draft) -> str:
    """``16 columns placed, 3 commented, key 'Konto'``."""
    placed = sum(p.placed for p in draft.placements)
    commented = sum(not p.placed and p.column != draft.key for p in draft.placements)
    key = f"key '{draft.key}'" if draft.key else "no key"
    return f"{placed} columns placed, {commented} commented, {key}"


def write_draft(draft: Draft, output: Path, *, force: bool = False) -> None:
    """Write the draft to ``output`` and read it back as a mapping; never overwrites a
    file unless ``force`` (a draft must not replace a mapping someone has edited)."""
    output = Path(output)
    if output.exists() and not force:
        raise ConfigError(f"{output}: already exists; nothing written (use --force to replace it)")
    temporary = output.with_name(output.name + ".tmp")
    try:
        temporary.write_text(render_mapping(draft), encoding="utf-8")
        load_mapping(temporary, entity=draft.entity.name)  # a draft is a normal mapping
        os.replace(temporary, output)
    except OSError as exc:
        raise ConfigError(f"{output}: cannot write the mapping ({exc.strerror})") from exc
    finally:
        temporary.unlink(missing_ok=True)
