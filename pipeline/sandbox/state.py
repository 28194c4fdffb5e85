"""What one running sandbox holds: settings, data, caches, fault dice and counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from pipeline.sandbox.config import SandboxConfig
from pipeline.sandbox.faults import FaultInjector
from pipeline.sandbox.idempotency import IdempotencyCache
from pipeline.sandbox.store import Store


@dataclass
class Stats:
    """Counters reported by ``GET /_sandbox/stats``."""

    requests: int = 0  # every API request, whatever its answer
    writes: int = 0  # POST/PUT/DELETE that changed data (replays not counted)
    throttled: int = 0  # 429s
    faults: int = 0  # injected 503s
    drops: int = 0  # committed writes whose connection was closed unanswered
    replays: int = 0  # responses served from the idempotency cache
    unauthorized: int = 0  # 401s
    in_flight: int = 0  # API requests being handled now
    max_in_flight: int = 0  # the most handled at once (high-water mark)
    disconnects: int = 0  # requests whose client left before its body was read


@dataclass
class SandboxState:
    """Everything the middleware and handlers share, kept on the app under ``STATE``."""

    config: SandboxConfig
    store: Store
    idempotency: IdempotencyCache
    faults: FaultInjector
    stats: Stats = field(default_factory=Stats)

    def snapshot(self) -> dict[str, Any]:
        """The counters plus records per table per agreement (by hashed id, never a token)."""
        return {**vars(self.stats), "agreements": self.store.counts()}


STATE = web.AppKey("sandbox_state", SandboxState)
