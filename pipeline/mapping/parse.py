"""Reading a mapping file: TOML in, a checked ``Mapping`` out (the format: ``rules``).

Every mistake is found before a row is read and names the valid choices: unknown keys,
entities, properties, transforms and lookups, constants the constraints refuse, and match
rules on properties that cannot be filtered.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Sequence
from pathlib import Path

from pipeline.constraints import (
    ENTITIES,
    ConversionError,
    Entity,
    MatchRule,
    check_match,
    check_value,
    convert_cell,
)
from pipeline.errors import ConfigError

from .headers import match_header
from .payload import value_text
from .rules import PARENT_KEY, ColumnRule, Mapping, suggest, valid_properties
from .transforms import TRANSFORMS

TOP_LEVEL_KEYS = (
    "entity", "key", "skip_rows", "sheet", "match", "columns", "constants", "defaults"
)  # fmt: skip
RULE_KEYS = ("property", "transforms", "values", "lookup")


def load_mapping(path: Path, *, entity: str | None = None) -> Mapping:
    """Read and check a mapping file; ``entity`` (a name) must agree with the file's."""
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the mapping ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _Parser(path).parse(doc, entity)


def identity_mapping(entity: Entity, columns: Sequence[str]) -> Mapping:
    """The mapping without a file: every column is named after its property path."""
    valid = valid_properties(entity)
    unknown = [c for c in columns if c not in valid]
    if unknown:
        named = ", ".join(__suggest_property(entity, c, valid) for c in unknown)
        what = (
            "column {} is not a {} property"
            if len(unknown) == 1
            else "columns {} are not {} properties"
        )
        raise ConfigError(
            f"{what.format(named, entity.name)}; without a mapping file the "
            f"headers must be property paths, as in `econ-import template {entity.name}` "
            "(`econ-import map` drafts a mapping)"
        )
    rules = tuple(ColumnRule(c, c) for c in columns)
    return Mapping(entity, key=entity.key if entity.key in columns else None, rules=rules)


def __suggest_property(entity: Entity, header: str, valid: Sequence[str]) -> str:
    """``'Postnummer' (did you mean 'zip'?)``: the synonym table first (``.headers``,
    the same matcher as ``econ-import map``), then the closest property path."""
    match = match_header(entity.name, header)
    if match is not None and match.property in valid:
        return f"'{header}' (did you mean '{match.property}'?)"
    return suggest(header, valid)


def _choices(name: str, valid: Sequence[str]) -> str:
    """``did you mean 'x'? valid ...: a, b`` for an unknown ``name``."""
    close = difflib.get_close_matches(name, list(valid), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}valid: {', '.join(valid)}"


