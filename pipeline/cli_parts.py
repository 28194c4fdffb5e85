"""Small parts of the command line that hold no logic of the import: argument types and
the signal handling of a run (``pipeline.cli`` uses them)."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM cancel the run once; the importer then writes the report.

    Only the first signal cancels: a second one while the report is being written must
    not interrupt that, so the handlers remove themselves when they fire.
    """
    import asyncio

    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def stop() -> None:
        for signum in signals:
            loop.remove_signal_handler(signum)
            signal.signal(signum, signal.SIG_IGN)
        if task is not None:
            task.cancel()

    for signum in signals:
        loop.add_signal_handler(signum, stop)
    try:
        yield
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
            signal.signal(
                signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
            )


def seconds(text: str) -> float:
    value = float(text)  # a ValueError is argparse's "invalid seconds value"
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be a number of seconds, 0 or more")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
