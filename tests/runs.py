"""Helpers for the resume, fault and stop tests: inputs, the sandbox and the CLI as processes.

The importer runs as a real process where it must be signalled or killed, and the sandbox
runs as a process of its own there too (so it survives the kills and does not share the
test's interpreter with the importer).
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.conftest import APP_TOKEN, GRANT_TOKEN, REPO

#: Columns named by their API property paths: no mapping file needed.
HEADERS = [
    "customerNumber",
    "name",
    "currency",
    "customerGroup.customerGroupNumber",
    "paymentTerms.paymentTermsNumber",
    "vatZone.vatZoneNumber",
    "email",
]
#: Long enough to wait for a process that is making progress, short enough to fail.
PROCESS_TIMEOUT_S = 120.0
#: Lines of a child's output kept for a failing test to show (older ones are dropped).
DRAIN_LINES = 2000


def write_customers(
    path: Path,
    numbers: Iterable[int],
    *,
    invalid: Iterable[int] = (),
    groups: dict[int, int] | None = None,
) -> Path:
    """A CSV of customers ``numbers`` (row 2 is the first); those in ``invalid`` lack their
    (required) name; ``groups`` puts some in another customer group than 1.
    """
    bad = set(invalid)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in numbers:
            name = "" if n in bad else f"Kunde {n} ApS"
            group = (groups or {}).get(n, 1)
            writer.writerow([n, name, "DKK", group, 1, 1, f"k{n}@example.dk"])
    return path


def write_unnumbered_customers(path: Path, count: int) -> Path:
    """A CSV of ``count`` customers without customer numbers (the API gives them):
    only the ledger recognises such a row in a later run."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS[1:])
        for n in range(1, count + 1):
            writer.writerow([f"Kunde {n} ApS", "DKK", 1, 1, 1, f"k{n}@example.dk"])
    return path


def read_results(report: Path) -> list[dict[str, str]]:
    """results.csv as dicts."""
    with (report / "results.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def statuses(results: list[dict[str, str]]) -> dict[str, int]:
    """How many rows ended in each status."""
    counts: dict[str, int] = {}
    for line in results:
        counts[line["status"]] = counts.get(line["status"], 0) + 1
    return counts


def env_with_tokens(app: str = APP_TOKEN, grant: str = GRANT_TOKEN) -> dict[str, str]:
    """The environment a user's shell would give the importer."""
    # The test's own state folder (conftest's ``state_home``) is kept; the rest of the
    # ECONOMIC_ variables are a user's, not the test's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECONOMIC_")}
    env["ECONOMIC_IMPORT_HOME"] = os.environ["ECONOMIC_IMPORT_HOME"]
    env["ECONOMIC_IMPORT_CACHE"] = os.environ["ECONOMIC_IMPORT_CACHE"]
    env.update(ECONOMIC_APP_SECRET_TOKEN=app, ECONOMIC_AGREEMENT_GRANT_TOKEN=grant)
    env["PYTHONPATH"] = str(REPO)
    return env


def import_command(
    csv_path: Path, *, url: str, report: Path, journal: Path | None, concurrency: int = 16
) -> list[str]:
    """``python -m pipeline import ...`` as a person would type it (``journal`` None: the
    state folder's, ``$ECONOMIC_IMPORT_HOME/journal.sqlite``)."""
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "import",
        str(csv_path),
        "--base-url",
        url,
        "--report",
        str(report),
        "--concurrency",
        str(concurrency),
        "--no-progress",
    ]
    return command + (["--journal", str(journal)] if journal is not None else [])


def journal_counts(path: Path) -> dict[str, int]:
    """Rows by state in every run of a journal (read while another process writes it)."""
    if not path.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return dict(db.execute("SELECT state, COUNT(*) FROM rows GROUP BY state").fetchall())
    except sqlite3.OperationalError:  # not created yet
        return {}


