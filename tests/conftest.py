"""Shared fixtures: the real sandbox on loopback, and the real CLI.

The sandbox runs in a thread with its own event loop, so that tests can drive the CLI's
``main()`` (which calls ``asyncio.run``) exactly as a person's shell would.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.sandbox import RunningSandbox, SandboxConfig, run_sandbox
from tests.pg import PgServer, remove_server, start_server

APP_TOKEN = "test-app-secret-Xq7"
GRANT_TOKEN = "test-grant-token-Zr9"
REPO = Path(__file__).resolve().parent.parent


@dataclass
class SandboxHandle:
    """A running sandbox: its URL, its stats, and a way to ask it things."""

    url: str
    _running: Any
    _loop: asyncio.AbstractEventLoop

    def stats(self) -> dict[str, Any]:
        return dict(self._running.stats())

    def call(self, coro_fn: Callable[[], Any]) -> Any:
        """Run ``coro_fn()`` on the sandbox's loop (for reading its state in tests)."""
        return asyncio.run_coroutine_threadsafe(coro_fn(), self._loop).result(timeout=30)


class _SandboxThread(threading.Thread):
    def __init__(self, config: SandboxConfig) -> None:
        super().__init__(daemon=True)
        self.config = config
        self.ready = threading.Event()
        self.handle: SandboxHandle | None = None
        self.error: BaseException | None = None
        self._halt: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced to the test by start()
            self.error = exc
            self.ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._halt = asyncio.Event()
        async with run_sandbox(self.config) as running:
            self.handle = SandboxHandle(url=running.url, _running=running, _loop=self._loop)
            self.ready.set()
            await self._halt.wait()

    def stop(self) -> None:
        if self._loop is not None and self._halt is not None:
            self._loop.call_soon_threadsafe(self._halt.set)
        self.join(timeout=10)


@pytest.fixture(autouse=True)
def state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own state folder (journal and ledger): the real home is never
    touched, and every subprocess a test starts inherits the variable."""
    home = tmp_path_factory.mktemp("econ-import-home")
    monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(home))
    # report.html's chart library, bundled once for the whole session (two seconds each).
    monkeypatch.setenv("ECONOMIC_IMPORT_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    return home


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server for the session (``tests/pg.py``), stopped at the end."""
    server = start_server()
    try:
        yield server
    finally:
        remove_server(server)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a fresh database of its own for this test (password included)."""
    return pg_server.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxHandle]]:
    """Start real sandboxes on loopback: ``start_sandbox(bucket=50, fault_rate=0.1)``."""
    threads: list[_SandboxThread] = []

    def start(**config: Any) -> SandboxHandle:
        thread = _SandboxThread(SandboxConfig(**config))
        thread.start()
        thread.ready.wait(timeout=30)
        if thread.error is not None or thread.handle is None:
            raise RuntimeError(f"sandbox did not start: {thread.error!r}")
        threads.append(thread)
        return thread.handle

    yield start
    for thread in threads:
        thread.stop()


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., Any]]:
    """Start real sandboxes in the test's own event loop: ``await start(bucket=30)``."""
    async with AsyncExitStack() as stack:

        async def start(**config: Any) -> RunningSandbox:
            return await stack.enter_async_context(run_sandbox(SandboxConfig(**config)))

        yield start


@pytest.fixture
def sandbox(start_sandbox: Callable[..., SandboxHandle]) -> SandboxHandle:
    """One sandbox with the default (generous) bucket."""
    return start_sandbox(bucket=100_000, window=60.0)


async def api_get(url: str, path: str) -> Any:
    """GET ``path`` from a sandbox with the test tokens: what is really on the server."""
    import aiohttp

    headers = {"X-AppSecretToken": APP_TOKEN, "X-AgreementGrantToken": GRANT_TOKEN}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(url + path) as response,
    ):
        return await response.json()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Test tokens in the environment, as a user would export them."""
    monkeypatch.setenv("ECONOMIC_APP_SECRET_TOKEN", APP_TOKEN)
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", GRANT_TOKEN)
    monkeypatch.delenv("ECONOMIC_BASE_URL", raising=False)
    return APP_TOKEN, GRANT_TOKEN


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``econ-import`` in-process with these arguments; returns code and output."""

    def run(*args: str | Path) -> CliResult:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code=code, out=captured.out, err=captured.err)

    return run
