"""A stopped run (Ctrl-C, SIGTERM): the code and reason its unfinished rows get.

Shared by the writes of a batch and of the link phase, and by ``pipeline.run``, which
accounts for the rows the run never reached.
"""

from __future__ import annotations

import asyncio

STOP_INTERRUPTED = "interrupted (Ctrl-C or SIGTERM)"
#: ``RowError.code`` of a row the stopped run did not finish or did not reach.
STOPPED_CODE = "STOPPED"


def uncancel() -> None:
    """Take back the cancel a signal asked for: the run stops, but its report is written."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
