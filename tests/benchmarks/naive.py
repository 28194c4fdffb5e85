"""Against the naive way: the importer beside a plain loop that POSTs one row at a time.

Both run against one sandbox process with 50 ms mean latency (drawn from 25-75 ms) and a
bucket too large to matter, each in its own agreement (grant token), so both create the
same customer numbers from empty. The baseline is what a quick script does: read the CSV
with the ``csv`` module, turn each row into a body, ``urllib`` POST, next row; no pacing,
no concurrency. Its rate is bounded by the latency: about 1 / 50 ms = 20 rows/s. The
importer's rate is the rows of a real CLI run divided by its wall time, Python's start-up
and the report included; its bound is the window (adaptive, up to 64) rows per latency.
Goal (issue #12): >= 10×.
"""

from __future__ import annotations

import csv
import json
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.benchmarks.common import MAPPING, Figure, cli_env, run_cli, sandbox
from tests.benchmarks.data import customers_csv

LATENCY_MS = 50
BASELINE_ROWS = 200
IMPORTER_ROWS = 3000

_NUMBERS = {"CustomerNo", "Group", "PaymentTerms", "VatZone"}
_NESTED = {
    "Group": ("customerGroup", "customerGroupNumber"),
    "PaymentTerms": ("paymentTerms", "paymentTermsNumber"),
    "VatZone": ("vatZone", "vatZoneNumber"),
}
_FLAT = {"CustomerNo": "customerNumber", "Name": "name", "Address": "address", "Zip": "zip",
         "City": "city", "Country": "country", "Email": "email",
         "Phone": "telephoneAndFaxNumber", "CVR": "corporateIdentificationNumber",
         "EAN": "ean", "Currency": "currency", "CreditLimit": "creditLimit",
         "Website": "website"}  # fmt: skip


def _body(row: dict[str, str]) -> dict[str, object]:
    body: dict[str, object] = {}
    for column, text in row.items():
        if not text:
            continue
        value: object = int(text) if column in _NUMBERS else text
        if column == "CreditLimit":
            value = float(text)
        if column in _NESTED:
            outer, inner = _NESTED[column]
            body[outer] = {inner: value}
        else:
            body[_FLAT[column]] = value
    return body


def baseline(url: str, path: Path, rows: int) -> float:
    """Rows per second of the one-at-a-time loop over the first ``rows`` rows of ``path``."""
    headers = {
        "X-AppSecretToken": "naive-app-secret",
        "X-AgreementGrantToken": "naive-agreement-grant",
        "Content-Type": "application/json",
    }
    with path.open(encoding="utf-8", newline="") as fh:
        records = [row for _, row in zip(range(rows), csv.DictReader(fh), strict=False)]
    started = time.monotonic()
    for row in records:
        data = json.dumps(_body(row)).encode()
        request = urllib.request.Request(url + "/customers", data=data, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    return len(records) / (time.monotonic() - started)


def run() -> list[Figure]:
    """The importer's rows/s divided by the naive loop's, on the same sandbox."""
    path = customers_csv(IMPORTER_ROWS)
    flags = ("--latency-ms", str(LATENCY_MS), "--bucket", "100000000", "--window", "60")
    with tempfile.TemporaryDirectory() as tmp, sandbox(*flags, "--seed", "7") as box:
        naive_rate = baseline(box.url, path, BASELINE_ROWS)
        run = run_cli(
            ["import", str(path), "--mapping", str(MAPPING), "--base-url", box.url],
            report=Path(tmp) / "report",
            env=cli_env(ECONOMIC_AGREEMENT_GRANT_TOKEN="importer-agreement-grant"),
        )
        writes = box.stats()["writes"]
    created = int(run.summary.get("created", 0))
    wall_rate = created / run.wall_s
    run_rate = created / max(float(run.summary.get("elapsed_s", run.wall_s)), 1e-9)
    detail = {
        "latency_ms": LATENCY_MS,
        "baseline_rows": BASELINE_ROWS,
        "baseline_rows_per_s": round(naive_rate, 2),
        "importer_rows": IMPORTER_ROWS,
        "importer_created": created,
        "importer_exit_code": run.exit_code,
        "importer_wall_s": round(run.wall_s, 2),
        "importer_rows_per_s_wall": round(wall_rate, 1),
        "importer_rows_per_s_in_run": round(run_rate, 1),
        "sandbox_writes": writes,
        "window": run.summary.get("concurrency"),
    }
    return [
        Figure(
            "naive", "importer ÷ one-at-a-time (wall)", wall_rate / naive_rate, "×", ">= 10", detail
        ),
        Figure("naive", "importer ÷ one-at-a-time (in run)", run_rate / naive_rate, "×"),
        Figure("naive", "one-at-a-time", naive_rate, "rows/s"),
        Figure("naive", "importer (wall, start-up included)", wall_rate, "rows/s"),
    ]
