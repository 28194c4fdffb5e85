"""A quiet, prompt sandbox (issue #9, point 7): a client that vanishes mid-request is not
logged as a server error, a real handler bug still is, and SIGTERM or Ctrl-C stops the
sandbox promptly even with requests in flight.
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from pipeline.sandbox import SandboxConfig, make_app
from tests.conftest import REPO
from tests.runs import (
    PROCESS_TIMEOUT_S,
    DrainedProcess,
    SandboxProcess,
    customer_body,
    env_with_tokens,
    import_command,
    sandbox_process,
    start_drained,
    wait_for_journal,
    write_customers,
)
from tests.sandbox.helpers import TOKENS

#: What a stopped sandbox prints on stderr when nothing went wrong.
STOPPED = "Sandbox stopped.\n"


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _request(method: str, path: str, body: bytes = b"", *, cut: int | None = None) -> bytes:
    """A raw HTTP/1.1 request as the test agreement; ``cut`` sends only that much body."""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: sandbox\r\n"
        f"X-AppSecretToken: {TOKENS['X-AppSecretToken']}\r\n"
        f"X-AgreementGrantToken: {TOKENS['X-AgreementGrantToken']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + (body if cut is None else body[:cut])


def _send(url: str, data: bytes) -> socket.socket:
    connection = socket.create_connection(_address(url), timeout=30)
    connection.sendall(data)
    return connection


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset, as the kernel does for a process killed with -9."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _until(condition: Callable[[], bool], what: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


def _post_body(number: int) -> bytes:
    return json.dumps(customer_body(number)).encode()


def test_clients_that_vanish_mid_request_leave_no_traceback() -> None:
    with sandbox_process("--latency-ms", "300", "--drop-rate", "1") as sandbox:
        url = sandbox.url
        # Gone while the handler sleeps: closed, reset, and cut off half-way through the body.
        _send(url, _request("POST", "/customers", _post_body(1))).close()
        _reset(_send(url, _request("POST", "/customers", _post_body(2))))
        _send(url, _request("POST", "/customers", _post_body(3), cut=10)).close()
        # Waits, but the sandbox drops the connection after committing (--drop-rate).
        waiting = _send(url, _request("POST", "/customers", _post_body(4)))
        assert waiting.recv(1024) == b""  # closed without an answer
        waiting.close()
        _until(lambda: sandbox.stats()["disconnects"] == 3, "three disconnects counted")
        stats = sandbox.stats()
    assert (stats["drops"], stats["writes"]) == (1, 1)
    assert sandbox.process.returncode == 0
    assert sandbox.stderr is not None and sandbox.stderr.text() == STOPPED


def test_an_importer_killed_mid_run_leaves_the_sandbox_quiet(tmp_path: Path) -> None:
    source = write_customers(tmp_path / "customers.csv", range(1, 3001))
    journal = tmp_path / "journal.sqlite"
    with sandbox_process("--latency-ms", "50") as sandbox:
        command = import_command(source, url=sandbox.url, report=tmp_path / "r", journal=journal)
        for done in (100, 300):  # two kills, each with up to 16 requests in flight
            child = start_drained(command, env=env_with_tokens(), cwd=tmp_path)
            assert wait_for_journal(journal, child.process, done=done)
            child.process.kill()
            child.wait()
        _until(lambda: _settled(sandbox), "the killed runs' requests to end")
    assert sandbox.stderr is not None and sandbox.stderr.text() == STOPPED


def _settled(sandbox: SandboxProcess) -> bool:
    """No request still sleeping in ``--latency-ms``: two equal counts 0.2 s apart."""
    before = sandbox.stats()
    time.sleep(0.2)
    return sandbox.stats() == before


def _sandbox_url(flags: list[str]) -> tuple[DrainedProcess, str]:
    command = [sys.executable, "-m", "pipeline.sandbox", "--port", "0", *flags]
    child = start_drained(command, cwd=REPO)
    line = child.stdout.line_with("listening on", timeout=PROCESS_TIMEOUT_S)
    assert line is not None, child.stderr.text(timeout=5)
    return child, line.split()[-1]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_a_signal_stops_the_sandbox_promptly_with_requests_in_flight(
    sig: signal.Signals,
) -> None:
    # Each request sleeps 30 to 90 s: far past the wait below, so only a prompt stop passes.
    child, url = _sandbox_url(["--latency-ms", "60000"])
    connections: list[socket.socket] = []
    try:
        idle = _send(url, b"GET /_sandbox/stats HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        assert idle.recv(65536).startswith(b"HTTP/1.1 200")  # now an idle keep-alive
        connections.append(idle)
        for n in range(4):
            connections.append(_send(url, _request("POST", "/customers", _post_body(n + 1))))
        connections.append(_send(url, _request("GET", "/customers")))
        connections.append(_send(url, b"GET /customers HTTP/1.1\r\nHost: sand"))  # still typing
        # /_sandbox/stats skips --latency-ms: it answers while the five still sleep.
        _until(lambda: _stats(url)["requests"] == 5, "five requests in flight")
        started = time.monotonic()
        child.process.send_signal(sig)
        code, _, err = child.wait(timeout=10)  # generous; the sandbox allows itself 0.5 s
        took = time.monotonic() - started
    finally:
        for connection in connections:
            connection.close()
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=30)
    assert code == 0, err
    assert err == STOPPED, err
    print(f"stopped {took:.2f} s after {sig.name} with 5 requests in flight")


def _stats(url: str) -> dict[str, int]:
    connection = _send(url, b"GET /_sandbox/stats HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n")
    with connection:
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return dict(json.loads(answer.split(b"\r\n\r\n", 1)[1]))


@pytest.mark.parametrize(
    "error",
    [RuntimeError("a bug"), ConnectionResetError("not from the client")],
    ids=["bug", "connection-error-with-the-client-still-there"],
)
async def test_a_handler_error_is_still_logged_with_its_traceback(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    session: ClientSession,
    error: Exception,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise error

    app = make_app(SandboxConfig())
    app.router.add_get("/broken", broken)
    server = await aiohttp_server(app)
    with caplog.at_level(logging.ERROR, logger="aiohttp.server"):
        async with session.get(server.make_url("/broken"), headers=TOKENS) as response:
            assert response.status == 500
    logged = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert logged[0].exc_info[1] is error
