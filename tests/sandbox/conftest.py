"""Fixtures: the real sandbox on loopback (pytest-aiohttp's ``aiohttp_server``) and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import ClientSession

from pipeline.sandbox import SandboxConfig, make_app
from tests.sandbox.helpers import TOKENS, Api

StartApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    async with ClientSession() as s:
        yield s


@pytest.fixture
def start_api(aiohttp_server, session: ClientSession) -> StartApi:  # type: ignore[no-untyped-def]
    """Start a sandbox with the given settings; returns a client for the test agreement."""

    async def start(config: SandboxConfig | None = None) -> Api:
        server = await aiohttp_server(make_app(config or SandboxConfig()))
        return Api(session, str(server.make_url("")).rstrip("/"), TOKENS)

    return start


@pytest.fixture
async def api(start_api: StartApi) -> Api:
    """A client for a sandbox with default settings."""
    return await start_api()
