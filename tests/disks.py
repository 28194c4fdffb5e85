"""A small disk for the tests of a full, read-only or wrong folder (issue #19 point 5).

The tests run as root, where ``mount -t tmpfs`` works and ``chmod`` would stop nothing;
``mounted`` says False where this user may not mount, and the tests fall back to a path
under a regular file (a folder nobody can write) or skip what needs a disk filling up.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: The small disk: big enough for a 3,000-row report, no bigger.
DISK_BYTES = 2 * 1024 * 1024
FILLER = "filler"


@dataclass
class SmallDisk:
    """A tmpfs at ``path``; ``fill`` leaves only ``leave`` bytes free, ``free`` undoes it."""

    path: Path

    def fill(self, *, leave: int) -> None:
        stat = os.statvfs(self.path)
        free = stat.f_bavail * stat.f_frsize
        with (self.path / FILLER).open("wb") as handle:
            handle.write(b"\0" * max(free - leave, 0))

    def free(self) -> None:
        (self.path / FILLER).unlink()


def _mount(path: Path, size: int, *, read_only: bool) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    return done.returncode == 0


def _unmount(path: Path) -> None:
    done = subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=False)
    if done.returncode != 0:  # still busy (a child that did not exit): detach it anyway
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30, check=False)


@contextmanager
def small_disk(path: Path, size: int = DISK_BYTES) -> Iterator[SmallDisk | None]:
    """A tmpfs of ``size`` bytes mounted at ``path`` (None if this user may not mount);
    always unmounted after."""
    if not _mount(path, size, read_only=False):
        yield None
        return
    try:
        yield SmallDisk(path)
    finally:
        _unmount(path)


@contextmanager
def unwritable_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder no write can go to: on a read-only tmpfs, else under a regular file."""
    mount = tmp_path / "read-only"
    if _mount(mount, 1024 * 1024, read_only=True):
        try:
            yield mount / "report"
        finally:
            _unmount(mount)
        return
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    yield tmp_path / "a-file" / "report"
