"""The sandbox's settings: one frozen value object, its defaults and its command-line flags."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 0  # 0 asks the OS for a free port
#: The bucket size and window reported for the live API (API-FACTS.md "Rate limits").
DEFAULT_BUCKET = 2000
DEFAULT_WINDOW = 60.0
#: The live idempotency cache keeps a first response for one hour (API-FACTS.md "Idempotency").
DEFAULT_IDEMPOTENCY_TTL = 3600.0
#: How ``--latency-ms`` is spread: ``uniform`` within ±50 % of the mean (the default), or
#: ``exponential`` with that mean (a long tail, like a real server's).
LATENCY_DISTRIBUTIONS = ("uniform", "exponential")
DEFAULT_LATENCY_DIST = "uniform"


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox listens, throttles, persists and misbehaves.

    Checked completely on construction: a bad value raises ``ConfigError`` before any
    socket is opened.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    bucket: int = DEFAULT_BUCKET
    window: float = DEFAULT_WINDOW
    retry_after: bool = False
    hide_rate_headers: bool = False
    idempotency_ttl: float = DEFAULT_IDEMPOTENCY_TTL
    db: Path | None = None
    latency_ms: float = 0.0
    latency_dist: str = DEFAULT_LATENCY_DIST
    fault_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ConfigError("invalid sandbox settings: " + "; ".join(problems))


def _problems(config: SandboxConfig) -> list[str]:
    out: list[str] = []
    if not 0 <= config.port <= 65535:
        out.append(f"--port must be 0..65535, got {config.port}")
    if config.bucket < 1:
        out.append(f"--bucket must be at least 1, got {config.bucket}")
    if config.window <= 0:
        out.append(f"--window must be positive, got {config.window}")
    if config.idempotency_ttl <= 0:
        out.append(f"--idempotency-ttl must be positive, got {config.idempotency_ttl}")
    if config.latency_ms < 0:
        out.append(f"--latency-ms must not be negative, got {config.latency_ms}")
    if config.latency_dist not in LATENCY_DISTRIBUTIONS:
        choices = ", ".join(LATENCY_DISTRIBUTIONS)
        out.append(f"--latency-dist must be one of {choices}, got {config.latency_dist!r}")
    for flag, rate in (("--fault-rate", config.fault_rate), ("--drop-rate", config.drop_rate)):
        if not 0.0 <= rate <= 1.0:
            out.append(f"{flag} must be between 0 and 1, got {rate}")
    return out


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox's flags (``--host`` ... ``--seed``) to ``parser``."""
    add = parser.add_argument
    add("--host", default=DEFAULT_HOST, help="interface to bind (default: %(default)s)")
    add("--port", type=int, default=DEFAULT_PORT, help="port; 0 picks a free one (default: 0)")
    add(
        "--bucket",
        type=int,
        default=DEFAULT_BUCKET,
        help="rate-limit tokens per agreement (default: %(default)s)",
    )
    add(
        "--window",
        type=float,
        default=DEFAULT_WINDOW,
        help="seconds in which an empty bucket refills (default: %(default)s)",
    )
    add(
        "--retry-after",
        action="store_true",
        help="send Retry-After on 429 (the live API does not document it)",
    )
    add("--hide-rate-headers", action="store_true", help="leave X-RateLimiting out of responses")
    add(
        "--idempotency-ttl",
        type=float,
        default=DEFAULT_IDEMPOTENCY_TTL,
        help="seconds a response is kept for Idempotency-Key replay (default: %(default)s)",
    )
    add(
        "--db",
        type=Path,
        default=None,
        metavar="FILE",
        help="keep the data in this SQLite file across restarts (default: in memory)",
    )
    add(
        "--latency-ms",
        type=float,
        default=0.0,
        help="mean added latency per request in ms (default: 0)",
    )
    add(
        "--latency-dist",
        choices=LATENCY_DISTRIBUTIONS,
        default=DEFAULT_LATENCY_DIST,
        help="uniform: within ±50%% of the mean; exponential: a long tail (default: %(default)s)",
    )
    add(
        "--fault-rate",
        type=float,
        default=0.0,
        help="share of writes answered 503 before they happen (default: 0)",
    )
    add(
        "--drop-rate",
        type=float,
        default=0.0,
        help="share of writes committed, then the connection closed unanswered (default: 0)",
    )
    add("--seed", type=int, default=None, help="random seed for latency and faults")


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The ``SandboxConfig`` for flags parsed by a parser set up with ``add_sandbox_arguments``."""
    return SandboxConfig(
        host=args.host,
        port=args.port,
        bucket=args.bucket,
        window=args.window,
        retry_after=args.retry_after,
        hide_rate_headers=args.hide_rate_headers,
        idempotency_ttl=args.idempotency_ttl,
        db=args.db,
        latency_ms=args.latency_ms,
        latency_dist=args.latency_dist,
        fault_rate=args.fault_rate,
        drop_rate=args.drop_rate,
        seed=args.seed,
    )
