"""Fleet manifests: the agreements to import, each naming its grant token (issue #20).

A manifest is TOML; paths in it are relative to the manifest's folder::

    base_url = "https://restapi.e-conomic.com"   # optional: the fleet's default
    [defaults]                                   # any agreement key but name and tokens
    entity = "customers"
    mode = "upsert"

    [[agreements]]
    name = "Bager Hansen ApS"                    # unique; names the report folder
    grant_token_env = "GRANT_BAGER"              # or grant_token_file = "secrets/bager.token"
    input = "clients/bager/kunder.xlsx"          # with entity, mapping, sheet; or job = "..."
    mapping = "mappings/c5-kunder.toml"

``load_manifest`` checks the whole structure before anything is read or sent and reports
every mistake at once, one line each (``ManifestError``). An agreement's own key wins over
``[defaults]``; an agreement that names ``input`` or ``job`` itself ignores the other from
``[defaults]``, and a job agreement ignores the default ``entity``, ``mapping`` and ``sheet``
(its job file names each step's).

A token is never written into the manifest: a key named like one is refused, and no
message quotes a value that looks like a token (``pipeline.fleet.keys``).

What one agreement needs from the disk (its input, mapping or job file, its token) is not
checked here but by ``pipeline.fleet.agreement``, which the fleet runner calls per
agreement, so that one agreement's bad file never stops the others.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.run import MODES, read_toml

from .keys import (
    AGREEMENT_CHECKS,
    DEFAULT_KEYS,
    INPUT_ONLY,
    NOT_A_DEFAULT,
    TOKEN_KEYS,
    TOP_CHECKS,
    check_table,
    kind,
    shown,
)

DEFAULT_ENTITY = "customers"
DEFAULT_MODE = "create"
#: Longest report folder name made from an agreement's name.
MAX_SLUG_LENGTH = 60
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


@dataclass(frozen=True)
class AgreementSpec:
    """One agreement's import, as the manifest names it: everything a worker needs but the
    token itself, which it reads where it runs (``resolve_grant_token``)."""

    name: str
    slug: str  # the report folder's name, unique in the manifest
    number: int  # 1-based position in the manifest
    grant_token_env: str | None
    grant_token_file: Path | None  # absolute
    input: Path | None  # absolute; with entity, sheet, mapping
    entity: str  # with job: unused (DEFAULT_ENTITY), the job file names each step's
    sheet: str | None
    mapping: Path | None  # absolute
    job: Path | None  # absolute
    mode: str
    base_url: str | None  # the agreement's, the default or the manifest's top-level one
    concurrency: int | None
    max_concurrency: int | None


@dataclass(frozen=True)
class Manifest:
    """A checked manifest: its file (absolute) and its agreements in the file's order."""

    path: Path
    agreements: tuple[AgreementSpec, ...]


class ManifestError(ConfigError):
    """Every mistake in a manifest, one line each, prefixed by where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)  # args = (problems,): the error pickles and unpickles
        self.problems = list(problems)

    def __str__(self) -> str:
        # Each problem escaped to one line, as every FatalError's message is.
        return "\n".join(str(ConfigError(problem)) for problem in self.problems)


def load_manifest(path: Path, *, mode: str | None = None) -> Manifest:
    """The manifest's agreements, the whole file checked first.

    ``mode``, given, replaces every agreement's mode (the CLI's ``--mode``). Raises
    ``ManifestError`` listing every mistake, or ``ConfigError`` when the file cannot be read.
    """
    if mode is not None and mode not in MODES:
        raise ConfigError(f"mode {shown(mode)} is not one of: {', '.join(MODES)}")
    data = read_toml(path, what="manifest")
    problems: list[str] = []
    top = check_table(
        data,
        TOP_CHECKS,
        where=f"{path}",
        problems=problems,
        handled=frozenset({"defaults", "agreements"}),
    )
    defaults = _read_defaults(data.get("defaults", {}), path=path, problems=problems)
    raw_agreements = data.get("agreements")
    if not isinstance(raw_agreements, list) or not raw_agreements:
        problems.append(f"{path}: a manifest needs at least one [[agreements]] table")
        raw_agreements = []
    base = dict(defaults)
    if "base_url" in top:
        base.setdefault("base_url", top["base_url"])
    agreements = []
    names: dict[str, str] = {}  # casefolded name, or slug: who has it
    for number, raw in enumerate(raw_agreements, start=1):
        spec = _read_agreement(
            raw, path=path, number=number, defaults=base, mode=mode, names=names, problems=problems
        )
        if spec is not None:
            agreements.append(spec)
    if problems:
        raise ManifestError(problems)
    return Manifest(path=path.resolve(), agreements=tuple(agreements))


def _read_defaults(raw: object, *, path: Path, problems: list[str]) -> dict[str, Any]:
    where = f"{path}: [defaults]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: 'defaults' must be a table ([defaults]), not {kind(raw)}")
        return {}
    checks = {key: AGREEMENT_CHECKS[key] for key in DEFAULT_KEYS}
    defaults = check_table(raw, checks, where=where, problems=problems, refused=NOT_A_DEFAULT)
    if "input" in defaults and "job" in defaults:
        problems.append(f"{where}: give one of input or job, not both")
        del defaults["input"], defaults["job"]
    return defaults


def _read_agreement(
    raw: object,
    *,
    path: Path,
    number: int,
    defaults: dict[str, Any],
    mode: str | None,
    names: dict[str, str],
    problems: list[str],
) -> AgreementSpec | None:
    """One agreement's spec, or None when ``problems`` got a line about it."""
    where = f"{path}: agreement {number}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table ([[agreements]]), not {kind(raw)}")
        return None
    before = len(problems)
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        where += f" {shown(name.strip())}"
    own = check_table(raw, AGREEMENT_CHECKS, where=where, problems=problems)
    if "name" not in raw:
        problems.append(f"{where}: 'name' is missing (it names the report folder)")
    slug = _claim_name(own.get("name"), number=number, names=names, where=where, problems=problems)
    _check_choices(raw, defaults, where=where, problems=problems)
    if len(problems) > before:
        return None
    values = _merge(defaults, own)
    return _spec(values, slug=slug, number=number, base=path.parent, mode=mode)


