"""API settings: checked on construction, tokens hidden, built from flags and environment."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.api.settings import DEFAULT_BASE_URL, ApiSettings, settings_from_env
from pipeline.errors import ConfigError

APP = "app-secret-Q1w2e3"
GRANT = "grant-secret-R4t5y6"


def settings(url: str, **overrides: Any) -> ApiSettings:
    return ApiSettings(url, APP, GRANT, **overrides)


def test_settings_repr_hides_tokens() -> None:
    shown = repr(settings("https://example.test"))
    assert APP not in shown and GRANT not in shown and "example.test" in shown
    assert settings("https://example.test").secrets() == (APP, GRANT)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"base_url": "ftp://x"}, "https://"),
        ({"concurrency": 0}, "--concurrency"),
        ({"timeout_s": 0}, "timeout"),
    ],
    ids=["scheme", "concurrency", "timeout"],
)
def test_settings_are_checked(overrides: dict[str, Any], fragment: str) -> None:
    base = {"base_url": "https://x", "app_secret_token": APP, "agreement_grant_token": GRANT}
    with pytest.raises(ConfigError, match=fragment):
        ApiSettings(**(base | overrides))


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, ["ECONOMIC_APP_SECRET_TOKEN", "ECONOMIC_AGREEMENT_GRANT_TOKEN"]),
        ({"ECONOMIC_APP_SECRET_TOKEN": APP}, ["ECONOMIC_AGREEMENT_GRANT_TOKEN"]),
        ({"ECONOMIC_AGREEMENT_GRANT_TOKEN": GRANT, "ECONOMIC_APP_SECRET_TOKEN": " "},
         ["ECONOMIC_APP_SECRET_TOKEN"]),
    ],
    ids=["both", "grant", "blank-app"],
)  # fmt: skip
def test_settings_from_env_names_missing_variables(env: dict[str, str], missing: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_env(base_url=None, env=env)
    message = str(caught.value)
    assert all(name in message for name in missing)
    assert APP not in message and GRANT not in message


@pytest.mark.parametrize(
    ("flag", "env_url", "expected"),
    [
        (None, None, DEFAULT_BASE_URL),
        (None, "http://127.0.0.1:9/", "http://127.0.0.1:9"),
        ("https://flag.test/", "http://env.test", "https://flag.test"),
    ],
    ids=["default", "env", "flag-wins"],
)
def test_settings_from_env_base_url(flag: str | None, env_url: str | None, expected: str) -> None:
    env = {"ECONOMIC_APP_SECRET_TOKEN": APP, "ECONOMIC_AGREEMENT_GRANT_TOKEN": GRANT}
    if env_url:
        env["ECONOMIC_BASE_URL"] = env_url
    api = settings_from_env(base_url=flag, env=env)
    assert (api.base_url, api.secrets()) == (expected, (APP, GRANT))
