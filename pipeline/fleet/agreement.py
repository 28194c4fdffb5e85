"""What one agreement needs at run time: its grant token and its steps (issue #20).

The fleet runner calls these per agreement, on the worker that imports it, so that a
missing token or a bad job file stops that agreement only; ``load_manifest`` has checked
the manifest's structure already.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.errors import ConfigError
from pipeline.run import Step, load_job

from .keys import shown
from .manifest import AgreementSpec


def resolve_grant_token(spec: AgreementSpec, env: Mapping[str, str]) -> str:
    """The agreement's grant token, from its environment variable or its file (stripped).

    Raises ``ConfigError`` naming the agreement and why there is no token; never the token.
    """
    where = f"agreement {shown(spec.name)}"
    if spec.grant_token_env is not None:
        token = env.get(spec.grant_token_env)
        if token is None:
            raise ConfigError(f"{where}: {spec.grant_token_env} is not set")
        if not token.strip():
            raise ConfigError(f"{where}: {spec.grant_token_env} is empty")
        return token.strip()
    if spec.grant_token_file is None:
        raise ConfigError(f"{where}: no grant token (neither grant_token_env nor grant_token_file)")
    file = spec.grant_token_file
    try:
        token = file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"{where}: grant token file {file} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read grant token file {file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: grant token file {file} is not UTF-8 text") from exc
    if not token:
        raise ConfigError(f"{where}: grant token file {file} is empty")
    return token


def agreement_steps(spec: AgreementSpec) -> tuple[Step, ...]:
    """What the agreement imports: its job file's steps, or its one input.

    Raises ``ConfigError`` naming the agreement when its job file is missing or wrong.
    """
    if spec.job is not None:
        try:
            return load_job(spec.job)
        except ConfigError as exc:
            raise ConfigError(f"agreement {shown(spec.name)}: {exc}") from exc
    if spec.input is None:
        raise ConfigError(f"agreement {shown(spec.name)}: nothing to import (no input, no job)")
    return (Step(entity=spec.entity, input=spec.input, sheet=spec.sheet, mapping=spec.mapping),)