def _claim_name(
    name: str | None, *, number: int, names: dict[str, str], where: str, problems: list[str]
) -> str:
    """The agreement's slug; a problem when an earlier agreement has the name or slug."""
    slug = _slug(name or "", number=number)
    if name is None:
        return slug
    holder = f"agreement {number} {shown(name)}"
    by_name, by_slug = f"name:{name.casefold()}", f"slug:{slug}"
    if by_name in names:
        problems.append(f"{where}: the name is already used by {names[by_name]}")
    elif by_slug in names:
        problems.append(
            f"{where}: its report folder {slug!r} is taken by {names[by_slug]} (names that "
            "differ only in case, accents or punctuation give the same folder)"
        )
    else:
        names[by_name] = names[by_slug] = holder
    return slug


def _check_choices(
    raw: dict[str, Any], defaults: dict[str, Any], *, where: str, problems: list[str]
) -> None:
    """Exactly one token source and one of input or job; nothing of input's with a job."""
    tokens = TOKEN_KEYS & raw.keys()
    if not tokens:
        problems.append(
            f"{where}: no grant token: give grant_token_env (an environment variable's name) "
            "or grant_token_file (a file holding the token)"
        )
    elif len(tokens) > 1:
        problems.append(f"{where}: give one of grant_token_env or grant_token_file, not both")
    sources = {"input", "job"} & raw.keys() or {"input", "job"} & defaults.keys()
    if not sources:
        problems.append(
            f"{where}: nothing to import: give input (a file, with entity, mapping, sheet) "
            "or job (a job file)"
        )
    elif len(sources) > 1:
        problems.append(f"{where}: give one of input or job, not both")
    elif sources == {"job"}:
        for key in INPUT_ONLY:
            if key in raw:
                problems.append(
                    f"{where}: '{key}' does not go with job: the job file names each step's "
                    "entity, input, sheet and mapping"
                )


def _merge(defaults: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """The agreement's values over the defaults', input or job taken as one choice."""
    values = dict(defaults)
    if {"input", "job"} & own.keys():
        values.pop("input", None)
        values.pop("job", None)
    values |= own
    if "job" in values:
        for key in INPUT_ONLY:
            values.pop(key, None)
    return values


def _spec(
    values: dict[str, Any], *, slug: str, number: int, base: Path, mode: str | None
) -> AgreementSpec:
    def resolved(key: str) -> Path | None:
        return None if key not in values else (base / values[key]).resolve()

    return AgreementSpec(
        name=values["name"],
        slug=slug,
        number=number,
        grant_token_env=values.get("grant_token_env"),
        grant_token_file=resolved("grant_token_file"),
        input=resolved("input"),
        entity=values.get("entity", DEFAULT_ENTITY),
        sheet=values.get("sheet"),
        mapping=resolved("mapping"),
        job=resolved("job"),
        mode=mode or values.get("mode", DEFAULT_MODE),
        base_url=values.get("base_url"),
        concurrency=values.get("concurrency"),
        max_concurrency=values.get("max_concurrency"),
    )


def _slug(name: str, *, number: int) -> str:
    """A report folder's name: lowercase ASCII, Danish letters spelt out, runs of anything
    else a single ``-``; ``agreement-<number>`` when nothing is left."""
    text = name.lower().translate(_DANISH)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return text[:MAX_SLUG_LENGTH].rstrip("-") or f"agreement-{number}"
