"""Partial rows in update and upsert (issue #11): the real CLI against the real sandbox."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, SandboxHandle, api_get
from tests.runs import read_results

FULL = (
    "customerNumber,name,currency,customerGroup.customerGroupNumber,"
    "paymentTerms.paymentTermsNumber,vatZone.vatZoneNumber,address,zip,city,email,"
    "telephoneAndFaxNumber,creditLimit,barred\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def seed_customers(
    cli: Callable[..., CliResult], sandbox: SandboxHandle, tmp: Path, n: int
) -> None:
    """Customers 1..n with every column a clean-up might leave alone."""
    lines = [
        f"{i},Kunde {i} ApS,DKK,1,1,1,Vej {i},{5000 + i},Odense,k{i}@old.dk,+45 1{i},{i}000.5,false"
        for i in range(1, n + 1)
    ]
    source = write(tmp / "seed.csv", FULL + "\n".join(lines) + "\n")
    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp / "seed")
    assert result.code == 0, result.err


def customers(sandbox: SandboxHandle) -> dict[int, dict[str, Any]]:
    body = sandbox.call(lambda: api_get(sandbox.url, "/customers?pagesize=1000"))
    return {c["customerNumber"]: c for c in body["collection"]}


def test_thirty_customers_get_a_new_email_and_keep_everything_else(
    sandbox: SandboxHandle, tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    seed_customers(cli, sandbox, tmp_path, 30)
    before = customers(sandbox)
    fix = "customerNumber,email\n" + "".join(f"{i},k{i}@new.dk\n" for i in range(1, 31))
    source = write(tmp_path / "emails.csv", fix)
    writes = sandbox.stats()["writes"]

    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "r1",
                 "--mode", "update")  # fmt: skip

    assert result.code == 0, result.out + result.err
    assert {r["status"] for r in read_results(tmp_path / "r1")} == {"updated"}
    assert sandbox.stats()["writes"] == writes + 30
    after = customers(sandbox)
    assert sorted(after) == list(range(1, 31))
    for number, record in after.items():
        assert record["email"] == f"k{number}@new.dk"
        kept = {k: v for k, v in record.items() if k not in ("email", "lastUpdated")}
        assert kept == {
            k: v for k, v in before[number].items() if k not in ("email", "lastUpdated")
        }

    # The same fix again writes nothing, and says so.
    again = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "r2",
                "--mode", "update")  # fmt: skip
    assert again.code == 0
    assert {r["status"] for r in read_results(tmp_path / "r2")} == {"unchanged"}
    assert sandbox.stats()["writes"] == writes + 30


def test_upsert_of_partial_rows_updates_what_exists_and_creates_only_complete_rows(
    sandbox: SandboxHandle, tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    seed_customers(cli, sandbox, tmp_path, 2)
    source = write(
        tmp_path / "mixed.csv",
        FULL
        + "1,,,,,,,,,k1@new.dk,,,\n"  # exists: only the e-mail changes
        + "3,,,,,,,,Vejle,k3@new.dk,,,\n"  # absent and partial: invalid
        + "4,Ny ApS,DKK,1,1,1,,,Vejle,,,,\n"  # absent and complete: created
        + "2,,,2,,,,,,,,,\n",  # exists: moves to group 2
    )
    writes = sandbox.stats()["writes"]

    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "r",
                 "--mode", "upsert")  # fmt: skip

    assert result.code == 1
    rows = read_results(tmp_path / "r")
    assert [r["status"] for r in rows] == ["updated", "invalid", "created", "updated"]
    assert rows[1]["errors"] == "; ".join(
        f"{p}: Required property '{p}' is missing. (E04310)"
        for p in (
            "name",
            "currency",
            "customerGroup.customerGroupNumber",
            "paymentTerms.paymentTermsNumber",
            "vatZone.vatZoneNumber",
        )
    )
    assert sandbox.stats()["writes"] == writes + 3  # the invalid row was never sent
    found = customers(sandbox)
    assert sorted(found) == [1, 2, 4]
    assert found[1]["email"] == "k1@new.dk" and found[1]["city"] == "Odense"
    assert found[1]["name"] == "Kunde 1 ApS" and found[1]["creditLimit"] == 1000.5
    assert found[2]["customerGroup"]["customerGroupNumber"] == 2
    assert found[2]["email"] == "k2@old.dk"


@pytest.mark.parametrize(
    ("entity", "create", "partial", "path", "kept", "changed"),
    [
        pytest.param(
            "customer-groups",
            "customerGroupNumber,name,layout.layoutNumber\n10,Eksport,19\n",
            "customerGroupNumber,name\n10,Eksport DK\n",
            "/customer-groups/10",
            {"layout.layoutNumber": 19},
            {"name": "Eksport DK"},
            id="customer-groups",
        ),
        pytest.param(
            "contacts",
            "customer.customerNumber,name,email,phone,notes\n1,Anna Berg,anna@alfa.dk,111,VIP\n",
            "customer.customerNumber,email,phone\n1,anna@alfa.dk,222\n",
            "/customers/1/contacts",
            {"name": "Anna Berg", "notes": "VIP"},
            {"phone": "222"},
            id="contacts",
        ),
        pytest.param(
            "delivery-locations",
            "customer.customerNumber,address,postalCode,city,termsOfDelivery\n"
            "1,Havnen 1,5000,Odense,Fritt\n",
            "customer.customerNumber,address,postalCode,city\n1,Havnen 1,5000,Odense C\n",
            "/customers/1/delivery-locations",
            {"termsOfDelivery": "Fritt"},
            {"city": "Odense C"},
            id="delivery-locations",
        ),
    ],
)
@pytest.mark.parametrize("mode", ["update", "upsert"])
def test_a_partial_row_passes_the_apis_put_for_every_entity(
    sandbox: SandboxHandle,
    tokens: object,
    cli: Callable[..., CliResult],
    tmp_path: Path,
    mode: str,
    entity: str,
    create: str,
    partial: str,
    path: str,
    kept: dict[str, Any],
    changed: dict[str, Any],
) -> None:
    seed_customers(cli, sandbox, tmp_path, 1)
    first = cli("import", write(tmp_path / "c.csv", create), "--entity", entity,
                "--base-url", sandbox.url, "--report", tmp_path / "c")  # fmt: skip
    assert first.code == 0, first.out

    result = cli("import", write(tmp_path / "p.csv", partial), "--entity", entity,
                 "--base-url", sandbox.url, "--report", tmp_path / "p", "--mode", mode)  # fmt: skip

    rows = read_results(tmp_path / "p")
    assert (result.code, rows[0]["status"]) == (0, "updated"), rows[0]["errors"]
    record = sandbox.call(lambda: api_get(sandbox.url, path))
    record = record["collection"][0] if "collection" in record else record
    assert {k: dotted(record, k) for k in kept} == kept
    assert {k: dotted(record, k) for k in changed} == changed


def dotted(record: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        record = record[part]
    return record


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
