"""Where a run sends its requests: the API settings from the caller and the environment.

A target is the embedded sandbox (``sandbox=True``: started in-process, gone with the
run) or a base URL with both tokens. The base URL comes from the caller (``--base-url``)
or ``ECONOMIC_BASE_URL``; a preview (``validate``, ``--dry-run``) has a target when it has
both (issue #21: the environment's base URL counts as ``--base-url`` does) and sends
nothing with ``offline``; an import always has one (the live API by default).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace

from pipeline.api import (
    ENV_AGREEMENT_GRANT,
    ENV_APP_SECRET,
    ENV_BASE_URL,
    ApiSettings,
    settings_from_env,
)

#: The token variables, and what the embedded sandbox is given when they are not set.
SANDBOX_TOKENS = {ENV_APP_SECRET: "sandbox-app", ENV_AGREEMENT_GRANT: "sandbox-agreement"}


def token_env(
    env: Mapping[str, str], *, app_secret_token: str | None, agreement_grant_token: str | None
) -> dict[str, str]:
    """The environment with the tokens a caller gave in place of the variables'."""
    given = zip(SANDBOX_TOKENS, (app_secret_token, agreement_grant_token), strict=True)
    return {**env, **{name: value for name, value in given if value}}


def has_target(
    env: Mapping[str, str], *, base_url: str | None, sandbox: bool, dry_run: bool, offline: bool
) -> bool:
    """Whether the run talks to an API: an import always; a preview when told where."""
    if offline:
        return False
    if sandbox or not dry_run:
        return True
    where = base_url or env.get(ENV_BASE_URL, "").strip()
    return bool(where) and all(env.get(name, "").strip() for name in SANDBOX_TOKENS)


@asynccontextmanager
async def connect(
    env: Mapping[str, str],
    *,
    base_url: str | None,
    sandbox: bool,
    concurrency: int | None = None,
    max_concurrency: int | None = None,
) -> AsyncIterator[ApiSettings]:
    """The API settings; with ``sandbox``, a sandbox started for the block to point at.

    A missing token is a ``ConfigError`` naming the variable, raised before any request.
    """
    if sandbox:
        # The sandbox is the API's stand-in, started only when asked for: not loaded before.
        from pipeline.sandbox import SandboxConfig, run_sandbox

        tokens = {**SANDBOX_TOKENS, **{k: env[k] for k in SANDBOX_TOKENS if env.get(k)}}
        async with run_sandbox(SandboxConfig()) as running:
            found = settings_from_env(base_url=running.url, env=tokens)
            yield replace(found, concurrency=concurrency, max_concurrency=max_concurrency)
        return
    found = settings_from_env(base_url=base_url, env=env)
    yield replace(found, concurrency=concurrency, max_concurrency=max_concurrency)
