"""One run per agreement at a time: an import holds its agreement's lock (issue #19).

``hold_agreement`` takes the lock in the state store (``pipeline.state.lock``) before the
import's first request, the plan's probes included, and gives it up when the import ends;
the process's death gives it up as well. A second import into the same agreement stops at
once (``LockedError``, exit 2: nothing sent) naming the holder, or, given ``wait_s``
(``--wait SECONDS``), says that it waits, shows the wait in its progress, and runs once
the lock is free; past the time it stops the same way. A dry run takes no lock (it
writes nothing), and neither does a run whose history is in memory (``--sandbox``: its
agreement lives and dies with the process, so no other run can share it).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, TextIO

from tqdm import tqdm

from pipeline.api import ApiSettings
from pipeline.errors import LockedError
from pipeline.state import AgreementLock, Holder, lock_for, target_id

from .inputs import PreparedStep
from .progress import format_duration, progress_mode
from .settings import RunSettings

__all__ = ["LOCK_POLL_S", "hold_agreement"]

#: Seconds between two tries of a lock being waited for.
LOCK_POLL_S = 0.2
#: Looks for the name of a lock's holder before the message does without it (a second).
NAME_TRIES = 10


@asynccontextmanager
async def hold_agreement(
    settings: RunSettings,
    prepared: Sequence[PreparedStep],
    api: ApiSettings | None,
    *,
    wait_s: float = 0.0,
    out: TextIO | None = None,
) -> AsyncIterator[None]:
    """Hold the agreement's lock for the block (see the module's docstring)."""
    if settings.dry_run or api is None:
        yield
        return
    lock = lock_for(settings.ledger, target=target_id(api.base_url, api.agreement_grant_token))
    if lock is None:
        yield
        return
    try:
        me = Holder.this_process([p.label for p in prepared])
        await _acquire(lock, me, settings=settings, api=api, wait_s=wait_s, out=out or sys.stderr)
        yield
    finally:
        lock.release()


async def _acquire(
    lock: AgreementLock,
    me: Holder,
    *,
    settings: RunSettings,
    api: ApiSettings,
    wait_s: float,
    out: TextIO,
) -> None:
    if lock.try_acquire(me):
        return
    agreement = f"the agreement at {api.base_url}"
    if wait_s <= 0:
        raise LockedError(
            f"another import into {agreement} is running: {await _named(lock)}; nothing was sent "
            f"(its lock: {lock.label}; --wait SECONDS waits for it)"
        )
    print(
        f"econ-import: waiting for {await _named(lock)}, which is importing into {agreement} "
        f"(up to {wait_s:g} s)",
        file=out,
        flush=True,
    )
    started = time.monotonic()
    with _WaitProgress(settings, wait_s=wait_s, out=out) as progress:
        while not lock.try_acquire(me):
            waited = time.monotonic() - started
            if waited >= wait_s:
                raise LockedError(
                    f"waited {wait_s:g} s for the lock on {agreement}, still "
                    f"held by {await _named(lock)}; nothing was sent"
                )
            progress.show(waited)
            await asyncio.sleep(min(LOCK_POLL_S, max(wait_s - waited, 0.01)))
    waited = time.monotonic() - started
    print(f"econ-import: the lock is ours after {waited:.1f} s", file=out, flush=True)


async def _named(lock: AgreementLock) -> str:
    """The holder, as messages name it. A holder writes its name just after it takes the
    lock, so a name not there yet is looked for again for a moment."""
    for _ in range(NAME_TRIES):
        holder = lock.holder()
        if holder is not None:
            return holder.describe()
        await asyncio.sleep(LOCK_POLL_S / 2)
    return "another import (its name unknown)"


class _WaitProgress:
    """The wait, as the progress shows a run: a bar of seconds in a terminal, else a line
    now and then (every ``progress_interval_s``), nothing with ``--no-progress``."""

    def __init__(self, settings: RunSettings, *, wait_s: float, out: TextIO) -> None:
        self.mode = progress_mode(enabled=settings.progress, out=out)
        self.interval_s = settings.progress_interval_s
        self.wait_s = wait_s
        self._out = out
        self._last = 0.0
        self._bar: tqdm[Any] | None = None
        if self.mode == "bar":
            self._bar = tqdm(total=round(wait_s), unit="s", desc="waiting for the lock",
                             file=out, dynamic_ncols=True)  # fmt: skip

    def __enter__(self) -> _WaitProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def show(self, waited: float) -> None:
        if self._bar is not None:
            self._bar.update(max(round(waited) - self._bar.n, 0))
        elif self.mode == "lines" and waited - self._last >= self.interval_s:
            self._last = waited
            print(
                f"waiting for the lock: {format_duration(waited)} of "
                f"{format_duration(self.wait_s)}",
                file=self._out,
                flush=True,
            )
