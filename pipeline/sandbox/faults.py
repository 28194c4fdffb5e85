"""Fault injection for tests and rehearsals: latency (uniform or exponential), 503 before a
write, and the dropped connection after a committed write (the ambiguous failure an
importer must survive).

One seeded ``random.Random`` drives every decision, so a run with ``--seed`` makes the same
choices for the same sequence of requests.
"""

from __future__ import annotations

import random

from pipeline.sandbox.config import SandboxConfig

#: Latency is drawn uniformly from mean × [1 - spread, 1 + spread].
LATENCY_SPREAD = 0.5


class FaultInjector:
    """Decides, per request, how long to wait and whether a write fails or is dropped."""

    def __init__(self, config: SandboxConfig) -> None:
        self._rng = random.Random(config.seed)
        self._mean = config.latency_ms / 1000.0
        self._exponential = config.latency_dist == "exponential"
        self._fault_rate = config.fault_rate
        self._drop_rate = config.drop_rate

    def latency(self) -> float:
        """Seconds to wait before answering (0 without ``--latency-ms``)."""
        if self._mean <= 0:
            return 0.0
        if self._exponential:
            return self._rng.expovariate(1.0 / self._mean)
        return self._mean * self._rng.uniform(1 - LATENCY_SPREAD, 1 + LATENCY_SPREAD)

    def fail_write(self) -> bool:
        """True when this write should be answered 503 without happening."""
        return self._fault_rate > 0 and self._rng.random() < self._fault_rate

    def drop_write(self) -> bool:
        """True when this committed write should lose its response."""
        return self._drop_rate > 0 and self._rng.random() < self._drop_rate
