"""Links (issue #14, points 1 and 3): customers point at their main contact, attention and
default delivery location by source key or number, set after the children's steps; the
real CLI against the real sandbox, and a SIGKILL between the creates and the links."""

from __future__ import annotations

import csv
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.write import LINK_COLUMNS
from tests.conftest import SandboxHandle, api_get
from tests.runs import PROCESS_TIMEOUT_S, env_with_tokens, sandbox_process

CUSTOMERS = """key,customerNumber,name,main,att,delivery
C1,501,Alfa ApS,P1,P2,L1
C2,502,Beta ApS,P3,P3,L2
C3,503,Gamma ApS,P4,,L3
C4,504,Delta ApS,,,
"""
CONTACTS = """key,customer,name,email
P1,C1,Anna,anna@alfa.dk
P2,C1,Bo,bo@alfa.dk
P3,C2,Carl,carl@beta.dk
P4,C3,Dora,dora@gamma.dk
"""
LOCATIONS = """key,customer,address,postalCode
L1,C1,Vej 1,5000
L2,C2,Vej 2,8000
L3,C3,Vej 3,9000
"""
MAPPINGS = {
    "customers.toml": """entity = "customers"
key = "key"
[columns]
"key" = false
"customerNumber" = "customerNumber"
"name" = "name"
"main" = "customerContact.key"
"att" = "attention.key"
"delivery" = "defaultDeliveryLocation.key"
[constants]
"currency" = "DKK"
"customerGroup.customerGroupNumber" = 1
"paymentTerms.paymentTermsNumber" = 1
"vatZone.vatZoneNumber" = 1
""",
    "contacts.toml": """entity = "contacts"
key = "key"
[columns]
"key" = false
"customer" = "customer.key"
"name" = "name"
"email" = "email"
""",
    "locations.toml": """entity = "delivery-locations"
key = "key"
[columns]
"key" = false
"customer" = "customer.key"
"address" = "address"
"postalCode" = "postalCode"
""",
    "job.toml": """[[steps]]
entity = "customers"
input = "customers.csv"
mapping = "customers.toml"
[[steps]]
entity = "contacts"
input = "contacts.csv"
mapping = "contacts.toml"
[[steps]]
entity = "delivery-locations"
input = "locations.csv"
mapping = "locations.toml"
""",
}
#: customer -> (main contact, attention, default delivery location) by the children's names
#: and addresses, as CUSTOMERS asks.
WANTED = {
    501: ("Anna", "Bo", "Vej 1"),
    502: ("Carl", "Carl", "Vej 2"),
    503: ("Dora", None, "Vej 3"),
    504: (None, None, None),
}


def write_job(folder: Path, customers: str = CUSTOMERS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**MAPPINGS, "customers.csv": customers, "contacts.csv": CONTACTS,
                       "locations.csv": LOCATIONS}.items():  # fmt: skip
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "job.toml"


