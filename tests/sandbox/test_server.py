"""Starting and stopping the sandbox: in-process and as ``python -m pipeline.sandbox``
(issue #2, point 9), and its settings."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from pipeline.errors import ConfigError
from pipeline.sandbox import SandboxConfig, add_sandbox_arguments, config_from_args, run_sandbox
from tests.runs import DrainedProcess, start_drained
from tests.sandbox.helpers import TOKENS, customer_body

ROOT = Path(__file__).resolve().parents[2]


async def test_run_sandbox_binds_loopback_on_a_free_port() -> None:
    async with run_sandbox(SandboxConfig()) as sandbox, aiohttp.ClientSession() as s:
        assert sandbox.url.startswith("http://127.0.0.1:")
        assert not sandbox.url.endswith(":0")
        async with s.post(f"{sandbox.url}/customers", json=customer_body(), headers=TOKENS) as r:
            assert r.status == 201
        assert sandbox.stats()["writes"] == 1
    # Stopped: the port no longer answers.
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectionError):
            await s.get(f"{sandbox.url}/_sandbox/stats")


def _start(*flags: str) -> tuple[DrainedProcess, str]:
    child = start_drained([sys.executable, "-m", "pipeline.sandbox", *flags], cwd=ROOT)
    line = child.stdout.line_with("listening on", timeout=60)
    return child, (line or "").strip()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_module_runner_prints_its_url_and_stops_cleanly(sig: signal.Signals) -> None:
    child, line = _start("--port", "0", "--bucket", "50")
    try:
        prefix = "Sandbox listening on http://127.0.0.1:"
        assert line.startswith(prefix), line
        url = line.removeprefix("Sandbox listening on ")
        request = urllib.request.Request(f"{url}/customers", headers=TOKENS)
        with urllib.request.urlopen(request) as resp:
            assert resp.headers["X-RateLimiting"] == "token-limit-50-per-60-seconds: 1/50"
            assert json.load(resp)["collection"] == []
    finally:
        child.process.send_signal(sig)
        code, _, err = child.wait(timeout=30)
    assert code == 0
    assert "Sandbox stopped." in err
    assert "Traceback" not in err


def test_module_runner_rejects_bad_settings() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.sandbox", "--fault-rate", "1.5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--fault-rate must be between 0 and 1, got 1.5" in proc.stderr


def test_flags_become_a_config(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    args = parser.parse_args(
        ["--host", "::1", "--port", "8123", "--bucket", "10000", "--window", "30",
         "--retry-after", "--hide-rate-headers", "--idempotency-ttl", "60",
         "--db", str(tmp_path / "s.db"), "--latency-ms", "5", "--fault-rate", "0.1",
         "--drop-rate", "0.2", "--seed", "7"]
    )  # fmt: skip
    assert config_from_args(args) == SandboxConfig(
        host="::1", port=8123, bucket=10000, window=30.0, retry_after=True,
        hide_rate_headers=True, idempotency_ttl=60.0, db=tmp_path / "s.db", latency_ms=5.0,
        fault_rate=0.1, drop_rate=0.2, seed=7,
    )  # fmt: skip
    assert config_from_args(parser.parse_args([])) == SandboxConfig()


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"bucket": 0}, "--bucket"),
        ({"window": 0}, "--window"),
        ({"port": 70000}, "--port"),
        ({"drop_rate": -0.1}, "--drop-rate"),
        ({"latency_ms": -1}, "--latency-ms"),
        ({"idempotency_ttl": 0}, "--idempotency-ttl"),
    ],
    ids=["bucket", "window", "port", "drop-rate", "latency", "ttl"],
)
def test_bad_settings_name_the_flag(kwargs: dict[str, float], flag: str) -> None:
    with pytest.raises(ConfigError, match=flag):
        SandboxConfig(**kwargs)  # type: ignore[arg-type]