class _Parser:
    """Turns a TOML document into a ``Mapping``, failing on the first mistake."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {message}")

    def parse(self, doc: dict[str, object], entity_name: str | None) -> Mapping:
        for name in doc:
            if name not in TOP_LEVEL_KEYS:
                raise self.fail(f"unknown key '{name}'; {_choices(name, TOP_LEVEL_KEYS)}")
        entity = self.entity(doc.get("entity"), entity_name)
        columns = self.table(doc, "columns")
        rules = tuple(self.rule(entity, s, spec) for s, spec in columns.items() if spec)
        ignored = tuple(s for s, spec in columns.items() if spec is False)
        constants = self.values(entity, self.table(doc, "constants"), "constants")
        defaults = self.values(entity, self.table(doc, "defaults"), "defaults")
        self.no_conflicts(rules, constants, defaults)
        produced = [r.property for r in rules] + list(constants) + list(defaults)
        return Mapping(
            entity,
            key=self.text_or_none(doc, "key"),
            skip_rows=self.skip_rows(doc),
            rules=rules,
            constants=constants,
            defaults=defaults,
            path=self.path,
            ignored=ignored,
            sheet=self.text_or_none(doc, "sheet"),
            match=self.match(entity, doc, produced),
            new_when_unmatched=doc.get("match") == [],
        )

    def match(self, entity: Entity, doc: dict[str, object], produced: list[str]) -> MatchRule:
        if "match" not in doc or doc["match"] == []:
            return ()  # [] says "rows without a number are new" (Mapping.new_when_unmatched)
        try:
            return check_match(entity, doc["match"], produced=produced, where="match")
        except ValueError as exc:
            raise self.fail(str(exc)) from None

    def entity(self, named: object, wanted: str | None) -> Entity:
        if named is not None and wanted is not None and named != wanted:
            raise self.fail(f"the mapping is for {named}, not {wanted}")
        name = wanted if named is None else named
        if name is None:
            raise self.fail(f'no entity given; add entity = "..." ({", ".join(ENTITIES)})')
        if not isinstance(name, str) or name not in ENTITIES:
            raise self.fail(f"unknown entity '{name}'; {_choices(str(name), list(ENTITIES))}")
        return ENTITIES[name]

    def table(self, doc: dict[str, object], name: str) -> dict[str, object]:
        value = doc.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(f'[{name}] must be a table of "name" = value lines')
        return value

    def text_or_none(self, doc: dict[str, object], name: str) -> str | None:
        value = doc.get(name)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{name} must be text (a column or sheet name), got {value!r}")
        return value

    def skip_rows(self, doc: dict[str, object]) -> int:
        value = doc.get("skip_rows", 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(f"skip_rows must be a whole number of 0 or more, got {value!r}")
        return value

    def prop_path(self, entity: Entity, path: object, where: str) -> str:
        valid = valid_properties(entity)
        if isinstance(path, str) and path in valid:
            return path
        if path == PARENT_KEY:
            children = ", ".join(e.name for e in ENTITIES.values() if e.parent)
            raise self.fail(
                f"{where}: '{PARENT_KEY}' (the parent customer's source key) is only for {children}"
            )
        raise self.fail(
            f"{where}: unknown {entity.name} property {suggest(str(path), valid)}; the valid "
            f"ones are the headers of `econ-import template {entity.name}`"
        )

    def rule(self, entity: Entity, source: str, spec: object) -> ColumnRule:
        where = f"[columns] '{source}'"
        if isinstance(spec, str):
            return ColumnRule(source, self.prop_path(entity, spec, where))
        if not isinstance(spec, dict):
            raise self.fail(f"{where}: expected a property path, a table or false, got {spec!r}")
        for name in spec:
            if name not in RULE_KEYS:
                raise self.fail(f"{where}: unknown key '{name}'; {_choices(name, RULE_KEYS)}")
        if "property" not in spec:
            raise self.fail(f'{where}: missing property = "..." (the API property path)')
        path = self.prop_path(entity, spec["property"], where)
        transforms = spec.get("transforms", [])
        if not isinstance(transforms, list):
            raise self.fail(f'{where}: transforms must be a list, e.g. ["strip"]')
        for name in transforms:
            if name not in TRANSFORMS:
                choices = _choices(str(name), list(TRANSFORMS))
                raise self.fail(f"{where}: unknown transform '{name}'; {choices}")
        lookup = self.lookup(entity, path, spec.get("lookup"), where)
        values = self.value_map(entity, path, spec.get("values", {}), where, lookup)
        return ColumnRule(source, path, tuple(transforms), values, lookup)

    def lookup(self, entity: Entity, path: str, lookup: object, where: str) -> str | None:
        if lookup is None:
            return None
        references = {r.path: r for r in entity.references}
        if path not in references:
            valid = ", ".join(references) or "none"
            raise self.fail(f"{where}: lookup works only on a reference number ({valid})")
        if lookup != references[path].name_property:
            valid = references[path].name_property
            raise self.fail(f"{where}: cannot look up by '{lookup}'; valid: {valid}")
        return str(lookup)

    def value_map(
        self, entity: Entity, path: str, values: object, where: str, lookup: str | None
    ) -> dict[str, str]:
        if not isinstance(values, dict):
            raise self.fail(f'{where}: values must be a table, e.g. {{ "Netto 8" = 1 }}')
        out = {str(k): self.text(v, f"{where} value '{k}'") for k, v in values.items()}
        if lookup is None:  # with a lookup the targets are names, resolved later
            for source, target in out.items():
                self.check(entity, path, target, f"{where}: value '{source}' maps to '{target}'")
        return out

    def values(self, entity: Entity, table: dict[str, object], section: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in table.items():
            where = f"[{section}] '{name}'"
            path = self.prop_path(entity, name, where)
            out[path] = self.text(value, where)
            self.check(entity, path, out[path], f"{where} = '{out[path]}'")
        return out

    def text(self, value: object, where: str) -> str:
        if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            return ",".join(value_text(v) for v in value)
        if isinstance(value, (str, int, float)):  # bool is an int
            return value_text(value)
        raise self.fail(f"{where}: expected text, a number or true/false, got {value!r}")

    def check(self, entity: Entity, path: str, text: str, where: str) -> None:
        field = entity.field(path)
        if field is None or text == "":
            return
        try:
            problems = [v.message for v in check_value(field, convert_cell(field, text))]
        except ConversionError as exc:
            problems = [str(exc)]
        if problems:
            raise self.fail(f"{where}: {problems[0]}")

    def no_conflicts(
        self, rules: tuple[ColumnRule, ...], constants: dict[str, str], defaults: dict[str, str]
    ) -> None:
        sources: dict[str, str] = {}
        for rule in rules:
            if rule.property in sources:
                first = sources[rule.property]
                raise self.fail(
                    f"property '{rule.property}' is mapped from both '{first}' and '{rule.source}'"
                )
            sources[rule.property] = rule.source
        for path in constants:
            if path in sources:
                raise self.fail(
                    f"property '{path}' is both a constant and mapped from column "
                    f"'{sources[path]}'; use [defaults] to fill empty cells"
                )
            if path in defaults:
                raise self.fail(f"property '{path}' is both a constant and a default")
