"""Running the sandbox: in-process for tests and ``--sandbox``, or blocking for the CLI."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pipeline.sandbox.app import make_app
from pipeline.sandbox.config import SandboxConfig
from pipeline.sandbox.state import STATE

#: Seconds a request in flight at shutdown may take to finish before it is cancelled.
SHUTDOWN_GRACE_S = 0.5


@dataclass(frozen=True)
class RunningSandbox:
    """A started sandbox: its base URL and its counters."""

    url: str
    app: web.Application

    def stats(self) -> dict[str, Any]:
        """What ``GET /_sandbox/stats`` would answer."""
        return self.app[STATE].snapshot()


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@asynccontextmanager
async def run_sandbox(config: SandboxConfig) -> AsyncIterator[RunningSandbox]:
    """Start the sandbox on ``config.host``/``config.port`` and stop it on exit."""
    app = make_app(config)
    # No access log: it costs time per request and the sandbox must stay fast. Requests
    # still in flight at shutdown get SHUTDOWN_GRACE_S to finish, then are cancelled, so
    # SIGTERM or Ctrl-C stops the sandbox promptly (aiohttp's default waits 60 s).
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE_S
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = runner.addresses[0][1]
        yield RunningSandbox(url=_url(config.host, port), app=app)
    finally:
        await runner.cleanup()


async def _serve_until_stopped(config: SandboxConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):  # Windows has no add_signal_handler
            loop.add_signal_handler(sig, stop.set)
    async with run_sandbox(config) as sandbox:
        print(f"Sandbox listening on {sandbox.url}", flush=True)
        await stop.wait()
    print("Sandbox stopped.", file=sys.stderr, flush=True)


def serve_forever(config: SandboxConfig) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop cleanly (blocking)."""
    with suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_stopped(config))
