"""Make docs/report.png: import 1,000 customers (some with bad cells) into a sandbox with
a tight budget, then photograph the run's report.html in headless chromium
(``make screenshot``).

The sandbox runs as a process on loopback with a bucket of 200 calls per 5 s and no rate
headers, so the pacer has to learn the rate: the chart shows 429s and the window at work.
One column's mistake dominates the errors (60 postal codes too long), as in a real list.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "screenshot"
TIMEOUT_S = 600
HEADERS = ["customerNumber", "name", "currency", "customerGroup.customerGroupNumber",
           "paymentTerms.paymentTermsNumber", "vatZone.vatZoneNumber", "zip", "city"]  # fmt: skip


def write_input(path: Path) -> Path:
    """1,000 customers: every 16th postal code too long, every 60th name and every 125th
    currency wrong."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(1, 1001):
            name = "" if n % 60 == 0 else f"Kunde {n} ApS"
            currency = "DK" if n % 125 == 0 else "DKK"
            zip_code = "DK-8000 Aarhus C, Jylland, Danmark" if n % 16 == 0 else "8000"
            writer.writerow([10_000 + n, name, currency, 1, 1, 1, zip_code, "Aarhus"])
    return path


def main() -> int:
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "pipeline.sandbox", "--port", "0", "--bucket", "200",
         "--window", "5", "--hide-rate-headers", "--latency-ms", "40"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert sandbox.stdout is not None
        url = next(line.split()[-1] for line in sandbox.stdout if "listening on" in line)
        home = tempfile.mkdtemp(prefix="econ-import-screenshot-")
        env = {**os.environ, "ECONOMIC_IMPORT_HOME": home,
               "ECONOMIC_APP_SECRET_TOKEN": "sandbox-app",
               "ECONOMIC_AGREEMENT_GRANT_TOKEN": "sandbox-agreement"}  # fmt: skip
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        source = write_input(REPORT.parent / "kunder.csv").relative_to(ROOT)
        run = subprocess.run(
            [sys.executable, "-m", "pipeline", "import", str(source),
             "--base-url", url, "--report", str(REPORT), "--no-progress"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
        )  # fmt: skip
        if run.returncode > 1:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=30000",
             "--hide-scrollbars", "--window-size=1280,2400",
             f"--screenshot={ROOT / 'docs' / 'report.png'}", (REPORT / "report.html").as_uri()],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
    print(f"wrote {ROOT / 'docs' / 'report.png'} from {REPORT / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
