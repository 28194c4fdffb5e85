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
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def wait_for_journal(path: Path, process: subprocess.Popen[bytes], *, done: int) -> bool:
    """Wait until the journal has ``done`` rows done; False if the process ended first."""
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while time.monotonic() < deadline:
        if journal_counts(path).get("done", 0) >= done:
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.01)
    raise AssertionError(f"no progress in {path} within {PROCESS_TIMEOUT_S} s")


@dataclass
class SandboxProcess:
    """A sandbox started with ``python -m pipeline.sandbox``."""

    url: str
    process: subprocess.Popen[str]

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
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on" in line, line + (process.stderr.read() if process.stderr else "")
        yield SandboxProcess(url=line.split()[-1], process=process)
    finally:
        process.terminate()
        process.wait(timeout=30)


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
