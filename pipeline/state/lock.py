"""One run per agreement at a time: a lock that dies with its process (issue #19).

An import takes its agreement's lock (``target_id``: the base URL and the grant token's
hash) in the state store before its first request and holds it to its end:

    FileLock  ``fcntl.flock`` on ``agreement-<hash>.lock`` in the state folder (SQLite;
              ``msvcrt.locking`` on Windows)
    PgLock    ``pg_try_advisory_lock`` on a connection of its own (PostgreSQL)

The kernel, or the server when the session ends, releases either when the process dies,
so a ``kill -9`` never leaves a stale lock behind. Who holds it (host, pid, since when,
which inputs) is written beside it, in the lock file or the ``lock_holders`` table, only
for the refused run's message: the lock itself is never guessed from it. A holder's
record that no live lock backs is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline.errors import StateError

from .store import Where, first_line, is_url

if TYPE_CHECKING:
    from .pg_store import PgStore

__all__ = ["AgreementLock", "FileLock", "Holder", "PgLock", "lock_for"]


@dataclass(frozen=True)
class Holder:
    """Who holds (or asks for) an agreement's lock, for messages."""

    host: str
    pid: int
    since: float
    inputs: list[str] = field(default_factory=list)

    @classmethod
    def this_process(cls, inputs: Sequence[str]) -> Holder:
        return cls(host=socket.gethostname(), pid=os.getpid(), since=time.time(),
                   inputs=list(inputs))  # fmt: skip

    def describe(self) -> str:
        """``pid 4711 on build-7 since 2026-12-07 03:12:09 UTC (customers.csv)``: in UTC,
        for the machines that share a store may be in other time zones."""
        when = datetime.fromtimestamp(self.since, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        inputs = f" ({', '.join(self.inputs)})" if self.inputs else ""
        return f"pid {self.pid} on {self.host} since {when}{inputs}"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Holder | None:
        try:
            found = json.loads(text)
            return cls(str(found["host"]), int(found["pid"]), float(found["since"]),
                       [str(i) for i in found.get("inputs", [])])  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None  # being written, or written by something else: no name to give


class AgreementLock(Protocol):
    """An agreement's lock in one state store."""

    label: str  # where it is, as messages name it

    def try_acquire(self, holder: Holder) -> bool:
        """Take the lock if it is free (never waits); record ``holder`` beside it."""
        ...

    def holder(self) -> Holder | None:
        """Who holds the lock now, when that is known."""
        ...

    def release(self) -> None:
        """Give the lock up and close; never raises."""
        ...


def lock_key(target: str) -> str:
    """The agreement's lock name: a hash of ``target`` (itself free of secrets)."""
    return hashlib.sha256(f"econ-import:{target}".encode()).hexdigest()[:16]


def lock_for(ledger: Where, *, target: str) -> AgreementLock | None:
    """The agreement's lock in the store that keeps ``ledger``; None without a store
    (a run whose history is in memory, such as ``--sandbox``, shares nothing to lock)."""
    if ledger is None:
        return None
    if is_url(ledger):
        return PgLock.open(str(ledger), target=target)
    return FileLock(Path(ledger).parent, target=target)


class FileLock:
    """``flock`` on a file per agreement in the state folder; the holder written in it."""

    def __init__(self, folder: Path, *, target: str) -> None:
        self.path = folder / f"agreement-{lock_key(target)}.lock"
        self.label = str(self.path)
        self._fd: int | None = None

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """The one place where the lock file's ``OSError`` becomes ``StateError``."""
        try:
            yield
        except OSError as exc:
            raise StateError(f"cannot use the lock {self.label}: {first_line(exc)}") from exc

    def try_acquire(self, holder: Holder) -> bool:
        with self._translate():
            folder = self.path.parent
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(f"{folder} is not a folder")
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                got = _lock(fd)
            except BaseException:
                os.close(fd)
                raise
            if not got:
                os.close(fd)
                return False
            self._fd = fd
            # Written, not only created, so that a full disk or a read-only folder shows
            # before the first request.
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, holder.to_json().encode())
            os.fsync(fd)
        return True

    def holder(self) -> Holder | None:
        found = None
        with suppress(OSError):
            found = Holder.from_json(self.path.read_text(encoding="utf-8"))
        # A killed holder's record stays until the next holder overwrites it, an instant
        # after taking the lock: a process of this host that is gone names no one.
        if found is not None and found.host == socket.gethostname() and not _alive(found.pid):
            return None
        return found

    def release(self) -> None:
        if self._fd is None:
            return
        with suppress(OSError):
            os.ftruncate(self._fd, 0)  # the holder's name goes with the lock
        with suppress(OSError):
            os.close(self._fd)  # closing the last descriptor releases the flock
        self._fd = None


def _alive(pid: int) -> bool:
    """Whether a process of this host with this pid exists."""
    if sys.platform == "win32":
        return True  # os.kill would end the process there: take the record as it is
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, as another user's
    return True


#: Windows locks byte ranges: one far past the holder's record, which stays readable.
_WINDOWS_LOCK_OFFSET = 1 << 20


def _lock(fd: int) -> bool:
    """Lock the open file without waiting; False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class PgLock:
    """``pg_try_advisory_lock`` on the agreement's key, on a connection of its own."""

    def __init__(self, store: PgStore, *, target: str) -> None:
        self._store = store
        self.label = store.label
        self.target = target
        # The one-key form of advisory lock: 64 bits of the agreement's hash.
        self._key = int.from_bytes(bytes.fromhex(lock_key(target)), "big", signed=True)
        self._held = False

    @classmethod
    def open(cls, url: str, *, target: str) -> PgLock:
        from .pg_store import PgStore

        store = PgStore.open(url, component="lock")
        assert store is not None
        return cls(store, target=target)

    def try_acquire(self, holder: Holder) -> bool:
        got = self._store.query("SELECT pg_try_advisory_lock(?)", (self._key,))[0][0]
        if not got:
            return False
        self._held = True
        self._store.execute(
            "INSERT INTO lock_holders VALUES (?, pg_backend_pid(), ?) ON CONFLICT (target)"
            " DO UPDATE SET backend_pid=excluded.backend_pid, holder=excluded.holder",
            (self.target, holder.to_json()),
        )
        return True

    def holder(self) -> Holder | None:
        # Only a record whose session still holds an advisory lock names the holder.
        found = self._store.query(
            "SELECT h.holder FROM lock_holders h WHERE h.target=? AND EXISTS (SELECT 1 FROM"
            " pg_locks l WHERE l.locktype='advisory' AND l.granted AND l.pid=h.backend_pid)",
            (self.target,),
        )
        return Holder.from_json(str(found[0][0])) if found else None

    def release(self) -> None:
        if self._held:
            with suppress(StateError):
                self._store.execute(
                    "DELETE FROM lock_holders WHERE target=? AND backend_pid=pg_backend_pid()",
                    (self.target,),
                )
                self._store.query("SELECT pg_advisory_unlock(?)", (self._key,))
            self._held = False
        self._store.close()  # the session's end releases the lock in any case
