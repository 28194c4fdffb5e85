"""Job files: several inputs imported in one run, in dependency order (issue #4).

A job file is TOML; paths in it are relative to the job file's folder::

    description = "Legacy ERP migration"
    [[steps]]
    entity = "customer-groups"
    input = "../samples/legacy-erp.xlsx"
    sheet = "CustomerGroups"
    mapping = "legacy-erp-groups.toml"

The steps run in the order of ``pipeline.constraints.ENTITIES`` (groups, customers,
contacts, delivery locations) whatever their order in the file, so that a parent always
exists before its children.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pipeline.constraints import ENTITIES
from pipeline.errors import ConfigError

from .settings import Step

JOB_KEYS = frozenset({"description", "steps"})
STEP_KEYS = frozenset({"entity", "input", "sheet", "mapping"})


def load_job(path: Path) -> tuple[Step, ...]:
    """The job's steps, checked completely and put in dependency order."""
    data = read_toml(path)
    _reject_unknown(data, JOB_KEYS, where=f"{path}")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ConfigError(f"{path}: a job needs at least one [[steps]] table")
    steps = [_parse_step(raw, path=path, number=n) for n, raw in enumerate(raw_steps, start=1)]
    order = list(ENTITIES)
    return tuple(sorted(steps, key=lambda s: order.index(s.entity)))


def _parse_step(raw: Any, *, path: Path, number: int) -> Step:
    where = f"{path}: step {number}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table with entity, input, sheet, mapping")
    _reject_unknown(raw, STEP_KEYS, where=where)
    entity = raw.get("entity")
    if entity not in ENTITIES:
        raise ConfigError(f"{where}: entity {entity!r} is not one of: {', '.join(ENTITIES)}")
    if not isinstance(raw.get("input"), str):
        raise ConfigError(f"{where}: 'input' (the file to import) is missing")
    base = path.parent
    mapping = raw.get("mapping")
    sheet = raw.get("sheet")
    if mapping is not None and not isinstance(mapping, str):
        raise ConfigError(f"{where}: 'mapping' must be a file name")
    if sheet is not None and not isinstance(sheet, str):
        raise ConfigError(f"{where}: 'sheet' must be a sheet name")
    return Step(
        entity=entity,
        input=_resolve(base, raw["input"]),
        sheet=sheet,
        mapping=None if mapping is None else _resolve(base, mapping),
    )


def _resolve(base: Path, name: str) -> Path:
    candidate = Path(name)
    return candidate if candidate.is_absolute() else (base / candidate).resolve()


def read_toml(path: Path, *, what: str = "job file") -> dict[str, Any]:
    """A TOML file's tables; a missing, unreadable or invalid one is a one-line
    ``ConfigError`` naming ``what`` it is (a job file, a fleet's manifest)."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _reject_unknown(data: dict[str, Any], valid: frozenset[str], *, where: str) -> None:
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(valid))}"
        )
