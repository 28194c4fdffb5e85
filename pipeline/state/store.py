"""The state store: where the journal, the ledger and the agreement locks live (issue #19).

``Journal``, ``Ledger`` and ``JournalKeys`` speak plain SQL (``?`` placeholders, upserts
written ``ON CONFLICT ... DO``, which SQLite and PostgreSQL both read) to a ``Store``, the
small protocol below. Two stores implement it:

    SqliteStore  a file in the state folder (``journal.sqlite``, ``ledger.sqlite``), as
                 every earlier version kept them; in memory for a throwaway run
    PgStore      a PostgreSQL database named by a libpq URL (``postgresql://...``), shared
                 by every machine and container pointed at it

Each creates its schema on first use, with a version row per component
(``schema_version``) so that a later release can migrate it, and translates every error
of its backend (``sqlite3.Error``, ``OSError``, ``psycopg.Error``) into ``StateError`` in
exactly one place, with one line naming the store (the path, or the URL with its password
masked) and the cause.

Where the state is: ``--state`` (a URL or a folder), else ``$ECONOMIC_IMPORT_STATE``,
else the state folder (``pipeline.state.folder``). ``Where`` is what the stores open: a
PostgreSQL URL, a SQLite file, or None for memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.errors import ConfigError, StateError

from .folder import JOURNAL_FILE, LEDGER_FILE, state_dir

__all__ = [
    "SCHEMA_VERSION",
    "STATE_ENV",
    "Store",
    "Where",
    "describe",
    "first_line",
    "is_url",
    "mask_url",
    "open_store",
    "stamp_version",
    "state_password",
    "state_places",
    "url_password",
]

#: The environment variable that names the state store (a URL or a folder).
STATE_ENV = "ECONOMIC_IMPORT_STATE"
#: URL schemes of a PostgreSQL store (libpq's own).
PG_SCHEMES = ("postgresql", "postgres")
#: The version of the schema this release writes (``schema_version``, per component).
SCHEMA_VERSION = 1

#: A store to open: a PostgreSQL URL, a SQLite file, or None (in memory).
Where = Path | str | None

Row = tuple[Any, ...]


class Store(Protocol):
    """What the journal and the ledger need of a database; every method raises only
    ``StateError`` (``failed`` then says so, for the run to stop as resumable)."""

    label: str  # the path, or the URL with its password masked: what messages name
    failed: bool  # a backend error happened (the run stops and can be resumed)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Every row ``sql`` selects."""
        ...

    def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; how many rows it changed."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement per parameter row."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """A block whose statements commit together (rolled back if it raises)."""
        ...

    def tables(self) -> set[str]:
        """The names of the store's tables (an older version's may lack some)."""
        ...

    def close(self) -> None:
        """Close the connection; never raises."""
        ...


def is_url(where: Where) -> bool:
    """Whether ``where`` names a PostgreSQL database rather than a file."""
    return isinstance(where, str) and urlsplit(where).scheme in PG_SCHEMES


def open_store(
    where: Where, *, component: str, read_only: bool = False, timeout_s: float = 30
) -> Store | None:
    """Open ``where`` for ``component`` (``journal`` or ``ledger``): its schema created on
    first use, a probe written, unless ``read_only`` (then None where nothing exists yet:
    a preview creates nothing)."""
    if is_url(where):
        from .pg_store import PgStore

        return PgStore.open(str(where), component=component, read_only=read_only)
    from .sqlite_store import SqliteStore

    path = None if where is None else Path(where)
    if read_only:
        return SqliteStore.open_read_only(path, component=component, timeout_s=timeout_s)
    return SqliteStore.open(path, component=component, timeout_s=timeout_s)


def describe(where: Where) -> str:
    """``where`` as messages name it: the URL with its password masked, or the path."""
    if where is None:
        return "memory"
    return mask_url(str(where)) if is_url(where) else str(where)


def mask_url(url: str) -> str:
    """The URL with its password (in the authority or a ``password=`` parameter) masked."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "password" for k, _ in query):
        masked = [(k, "***" if k == "password" else v) for k, v in query]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(masked, safe="/*")))
    return urlunsplit(parts._replace(netloc=netloc))


def url_password(url: str) -> str:
    """The password a URL carries ('' without one), for the redactor to mask."""
    parts = urlsplit(url)
    found = dict(parse_qsl(parts.query)).get("password", "")
    return parts.password or found


def state_password(flag: str | None, env: Mapping[str, str]) -> str:
    """The password of the state URL (``--state``, else ``$ECONOMIC_IMPORT_STATE``), or ''
    (for the redactor: it must appear nowhere)."""
    found = (flag or env.get(STATE_ENV, "")).strip()
    return url_password(found) if is_url(found) else ""


def state_places(flag: str | None, env: Mapping[str, str]) -> tuple[Where, Where]:
    """(journal, ledger): where ``--state`` (``flag``), else ``$ECONOMIC_IMPORT_STATE``,
    else the state folder keeps them. A URL keeps both in one database; a folder holds
    ``journal.sqlite`` and ``ledger.sqlite``; another scheme is refused."""
    text = (flag or env.get(STATE_ENV, "")).strip()
    if not text:
        folder = state_dir(env)
        return folder / JOURNAL_FILE, folder / LEDGER_FILE
    if is_url(text):
        return text, text
    if "://" in text:
        raise ConfigError(
            f"the state store must be a postgresql:// URL or a folder, not {mask_url(text)!r}"
        )
    folder = Path(text).expanduser()
    return folder / JOURNAL_FILE, folder / LEDGER_FILE


def stamp_version(store: Store, component: str, *, now: float) -> None:
    """Record (or check) the schema's version of ``component``: also the write probe that
    shows, before the first request, that the store takes writes at all."""
    with store.transaction():
        found = store.query("SELECT version FROM schema_version WHERE component=?", (component,))
        if found and int(found[0][0]) > SCHEMA_VERSION:
            raise StateError(
                f"the {component} in {store.label} was written by a newer econ-import (schema "
                f"version {found[0][0]}; this one knows {SCHEMA_VERSION}): upgrade econ-import"
            )
        store.execute(
            "INSERT INTO schema_version (component, version, checked_at) VALUES (?,?,?)"
            " ON CONFLICT (component) DO UPDATE SET checked_at=excluded.checked_at",
            (component, SCHEMA_VERSION, now),
        )


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (a driver's may hold several)."""
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__
