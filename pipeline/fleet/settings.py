"""A fleet's defaults, small and importable without pandas (the CLI's --help reads them)."""

from __future__ import annotations

#: Agreements imported at once (``--agreements``).
DEFAULT_AGREEMENTS = 8
#: Where the agreements run: this process, or one task each on a Dask cluster.
ENGINES = ("local", "dask")
#: Most serious first: the order in which an agreement's exit code becomes the fleet's.
#: 2, it could not start: a person must fix something first; 3, it was stopped: the same
#: command resumes it; 1, some of its rows did not succeed.
SEVERITY = (2, 3, 1)
#: How long an agreement waits for its own lock in a Dask task: a task run again after
#: its worker died meets the dead worker's lock until PostgreSQL drops that session.
DASK_LOCK_WAIT_S = 120.0