def pg_journal_counts(url: str) -> dict[str, int]:
    """Rows by state in every run of a PostgreSQL journal (``--state URL``)."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=30) as conn:
            found = conn.execute("SELECT state, COUNT(*) FROM econ_import.rows GROUP BY state")
            return {str(state): int(n) for state, n in found.fetchall()}
    except psycopg.errors.UndefinedTable:  # not created yet
        return {}


def wait_for_journal(path: Path | str, process: subprocess.Popen[Any], *, done: int) -> bool:
    """Wait until the journal (a file, or a PostgreSQL URL) has ``done`` rows done; False
    if the process ended first."""
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    counts = (
        (lambda: pg_journal_counts(path)) if isinstance(path, str) else lambda: journal_counts(path)
    )
    while time.monotonic() < deadline:
        if counts().get("done", 0) >= done:
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.01 if isinstance(path, Path) else 0.05)
    raise AssertionError(f"no progress in {path} within {PROCESS_TIMEOUT_S} s")


class PipeDrain:
    """Reads a child's pipe to its end on a thread, so a chatty child never blocks on a
    full pipe; keeps the last ``DRAIN_LINES`` lines for the test to read.
    """

    def __init__(self, pipe: IO[str] | IO[bytes] | None) -> None:
        self._lines: deque[str] = deque(maxlen=DRAIN_LINES)
        self._changed = threading.Condition()
        self._closed = pipe is None
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe: IO[str] | IO[bytes] | None) -> None:
        try:
            if pipe is not None:
                with pipe:
                    for line in pipe:
                        text = line if isinstance(line, str) else line.decode("utf-8", "replace")
                        with self._changed:
                            self._lines.append(text)
                            self._changed.notify_all()
        finally:
            with self._changed:
                self._closed = True
                self._changed.notify_all()

    def line_with(self, needle: str, *, timeout: float = PROCESS_TIMEOUT_S) -> str | None:
        """The first kept line containing ``needle``; None if the pipe closed or ``timeout``
        passed without one.
        """

        def found() -> str | None:
            return next((line for line in self._lines if needle in line), None)

        with self._changed:
            self._changed.wait_for(lambda: found() is not None or self._closed, timeout)
            return found()

    def text(self, *, timeout: float = PROCESS_TIMEOUT_S) -> str:
        """What was kept, once the pipe has closed (the child exited) or ``timeout`` passed."""
        self._thread.join(timeout)
        with self._changed:
            return "".join(self._lines)


@dataclass
class DrainedProcess:
    """A child process whose stdout and stderr (when piped) are always being read."""

    process: subprocess.Popen[bytes]
    stdout: PipeDrain
    stderr: PipeDrain

    def wait(self, *, timeout: float = PROCESS_TIMEOUT_S) -> tuple[int, str, str]:
        """Exit code, stdout and stderr once the child has exited (``TimeoutExpired`` else)."""
        code = self.process.wait(timeout=timeout)
        return code, self.stdout.text(timeout=timeout), self.stderr.text(timeout=timeout)


def start_drained(command: list[str], **popen: Any) -> DrainedProcess:
    """``Popen(command)`` with stdout and stderr piped into ``PipeDrain``s."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    return DrainedProcess(process, PipeDrain(process.stdout), PipeDrain(process.stderr))


@dataclass
class SandboxProcess:
    """A sandbox started with ``python -m pipeline.sandbox``."""

    url: str
    process: subprocess.Popen[str]
    stderr: PipeDrain | None = None

    def stats(self) -> dict[str, Any]:
        """``GET /_sandbox/stats``."""
        with urllib.request.urlopen(self.url + "/_sandbox/stats", timeout=30) as resp:
            return dict(json.load(resp))

    def customers(self, app: str = APP_TOKEN, grant: str = GRANT_TOKEN) -> list[dict[str, Any]]:
        """Every customer of the agreement, read page by page (1000 a page)."""
        headers = {"X-AppSecretToken": app, "X-AgreementGrantToken": grant}
        found: list[dict[str, Any]] = []
        for page in range(10_000):
            url = f"{self.url}/customers?pagesize=1000&skippages={page}"
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=30) as resp:
                body = json.load(resp)
            found += body["collection"]
            if not body["collection"] or not body["pagination"].get("nextPage"):
                break
        return found


@contextmanager
def sandbox_process(*flags: str) -> Iterator[SandboxProcess]:
    """Run a sandbox process on a free loopback port with these flags; stop it after."""
    command = [sys.executable, "-m", "pipeline.sandbox", "--port", "0", "--bucket", "1000000"]
    process = subprocess.Popen(
        [*command, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    output, errors = PipeDrain(process.stdout), PipeDrain(process.stderr)
    try:
        line = output.line_with("listening on")  # the port is only known from this line
        if line is None:
            raise AssertionError(f"the sandbox did not start: {errors.text(timeout=5)}")
        yield SandboxProcess(url=line.split()[-1], process=process, stderr=errors)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # leave no orphan behind, but still fail the test
            process.wait(timeout=30)
            raise


def post(url: str, path: str, body: dict[str, Any], *, key: str) -> int:
    """POST to the sandbox as the test agreement, with an Idempotency-Key; the status."""
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "X-AppSecretToken": APP_TOKEN,
            "X-AgreementGrantToken": GRANT_TOKEN,
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def customer_body(number: int, *, group: int = 1) -> dict[str, Any]:
    """The body the importer sends for row ``number`` of ``write_customers``."""
    return {
        "customerNumber": number,
        "name": f"Kunde {number} ApS",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": group},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        "email": f"k{number}@example.dk",
    }
