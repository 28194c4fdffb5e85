"""Where the API is and how to talk to it: ``ApiSettings`` and where its values come from.

A small frozen value, checked on construction (a bad URL or concurrency is a
``ConfigError`` before any request); the tokens never show in its ``repr``.
``settings_from_env`` builds one from ``--base-url`` and the environment, the way the CLI
does. ``pipeline.api.client`` re-exports both, so callers need not know this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.errors import ConfigError

from .concurrency import WindowPolicy
from .retry import DEFAULT_RETRY_POLICY, RetryPolicy

DEFAULT_BASE_URL = "https://restapi.e-conomic.com"
ENV_APP_SECRET = "ECONOMIC_APP_SECRET_TOKEN"
ENV_AGREEMENT_GRANT = "ECONOMIC_AGREEMENT_GRANT_TOKEN"
ENV_BASE_URL = "ECONOMIC_BASE_URL"
#: ``None``: the in-flight window adapts to the budget (``pipeline.api.concurrency``).
DEFAULT_CONCURRENCY: int | None = None
DEFAULT_TIMEOUT_S = 30.0
#: Below the live API's one-hour idempotency cache (API-FACTS.md "Idempotency"), so a key
#: is never trusted in its last minutes.
DEFAULT_KEY_TTL_S = 3300.0


@dataclass(frozen=True)
class ApiSettings:
    """Where the API is and how to talk to it; the tokens never show in a repr."""

    base_url: str
    app_secret_token: str = field(repr=False)
    agreement_grant_token: str = field(repr=False)
    concurrency: int | None = DEFAULT_CONCURRENCY  # a number fixes the window
    #: ``None``: Little's law under the ceilings (``pipeline.api.concurrency``).
    max_concurrency: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    key_ttl_s: float = DEFAULT_KEY_TTL_S
    retry: RetryPolicy = DEFAULT_RETRY_POLICY

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigError(f"base URL must start with https:// or http://: {self.base_url!r}")
        if self.concurrency is not None and self.concurrency < 1:
            raise ConfigError(f"--concurrency must be at least 1, got {self.concurrency}")
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ConfigError(f"--max-concurrency must be at least 1, got {self.max_concurrency}")
        if self.timeout_s <= 0 or self.key_ttl_s <= 0:
            raise ConfigError("timeout and idempotency-key lifetime must be positive")

    @property
    def window(self) -> WindowPolicy:
        """The in-flight window: fixed at ``concurrency``, else adaptive up to the maximum."""
        if self.concurrency is not None:
            return WindowPolicy.fixed(self.concurrency)
        return WindowPolicy.adaptive(self.max_concurrency)

    def secrets(self) -> tuple[str, str]:
        """The two token values, for masking them wherever text leaves the program."""
        return self.app_secret_token, self.agreement_grant_token


def settings_from_env(
    *, base_url: str | None, env: Mapping[str, str], concurrency: int | None = DEFAULT_CONCURRENCY
) -> ApiSettings:
    """``ApiSettings`` from ``--base-url`` (else ``ECONOMIC_BASE_URL``, else the live API)
    and the two token variables; a missing token is a ``ConfigError`` naming the variable.
    """
    tokens = {name: env.get(name, "").strip() for name in (ENV_APP_SECRET, ENV_AGREEMENT_GRANT)}
    missing = [name for name, value in tokens.items() if not value]
    if missing:
        raise ConfigError(
            f"environment variable {' and '.join(missing)} not set: "
            "export the API tokens (use 'demo' for both to read the demo agreement)"
        )
    url = (base_url or env.get(ENV_BASE_URL, "").strip() or DEFAULT_BASE_URL).rstrip("/")
    return ApiSettings(
        base_url=url,
        app_secret_token=tokens[ENV_APP_SECRET],
        agreement_grant_token=tokens[ENV_AGREEMENT_GRANT],
        concurrency=concurrency,
    )
