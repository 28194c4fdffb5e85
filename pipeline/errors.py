"""The exception tree and the row-error record.

Exceptions are for conditions that stop the run; a bad row is a ``RowError`` record, not
an exception (a local validation failure and an API 400 become the same record).

Grouped by what the caller does::

    EconImportError                         base of everything this package raises
    ├── FatalError                          stop the run, exit 2 before start / report after
    │   ├── ConfigError                     bad mapping, job file, flag or missing token
    │   ├── InputError                      unreadable or malformed input file
    │   ├── JournalError                    journal belongs to another input, or is corrupt
    │   ├── StateError                      the state store cannot be reached or written
    │   ├── LockedError                     another import holds the agreement's lock
    │   ├── ReportError                     the report folder cannot be written
    │   └── AuthError                       401/403: the token is wrong or revoked
    └── RetriableError                      back off and try again (429, 5xx, lost connection)
        ├── ThrottledError                  429: the agreement's bucket is empty
        └── AmbiguousWriteError             the request went out, no answer came back

Lower-level errors (aiohttp, OSError, tomllib) are translated into these in exactly one
place each (``raise X(...) from exc``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class EconImportError(Exception):
    """Base of every error this package raises on purpose."""


#: Every character ``str.splitlines`` breaks at, as the escape a person can read.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


class FatalError(EconImportError):
    """The run cannot go on; the message is one line a person can act on."""

    def __str__(self) -> str:
        # Messages quote cells and headers, which may hold line breaks of their own.
        return super().__str__().translate(_LINE_BREAKS)


class ConfigError(FatalError):
    """A mapping, job file, flag or environment variable is wrong."""


class InputError(FatalError):
    """An input file cannot be read as a table."""


class JournalError(FatalError):
    """The journal does not belong to this input, or cannot be used."""


class StateError(FatalError):
    """The state store (a SQLite folder or a PostgreSQL database) cannot be reached, refuses
    the login, or fails a write (disk full, read-only, connection lost)."""


class LockedError(FatalError):
    """Another import holds the agreement's lock; the message names the holder."""


class ReportError(FatalError):
    """The report folder cannot be created or written (no space, read-only, not a folder)."""


class AuthError(FatalError):
    """The API refused the tokens (401/403)."""


class RetriableError(EconImportError):
    """A transient failure: wait and try the same request again."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ThrottledError(RetriableError):
    """HTTP 429: the agreement's token bucket is empty."""


class AmbiguousWriteError(RetriableError):
    """The write may or may not have happened (timeout, connection lost after sending)."""


Origin = Literal["local", "api"]


@dataclass(frozen=True)
class RowError:
    """One thing wrong with one input row, found locally or reported by the API.

    ``row`` is the row number the user sees in the spreadsheet (header is row 1);
    ``property`` the API property path (or the source column when no path applies).
    """

    row: int
    property: str
    code: str
    message: str
    value: object = None
    origin: Origin = "local"

    def describe(self) -> str:
        """``property: message (code)``, the form used in results.csv; an error of the
        whole row (no property) reads ``CODE: message``."""
        if not self.property:
            return f"{self.code}: {self.message}"
        return f"{self.property}: {self.message} ({self.code})"
