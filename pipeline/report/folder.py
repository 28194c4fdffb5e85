"""The report folder: checked before the first request, and every failed write named.

``prepare_folder`` creates the folder and writes (then removes) a probe file of
``PROBE_BYTES``, so that a ``--report`` naming a file, a read-only or full disk, or a path
under a file stops the run before anything is sent. ``writing`` is the one place where an
``OSError`` of a report file becomes a ``ReportError``: one line naming the path and the
cause (the system's text for the errno), never a traceback. ``export`` checks and writes
its file with the same two (``what="the export"``).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import ReportError

#: Bytes the probe writes: room for the report's first lines (results.csv flushes every
#: 1,000 rows), so a disk with less than this free stops the run before it starts.
PROBE_BYTES = 64 * 1024
PROBE_NAME = ".econ-import-probe"

#: What a person can do about the usual causes.
_ADVICE = {
    errno.ENOSPC: "free some space",
    errno.EDQUOT: "free some space",
    errno.EROFS: "choose a place on a writable disk",
    errno.EACCES: "choose a place this user can write",
    errno.EPERM: "choose a place this user can write",
    errno.EEXIST: "give a folder, not a file",
    errno.ENOTDIR: "give a path that does not run through a file",
    errno.EISDIR: "give a file, not a folder",
}


def prepare_folder(directory: Path, *, what: str = "the report") -> Path:
    """Create ``directory`` and prove a file can be written in it; raise ``ReportError``
    naming the path and the cause if not."""
    directory = Path(directory)
    with writing(directory, what=what):
        if directory.exists() and not directory.is_dir():
            raise FileExistsError(errno.EEXIST, "File exists, not a folder", str(directory))
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / PROBE_NAME
        try:
            with probe.open("wb") as handle:
                handle.write(b"\0" * PROBE_BYTES)
                handle.flush()
                os.fsync(handle.fileno())  # a disk that allocates late reports ENOSPC here
        finally:
            probe.unlink(missing_ok=True)
    return directory


def report_error(exc: OSError, path: Path, *, what: str = "the report") -> ReportError:
    """``exc`` as one line: the file (``exc``'s own, else ``path``), the cause, what to do."""
    where = exc.filename if exc.filename else path
    cause = exc.strerror or os.strerror(exc.errno or 0) or str(exc)
    advice = _ADVICE.get(exc.errno or 0, "")
    tail = f"; {advice} and run the same command again" if advice else ""
    return ReportError(f"cannot write {what}: {where}: {cause}{tail}")


@contextmanager
def writing(path: Path, *, what: str = "the report") -> Iterator[None]:
    """Translate any ``OSError`` inside into ``ReportError`` naming ``path`` (or the file
    the error names)."""
    try:
        yield
    except OSError as exc:
        raise report_error(exc, path, what=what) from exc
