"""A manifest's keys: which are valid where, and what each may hold (issue #20).

Each agreement key has a check (``AGREEMENT_CHECKS``) that returns the value, as the spec
holds it, or raises ``BadValueError`` with the message. ``check_table`` runs them over one
table and adds a line to its problems for every key that is unknown, refused, wrong, or
named like a secret (a token written into the manifest is refused before anything else is
said of it).

No message quotes a value that looks like a token (``shown``): the tokens "must never appear
in logs, reports, journals or error messages" (reference/API-FACTS.md, "Base URL and
authentication").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pipeline.constraints import ENTITIES
from pipeline.run import MODES

TOKEN_KEYS = frozenset({"grant_token_env", "grant_token_file"})
#: A key whose lowercased name holds one of these is a secret written into the manifest.
SECRET_WORDS = ("token", "secret", "password")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Long, unbroken, digits and letters of both cases: what an e-conomic token looks like (a
#: file name has a dot or a slash, a name a space, a variable's name is upper case); such a
#: value is never quoted in a message, nor taken for a variable's name.
_TOKEN_LIKE = re.compile(r"(?=.*[0-9])(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9_+=-]{20,}")

#: A key's check: its value as the spec holds it, or ``BadValueError``.
Check = Callable[[str, object], Any]


class BadValueError(Exception):
    """One value's mistake; the message names the key."""


def shown(text: str) -> str:
    """``text`` quoted for a message, unless it looks like a token."""
    return "(a value that looks like a token, not shown)" if looks_like_token(text) else repr(text)


def looks_like_token(text: str) -> bool:
    """Whether ``text`` could be a token: long, unbroken, of digits and mixed-case letters."""
    return _TOKEN_LIKE.fullmatch(text) is not None


def kind(value: object) -> str:
    """What a TOML value is, for a message that must not quote it."""
    kinds = {bool: "true/false", int: "a number", float: "a number", str: "text"}
    kinds |= {list: "a list", dict: "a table"}
    return kinds.get(type(value), "a date")


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise BadValueError(f"'{key}' must be text, not {kind(value)}")
    return value


def _name(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValueError(f"'{key}' must be a non-empty string (it names the report folder)")
    return value.strip()


def _file(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValueError(f"'{key}' must be a file name")
    return value


def _token_file(key: str, value: object) -> str:
    name = _file(key, value)
    if looks_like_token(name):
        raise BadValueError(
            f"'{key}' must name a file holding the token; its value looks like the token "
            "itself (not shown): put the token in a file, or in an environment variable "
            "named by grant_token_env"
        )
    return name


def _env_name(key: str, value: object) -> str:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value) or looks_like_token(value):
        raise BadValueError(
            f"'{key}' must be an environment variable's name ([A-Za-z_][A-Za-z0-9_]*); its "
            "value does not look like one (a token pasted in? it is not shown): name the variable "
            "that holds the token"
        )
    return value


def _one_of(choices: Mapping[str, object]) -> Check:
    """The check of a key whose value is one of ``choices`` (a registry's names)."""

    def check(key: str, value: object) -> str:
        if not isinstance(value, str) or value not in choices:
            said = shown(value) if isinstance(value, str) else kind(value)
            raise BadValueError(f"{key} {said} is not one of: {', '.join(choices)}")
        return value

    return check


def _url(key: str, value: object) -> str:
    url = _text(key, value)
    if not url.startswith(("https://", "http://")):
        raise BadValueError(f"'{key}' must start with https:// or http://, not {shown(url)}")
    return url


def _positive(key: str, value: object) -> int:
    if type(value) is not int:  # a bool is an int to isinstance
        raise BadValueError(f"'{key}' must be a positive whole number, not {kind(value)}")
    if value < 1:
        raise BadValueError(f"'{key}' must be a positive whole number, not {value}")
    return value


#: Every agreement key and what its value must be.
AGREEMENT_CHECKS: dict[str, Check] = {
    "name": _name,
    "grant_token_env": _env_name,
    "grant_token_file": _token_file,
    "input": _file,
    "entity": _one_of(ENTITIES),
    "sheet": _text,
    "mapping": _file,
    "job": _file,
    "mode": _one_of(MODES),
    "base_url": _url,
    "concurrency": _positive,
    "max_concurrency": _positive,
}
AGREEMENT_KEYS = frozenset(AGREEMENT_CHECKS)
DEFAULT_KEYS = AGREEMENT_KEYS - {"name"} - TOKEN_KEYS
TOP_KEYS = frozenset({"base_url", "defaults", "agreements", "description"})
TOP_CHECKS: dict[str, Check] = {"base_url": _url, "description": _text}
NOT_A_DEFAULT = {
    "name": "'name' cannot be a default: each agreement names itself",
    **{
        key: f"'{key}' cannot be a default: each agreement names its own grant token"
        for key in TOKEN_KEYS
    },
}
#: The keys that go with ``input`` only; a job file names each step's.
INPUT_ONLY = ("entity", "sheet", "mapping")


def check_table(
    raw: dict[str, Any],
    checks: Mapping[str, Check],
    *,
    where: str,
    problems: list[str],
    handled: frozenset[str] = frozenset(),
    refused: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The keys of ``raw`` that pass their check; a line in ``problems`` for each other.

    ``handled`` are valid keys the caller checks itself, ``refused`` keys that are known but
    wrong here, each with its message.
    """
    valid = ", ".join(sorted({*checks, *handled}))
    checked = {}
    for key, value in raw.items():
        if key in handled:
            continue
        if key not in TOKEN_KEYS and any(word in key.lower() for word in SECRET_WORDS):
            problems.append(
                f"{where}: {shown(key)} is a token written into the manifest (the value is "
                "not shown); name the token with grant_token_env (an environment variable) "
                "or grant_token_file (a file holding it) instead"
            )
        elif refused and key in refused:
            problems.append(f"{where}: {refused[key]}")
        elif key not in checks:
            problems.append(f"{where}: unknown key {shown(key)}; valid keys: {valid}")
        else:
            try:
                checked[key] = checks[key](key, value)
            except BadValueError as wrong:
                problems.append(f"{where}: {wrong}")
    return checked
