"""Generated inputs for the benchmarks, cached under ``reports/bench-cache/``.

Customer lists with the columns of ``samples/customers.csv`` (read with
``mappings/customers.toml``), drawn from the same Danish names, streets and postal codes as
the samples (``samples/danish.py``), with a fixed seed: the same file every time. A cached
file is reused while its name (rows, seed, kind) matches; delete the folder to rebuild.

``bad_every`` makes every n-th row invalid in one of a few ways (no name, a two-letter
currency, a zero customer number, a 14-digit EAN), so the report's error files are part
of what a big-file run costs, as they would be on a real legacy export.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook

from samples.danish import DK_PLACES, PREFIXES, STREETS, SUFFIXES, SURNAMES, TRADES, slug

CACHE = Path(__file__).resolve().parents[2] / "reports" / "bench-cache"
#: The columns of samples/customers.csv, which mappings/customers.toml reads.
HEADERS = [
    "CustomerNo",
    "Name",
    "Address",
    "Zip",
    "City",
    "Country",
    "Email",
    "Phone",
    "CVR",
    "EAN",
    "Currency",
    "Group",
    "PaymentTerms",
    "VatZone",
    "CreditLimit",
    "Website",
]
FIRST_NUMBER = 100_001
SEED = 4711

_MAILBOXES = ("info", "kontakt", "bogholderi", "faktura")
_CREDITS = ("", "5000", "10000", "25000.00", "50000", "75000.00", "100000", "250000")
_TERMS = ("1", "2", "3", "3", "3", "4", "5")


def _names(rng: random.Random) -> list[tuple[str, str]]:
    """(company name, domain) pairs to draw from: a few thousand distinct ones."""
    out = []
    for surname in SURNAMES:
        for trade in TRADES:
            suffix = rng.choice(SUFFIXES)
            name = f"{surname} {trade} {suffix}".strip()
            out.append((name, slug(name) + ".dk"))
    for prefix in PREFIXES:
        for trade in TRADES:
            name = f"{prefix} {trade} {rng.choice(SUFFIXES)}".strip()
            out.append((name, slug(name) + ".dk"))
    return out


def customer_rows(rows: int, *, seed: int = SEED, bad_every: int = 0) -> Iterator[list[str]]:
    """``rows`` customers as lists of cell text in ``HEADERS`` order (numbers from 100001)."""
    rng = random.Random(seed)
    names = _names(rng)
    for n in range(rows):
        number = FIRST_NUMBER + n
        name, domain = rng.choice(names)
        zip_, city = rng.choice(DK_PLACES)
        phone = (
            f"+45 {rng.randrange(20, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)} 0{n % 10}"
        )
        row = [
            str(number),
            name,
            f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
            zip_,
            city,
            "Danmark",
            f"{rng.choice(_MAILBOXES)}@{domain}",
            phone,
            str(rng.randrange(10_000_000, 99_999_999)),
            f"5790{rng.randrange(10**8, 10**9)}" if n % 5 == 0 else "",
            "DKK",
            "1",
            rng.choice(_TERMS),
            "1",
            rng.choice(_CREDITS),
            f"www.{domain}" if n % 2 else "",
        ]
        if bad_every and n % bad_every == bad_every - 1:
            _spoil(row, n // bad_every)
        yield row


def _spoil(row: list[str], which: int) -> None:
    kind = which % 4
    if kind == 0:
        row[1] = ""  # name is required
    elif kind == 1:
        row[10] = "DK"  # currency minLength 3
    elif kind == 2:
        row[0] = "0"  # customerNumber minimum 1
    else:
        row[9] = "57900012345678"  # ean maxLength 13


def customers_csv(rows: int, *, bad_every: int = 0, seed: int = SEED) -> Path:
    """The cached CSV of ``rows`` customers (written on first use)."""
    path = CACHE / f"customers-{rows}-s{seed}-b{bad_every}.csv"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        with partial.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(HEADERS)
            writer.writerows(customer_rows(rows, seed=seed, bad_every=bad_every))
        partial.replace(path)
    return path


def customers_xlsx(rows: int, *, bad_every: int = 0, seed: int = SEED) -> Path:
    """The cached workbook (sheet "Kunder") of ``rows`` customers, numbers as numbers."""
    path = CACHE / f"customers-{rows}-s{seed}-b{bad_every}.xlsx"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Kunder")
        sheet.append(HEADERS)
        for row in customer_rows(rows, seed=seed, bad_every=bad_every):
            # As Excel would store them: whole numbers as numbers, a leading zero as text.
            sheet.append([_cell(text) for text in row])
        partial = path.with_suffix(".part.xlsx")
        book.save(partial)
        partial.replace(path)
    return path


def _cell(text: str) -> str | int | None:
    if text == "":
        return None
    if text.isdigit() and not text.startswith("0") and len(text) < 12:
        return int(text)
    return text