def results(report: Path) -> list[dict[str, str]]:
    with (report / "results.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def links_of(rows: list[dict[str, str]]) -> dict[str, tuple[str, str]]:
    return {r["key"]: (r["status"], r["links"]) for r in rows if r["entity"] == "customers"}


def references(get: Any) -> dict[int, tuple[str | None, str | None, str | None]]:
    """Each customer's three references as the server has them, by the children's names."""
    found = {}
    for number in WANTED:
        customer = get(f"/customers/{number}")
        contacts = {c["customerContactNumber"]: c["name"]
                    for c in get(f"/customers/{number}/contacts")["collection"]}  # fmt: skip
        located = get(f"/customers/{number}/delivery-locations")["collection"]
        places = {d["deliveryLocationNumber"]: d["address"] for d in located}
        main = (customer.get("customerContact") or {}).get("customerContactNumber")
        att = (customer.get("attention") or {}).get("customerContactNumber")
        where = (customer.get("defaultDeliveryLocation") or {}).get("deliveryLocationNumber")
        found[number] = (contacts.get(main), contacts.get(att), places.get(where))
    return found


def import_job(cli, sandbox: SandboxHandle, job: Path, report: Path, *extra: str):  # type: ignore[no-untyped-def]
    return cli("import", "--job", job, "--base-url", sandbox.url, "--report", report,
               "--journal", job.parent / "journal.sqlite", *extra)  # fmt: skip


def test_customers_link_to_their_contacts_and_locations_by_key_and_a_rerun_writes_nothing(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path, state_home: Path
) -> None:
    job = write_job(tmp_path / "job")
    first = import_job(cli, sandbox, job, tmp_path / "r1")
    assert first.code == 0, first.out
    assert references(lambda p: sandbox.call(lambda: api_get(sandbox.url, p))) == WANTED
    rows = results(tmp_path / "r1")
    assert links_of(rows) == {"C1": ("created", "set"), "C2": ("created", "set"),
                              "C3": ("created", "set"), "C4": ("created", "")}  # fmt: skip
    summary = json.loads((tmp_path / "r1" / "summary.json").read_text())
    assert (summary["links_set"], summary["links_failed"]) == (3, 0)
    shown = next(line.split() for line in first.out.splitlines() if "links_set" in line)
    assert shown[:2] == ["links_set", "3"]  # the console says how many were set
    # 4 customers, 4 contacts, 3 locations, then one PUT per linked customer.
    assert sandbox.stats()["writes"] == 4 + 4 + 3 + 3
    # The link PUTs reuse the customers' source keys (journal source ``...#links``): the
    # ledger still holds each customer row's identity once, at its own number.
    with sqlite3.connect(state_home / "ledger.sqlite") as db:
        held = db.execute("SELECT identity, record_id FROM ledger WHERE entity='customers'")
        assert sorted(held.fetchall()) == [(f"key:C{n}", f"50{n}") for n in (1, 2, 3, 4)]

    writes = sandbox.stats()["writes"]
    again = import_job(cli, sandbox, job, tmp_path / "r2", "--mode", "upsert")
    assert again.code == 0, again.out
    assert sandbox.stats()["writes"] == writes
    assert {k: v[1] for k, v in links_of(results(tmp_path / "r2")).items()} == {
        "C1": "unchanged", "C2": "unchanged", "C3": "unchanged", "C4": ""}  # fmt: skip
    create_again = import_job(cli, sandbox, job, tmp_path / "r3")
    assert sandbox.stats()["writes"] == writes  # create mode: every record exists, skipped
    # Issue #9: a skip because the record already exists is a success, so this exits 0.
    assert create_again.code == 0, create_again.out
    summary = json.loads((tmp_path / "r3" / "summary.json").read_text())
    assert summary["skipped"] == summary["skipped_existing"] == summary["rows"] == 11
    # From a fresh journal, the children recognised as there already (skipped) still
    # go into the child index, so customers of a later run can link to them by key.
    fresh = tmp_path / "fresh.sqlite"
    assert import_job(cli, sandbox, job, tmp_path / "r4", "--journal", fresh).code == 0
    with sqlite3.connect(fresh) as db:
        known = db.execute("SELECT entity, source_key FROM child_keys").fetchall()
    assert sorted(k for _, k in known) == ["L1", "L2", "L3", "P1", "P2", "P3", "P4"]
    rows = results(tmp_path / "r4")
    assert {r["status"] for r in rows} == {"skipped"}
    assert sandbox.stats()["writes"] == writes


def test_a_link_to_another_customers_child_fails_its_row_before_any_request(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(
        tmp_path / "job", CUSTOMERS.replace("C3,503,Gamma ApS,P4", "C3,503,Gamma ApS,P1")
    )
    result = import_job(cli, sandbox, job, tmp_path / "r")
    rows = {r["key"]: r for r in results(tmp_path / "r")}
    bad = rows["C3"]
    assert (bad["status"], bad["links"], bad["id"]) == ("created", "failed", "503")
    assert "contacts.csv row 2) belongs to customer 501, not to customer 503" in bad["errors"]
    got = sandbox.call(lambda: api_get(sandbox.url, "/customers/503"))
    assert "customerContact" not in got and "defaultDeliveryLocation" not in got  # all or none
    assert sandbox.stats()["writes"] == 4 + 4 + 3 + 2  # no PUT for 503
    errors_csv = (tmp_path / "r" / "errors-customers.csv").read_text(encoding="utf-8")
    assert "C3,503,Gamma ApS,P1" in errors_csv and "LINK_OTHER_CUSTOMER" in errors_csv
    assert result.code == 1


def test_links_by_number_set_existing_records_and_a_stranger_is_refused(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(tmp_path / "job", CUSTOMERS.replace("P2,L1", ",L1"))
    assert import_job(cli, sandbox, job, tmp_path / "r").code == 0
    contacts = {c["name"]: c["customerContactNumber"]
                for n in (501, 502)
                for c in sandbox.call(lambda n=n: api_get(sandbox.url, f"/customers/{n}/contacts"))[
                    "collection"]}  # fmt: skip
    source = tmp_path / "numbers.csv"
    source.write_text(
        "customerNumber,name,currency,customerGroup.customerGroupNumber,"
        "paymentTerms.paymentTermsNumber,vatZone.vatZoneNumber,attention.customerContactNumber\n"
        f"501,Alfa ApS,DKK,1,1,1,{contacts['Bo']}\n502,Beta ApS,DKK,1,1,1,{contacts['Anna']}\n",
        encoding="utf-8",
    )
    writes = sandbox.stats()["writes"]
    result = cli("import", source, "--mode", "update", "--base-url", sandbox.url,
                 "--report", tmp_path / "n")  # fmt: skip
    rows = results(tmp_path / "n")
    assert [(r["status"], r["links"]) for r in rows] == [
        ("unchanged", "set"),
        ("unchanged", "failed"),
    ]
    assert f"customer 502 has no contact {contacts['Anna']}" in rows[1]["errors"]
    assert sandbox.stats()["writes"] == writes + 1
    got = sandbox.call(lambda: api_get(sandbox.url, "/customers/501"))
    assert got["attention"]["customerContactNumber"] == contacts["Bo"]
    assert got["customerContact"]["customerContactNumber"] == contacts["Anna"]  # kept
    assert result.code == 1


def test_export_keeps_the_links_and_its_upsert_writes_nothing(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(tmp_path / "job")
    assert import_job(cli, sandbox, job, tmp_path / "r").code == 0
    out = tmp_path / "customers.csv"
    assert cli("export", "customers", "-o", out, "--base-url", sandbox.url).code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.DictReader(handle))
    linked = [r for r in exported if r["customerContact.customerContactNumber"]]
    assert len(linked) == 3 and all(
        r["defaultDeliveryLocation.deliveryLocationNumber"] for r in linked
    )
    writes = sandbox.stats()["writes"]
    again = cli("import", out, "--mode", "upsert", "--base-url", sandbox.url,
                "--report", tmp_path / "up")  # fmt: skip
    rows = results(tmp_path / "up")
    assert {(r["status"], r["links"]) for r in rows} == {
        ("unchanged", "unchanged"),
        ("unchanged", ""),
    }
    assert sandbox.stats()["writes"] == writes
    assert again.code == 0


def test_a_link_key_and_number_for_the_same_link_is_invalid(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    source = tmp_path / "both.csv"
    source.write_text(
        "customerNumber,name,currency,customerGroup.customerGroupNumber,"
        "paymentTerms.paymentTermsNumber,vatZone.vatZoneNumber,attention.key,"
        "attention.customerContactNumber\n601,Alfa,DKK,1,1,1,P1,7\n",
        encoding="utf-8",
    )
    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "b")
    row = results(tmp_path / "b")[0]
    assert row["status"] == "invalid" and "not both" in row["errors"]
    assert sandbox.stats()["writes"] == 0
    assert result.code == 1
    assert set(LINK_COLUMNS) >= {"attention.key", "attention.customerContactNumber"}


def _journal_rows(path: Path) -> dict[str, int]:
    """Done child rows and link rows of the journal (read while the importer writes it)."""
    if not path.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            found = db.execute(
                "SELECT SUM(state='done' AND (source_id LIKE 'contacts:%'"
                " OR source_id LIKE 'delivery-locations:%')),"
                " SUM(source_id LIKE '%#links') FROM rows"
            ).fetchone()
    except sqlite3.OperationalError:  # not created yet
        return {}
    return {"children": int(found[0] or 0), "links": int(found[1] or 0)}


def test_a_run_killed_between_the_creates_and_the_links_resumes_and_links_exactly_once(
    tmp_path: Path,
) -> None:
    job = write_job(tmp_path / "job")
    journal = job.parent / "journal.sqlite"
    with sandbox_process("--latency-ms", "300", "--seed", "7") as sandbox:

        def command(report: str) -> list[str]:
            return [sys.executable, "-m", "pipeline", "import", "--job", str(job),
                    "--base-url", sandbox.url, "--report", str(tmp_path / report),
                    "--journal", str(journal), "--no-progress"]  # fmt: skip

        process = subprocess.Popen(command("r1"), env=env_with_tokens(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + PROCESS_TIMEOUT_S
        seen: dict[str, int] = {}
        while time.monotonic() < deadline and process.poll() is None:
            seen = _journal_rows(journal)
            if seen.get("children") == 7:
                break
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=PROCESS_TIMEOUT_S)
        assert seen == {"children": 7, "links": 0}, seen  # killed before any link was sent
        assert process.returncode == -signal.SIGKILL

        resumed = subprocess.run(command("r2"), env=env_with_tokens(), capture_output=True,
                                 text=True, timeout=PROCESS_TIMEOUT_S)  # fmt: skip
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert "resuming the unfinished run" in resumed.stdout
        assert {k: v[1] for k, v in links_of(results(tmp_path / "r2")).items()} == {
            "C1": "set", "C2": "set", "C3": "set", "C4": ""}  # fmt: skip
        assert references(lambda p: _get(sandbox.url, p)) == WANTED
        counts = next(iter(sandbox.stats()["agreements"].values()))
        assert (counts["customers"], counts["contacts"], counts["delivery-locations"]) == (4, 4, 3)
        assert sandbox.stats()["writes"] == 4 + 4 + 3 + 3  # every link exactly once

        writes = sandbox.stats()["writes"]
        upsert = subprocess.run([*command("r3"), "--mode", "upsert"], env=env_with_tokens(),
                                capture_output=True, text=True,
                                timeout=PROCESS_TIMEOUT_S)  # fmt: skip
        assert upsert.returncode == 0, upsert.stdout + upsert.stderr
        assert sandbox.stats()["writes"] == writes


def _get(url: str, path: str) -> Any:
    import urllib.request

    from tests.conftest import APP_TOKEN, GRANT_TOKEN

    headers = {"X-AppSecretToken": APP_TOKEN, "X-AgreementGrantToken": GRANT_TOKEN}
    with urllib.request.urlopen(urllib.request.Request(url + path, headers=headers),
                                timeout=30) as resp:  # fmt: skip
        return json.load(resp)


@pytest.mark.parametrize(
    "column", ["customerContact.key", "attention.key", "defaultDeliveryLocation.key"]
)
def test_the_link_keys_are_customer_properties_in_a_file_without_mapping(
    column: str, cli, tmp_path: Path
) -> None:
    source = tmp_path / "c.csv"
    source.write_text(f"customerNumber,name,{column}\n7,Alfa,K1\n", encoding="utf-8")
    result = cli("validate", source, "--report", tmp_path / "v")
    assert result.code in (0, 1), result.err
    assert results(tmp_path / "v")[0]["status"] in ("valid", "invalid")


def test_a_preview_of_a_linking_job_sends_nothing_and_counts_the_link_puts(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(tmp_path / "job")
    writes = sandbox.stats()["writes"]
    preview = cli("validate", "--job", job, "--base-url", sandbox.url,
                  "--report", tmp_path / "p")  # fmt: skip
    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == writes  # no create, and no link PUT
    assert "not previewed" not in preview.out + preview.err
    assert "Changes (nothing was sent): 11 to create" in preview.out  # and by entity:
    assert "links: 3 customers to link, 0 unchanged, 0 refused" in preview.out
    lines = [line.split() for line in preview.out.splitlines()]
    assert ["total", "customers"] in [words[:2] for words in lines]
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["changes"]["create"] == 4 + 4 + 3
    assert summary["changes"]["links"] == 3  # C1, C2, C3: one link PUT each
    assert len(summary["by_entity"]) == 3  # customers, contacts, delivery locations
    assert summary["links_set"] == 0
