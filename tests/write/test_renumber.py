"""Renumbering customers (issue #14, point 2): ``currentCustomerNumber`` names the customer
as it is numbered today, ``customerNumber`` the number it gets; the real CLI and sandbox."""

from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipeline.constraints import CUSTOMERS
from pipeline.mapping import load_mapping
from pipeline.write import Status
from pipeline.write.decide import decide
from pipeline.write.reconcile import InDoubt, resolve
from tests.conftest import SandboxHandle, api_get
from tests.runs import (
    PROCESS_TIMEOUT_S,
    env_with_tokens,
    import_command,
    sandbox_process,
    wait_for_journal,
    write_customers,
)
from tests.write.test_links import MAPPINGS

BASE = (
    "name,currency,customerGroup.customerGroupNumber,paymentTerms.paymentTermsNumber,"
    "vatZone.vatZoneNumber"
)


def write(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text(header + "\n" + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def results(report: Path) -> list[dict[str, str]]:
    with (report / "results.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def get(sandbox: SandboxHandle, path: str) -> Any:
    return sandbox.call(lambda: api_get(sandbox.url, path))


@pytest.fixture
def customers_with_contacts(sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path) -> Path:
    """Customers 101-103 (source keys K1-K3), each with one contact; the journal's path."""
    customers = write(
        tmp_path / "customers.csv",
        "key,customerNumber," + BASE,
        [f"K{n},10{n},Kunde {n},DKK,1,1,1" for n in (1, 2, 3)],
    )
    mapping = tmp_path / "customers.toml"
    mapping.write_text(
        'entity = "customers"\nkey = "key"\n[columns]\n"key" = false\n'
        + "".join(f'"{c}" = "{c}"\n' for c in ["customerNumber", *BASE.split(",")]),
        encoding="utf-8",
    )
    contacts = write(
        tmp_path / "contacts.csv",
        "customer.key,name,email",
        [f"K{n},Person {n},p{n}@example.dk" for n in (1, 2, 3)],
    )
    journal = tmp_path / "journal.sqlite"
    first = cli("import", customers, "--mapping", mapping, "--base-url", sandbox.url,
                "--report", tmp_path / "c", "--journal", journal)  # fmt: skip
    second = cli("import", contacts, "--entity", "contacts", "--base-url", sandbox.url,
                 "--report", tmp_path / "k", "--journal", journal)  # fmt: skip
    assert (first.code, second.code) == (0, 0), first.out + second.out
    return journal


RENUMBER_HEADER = "currentCustomerNumber,customerNumber," + BASE


def renumber(cli, sandbox: SandboxHandle, tmp_path: Path, name: str, lines: list[str], *extra):  # type: ignore[no-untyped-def]
    source = write(tmp_path / f"{name}.csv", RENUMBER_HEADER, lines)
    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / name,
                 "--journal", tmp_path / "journal.sqlite", *extra)  # fmt: skip
    return result, results(tmp_path / name)


@pytest.mark.parametrize("mode", ["update", "upsert"])
def test_a_renumbered_customer_keeps_its_data_and_contacts_and_a_rerun_writes_nothing(
    mode: str, customers_with_contacts: Path, sandbox: SandboxHandle, cli, tmp_path: Path
) -> None:
    before = get(sandbox, "/customers/101/contacts")["collection"]
    result, rows = renumber(cli, sandbox, tmp_path, "r1",
                            ["101,5101,Kunde 1 Ny,DKK,1,1,1", "102,5102,Kunde 2,DKK,1,1,1"],
                            "--mode", mode)  # fmt: skip
    assert result.code == 0, result.out
    assert [(r["status"], r["id"]) for r in rows] == [("updated", "5101"), ("updated", "5102")]
    moved = get(sandbox, "/customers/5101")
    assert (moved["customerNumber"], moved["name"], moved["currency"]) == (
        5101,
        "Kunde 1 Ny",
        "DKK",
    )
    assert "customerNumber" not in get(sandbox, "/customers/101")  # the old number is gone
    after = get(sandbox, "/customers/5101/contacts")["collection"]
    assert [(c["customerContactNumber"], c["name"]) for c in after] == [
        (c["customerContactNumber"], c["name"]) for c in before
    ]

    writes = sandbox.stats()["writes"]
    again, rows = renumber(cli, sandbox, tmp_path, "r2",
                           ["101,5101,Kunde 1 Ny,DKK,1,1,1", "102,5102,Kunde 2,DKK,1,1,1"],
                           "--mode", mode)  # fmt: skip
    assert [(r["status"], r["id"]) for r in rows] == [("unchanged", "5101"), ("unchanged", "5102")]
    assert sandbox.stats()["writes"] == writes
    assert again.code == 0


def test_a_clashing_new_number_is_the_apis_400_on_its_row(
    customers_with_contacts: Path, sandbox: SandboxHandle, cli, tmp_path: Path
) -> None:
    result, rows = renumber(cli, sandbox, tmp_path, "r",
                            ["101,103,Kunde 1,DKK,1,1,1", "102,6102,Kunde 2,DKK,1,1,1"],
                            "--mode", "update")  # fmt: skip
    assert (rows[0]["status"], rows[0]["http_status"]) == ("rejected", "400")
    assert "already in use" in rows[0]["errors"] and "customerNumber" in rows[0]["errors"]
    assert rows[1]["status"] == "updated"
    assert get(sandbox, "/customers/101")["name"] == "Kunde 1"  # untouched
    assert get(sandbox, "/customers/103")["name"] == "Kunde 3"
    assert result.code == 1


def test_children_imported_later_by_source_key_land_on_the_new_number(
    customers_with_contacts: Path, sandbox: SandboxHandle, cli, tmp_path: Path
) -> None:
    result, _ = renumber(cli, sandbox, tmp_path, "r", ["103,7103,Kunde 3,DKK,1,1,1"],
                         "--mode", "upsert")  # fmt: skip
    assert result.code == 0
    with sqlite3.connect(customers_with_contacts) as db:
        keys = dict(
            db.execute("SELECT source_key, api_id FROM parent_keys WHERE entity='customers'")
        )
    assert keys["K3"] == "7103"
    late = write(tmp_path / "late.csv", "customer.key,name", ["K3,Sen Kontakt"])
    added = cli("import", late, "--entity", "contacts", "--base-url", sandbox.url,
                "--report", tmp_path / "late", "--journal", customers_with_contacts)  # fmt: skip
    assert added.code == 0, added.out
    names = [c["name"] for c in get(sandbox, "/customers/7103/contacts")["collection"]]
    assert names == ["Person 3", "Sen Kontakt"]


def test_renumbering_in_create_mode_is_refused_before_any_request(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    source = write(tmp_path / "r.csv", RENUMBER_HEADER, ["101,5101,Kunde 1,DKK,1,1,1"])
    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "r")
    assert result.code == 2
    assert "currentCustomerNumber (renumbering)" in result.err and "--mode update" in result.err
    assert sandbox.stats()["requests"] == 0


#: A whole customer, as the API holds one: a PUT is the merged record, and (issue #11)
#: that must have every required property.
HOLDER: dict[str, Any] = {
    "customerNumber": 8,
    "name": "Alfa",
    "currency": "DKK",
    "customerGroup": {"customerGroupNumber": 1},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}


@pytest.mark.parametrize(
    ("existing", "holder", "payload", "method", "status"),
    [
        pytest.param(
            {**HOLDER, "customerNumber": 7},
            None,
            {"customerNumber": 8, "name": "Alfa"},
            "PUT",
            None,
            id="current-exists-puts-to-it",
        ),
        pytest.param(
            None,
            HOLDER,
            {"customerNumber": 8, "name": "Alfa"},
            "",
            Status.UNCHANGED,
            id="renumbered-already-unchanged",
        ),
        pytest.param(
            None,
            HOLDER,
            {"customerNumber": 8, "name": "Beta"},
            "",
            Status.REJECTED,
            id="new-number-holds-other-data-rejected",
        ),
        pytest.param(
            None,
            None,
            {"customerNumber": 8, "name": "Alfa"},
            "",
            Status.REJECTED,
            id="neither-rejected",
        ),
    ],
)
def test_the_renumbering_decisions(
    existing: dict[str, Any] | None,
    holder: dict[str, Any] | None,
    payload: dict[str, Any],
    method: str,
    status: Status | None,
) -> None:
    decision = decide(CUSTOMERS, payload, mode="upsert", existing=existing, parent="", row=2,
                      renumber=("7", "8"), holder=holder)  # fmt: skip
    assert (decision.method, decision.status) == (method, status)
    if method:
        assert decision.path == "/customers/7"
        assert decision.body is not None and decision.body["customerNumber"] == 8
    if status is Status.REJECTED:
        assert decision.errors[0].property == "currentCustomerNumber"


def test_a_renumbering_in_doubt_found_at_its_new_number_is_updated_not_sent_again() -> None:
    """The PUT went out and the run died: the current number is gone, the new one holds
    the row's data, so the row's own write did it (``pipeline.write.reconcile``)."""
    doubt = InDoubt(method="PUT", key="econ-import-k", first_sent_at=None)
    resolution = resolve(CUSTOMERS, {"customerNumber": 8, "name": "Alfa"}, doubt=doubt,
                         found=None, has_match_key=True, mode="update", parent="", row=2,
                         fresh=True, renumber=("7", "8"), holder=HOLDER)  # fmt: skip
    assert (resolution.decision.status, resolution.decision.id) == (Status.UPDATED, "8")
    assert not resolution.decision.sends


def test_a_mapping_may_name_the_current_number_and_the_link_keys(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'entity = "customers"\n[columns]\n"Gammelt nr" = "currentCustomerNumber"\n'
        '"Nyt nr" = "customerNumber"\n"Att." = "attention.key"\n',
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.properties() == ["currentCustomerNumber", "customerNumber", "attention.key"]


def test_a_renumbering_killed_half_way_resumes_without_a_second_write(tmp_path: Path) -> None:
    """SIGKILL while PUTs are in flight, then the same command: every customer renumbered
    once, those in flight found at their new number; a third run writes nothing."""
    numbers = range(1001, 1031)
    journal = tmp_path / "journal.sqlite"
    with sandbox_process("--latency-ms", "60", "--seed", "3") as sandbox:
        created = subprocess.run(
            import_command(write_customers(tmp_path / "c.csv", numbers), url=sandbox.url,
                           report=tmp_path / "c", journal=journal),
            env=env_with_tokens(), capture_output=True, timeout=PROCESS_TIMEOUT_S,
        )  # fmt: skip
        assert created.returncode == 0, created.stdout
        source = write(tmp_path / "r.csv", "currentCustomerNumber,customerNumber," + BASE,
                       [f"{n},{n + 8000},Kunde {n} ApS,DKK,1,1,1" for n in numbers])  # fmt: skip
        command = [*import_command(source, url=sandbox.url, report=tmp_path / "r1",
                                   journal=journal, concurrency=4), "--mode", "update"]  # fmt: skip
        process = subprocess.Popen(command, env=env_with_tokens(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        reached = wait_for_journal(journal, process, done=30 + 8)  # the creates, then 8
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=PROCESS_TIMEOUT_S)
        assert reached, "the renumbering finished before it could be killed"

        command[command.index(str(tmp_path / "r1"))] = str(tmp_path / "r2")
        resumed = subprocess.run(command, env=env_with_tokens(), capture_output=True,
                                 text=True, timeout=PROCESS_TIMEOUT_S)  # fmt: skip
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        rows = results(tmp_path / "r2")
        assert [(r["status"], r["id"]) for r in rows] == [
            ("updated", str(n + 8000)) for n in numbers
        ]
        assert sorted(c["customerNumber"] for c in sandbox.customers()) == [
            n + 8000 for n in numbers
        ]
        assert sandbox.stats()["writes"] <= 30 + 30 + 4  # at most the in-flight ones twice

        writes = sandbox.stats()["writes"]
        command[command.index(str(tmp_path / "r2"))] = str(tmp_path / "r3")
        again = subprocess.run(command, env=env_with_tokens(), capture_output=True,
                               text=True, timeout=PROCESS_TIMEOUT_S)  # fmt: skip
        assert again.returncode == 0, again.stdout
        assert {r["status"] for r in results(tmp_path / "r3")} == {"unchanged"}
        assert sandbox.stats()["writes"] == writes


def test_a_preview_of_a_renumbering_writes_nothing_and_lists_the_number_change(
    customers_with_contacts: Path, sandbox: SandboxHandle, cli, tmp_path: Path
) -> None:
    source = write(tmp_path / "p.csv", RENUMBER_HEADER, ["101,5101,Kunde 1,DKK,1,1,1"])
    writes = sandbox.stats()["writes"]
    for attempt in ("p1", "p2"):  # twice in a row: the same lines, still nothing sent
        preview = cli("validate", source, "--mode", "update", "--base-url", sandbox.url,
                      "--report", tmp_path / attempt)  # fmt: skip
        assert preview.code == 0, preview.out + preview.err
        assert sandbox.stats()["writes"] == writes
        with (tmp_path / attempt / "changes.csv").open(encoding="utf-8", newline="") as handle:
            lines = list(csv.DictReader(handle))
        assert [(r["id"], r["action"], r["property"], r["old"], r["new"]) for r in lines] == [
            ("101", "update", "customerNumber", "101", "5101")
        ]
    assert get(sandbox, "/customers/101")["name"] == "Kunde 1"  # still at its old number


def test_the_ledger_follows_a_renumbering_and_later_runs_land_on_the_new_number(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    """Customers without numbers (the API gives them), known by source key through the
    state folder's ledger and journal; renumbered by a file without keys. A re-run of the
    renumbering, a re-run of the first import and a later contacts import by key all find
    the customer at its new number, and write only the contacts."""
    customers = write(tmp_path / "customers.csv", "key," + BASE,
                      [f"K{n},Kunde {n},DKK,1,1,1" for n in (1, 2)])  # fmt: skip
    mapping = tmp_path / "customers.toml"
    mapping.write_text(
        'entity = "customers"\nkey = "key"\n[columns]\n"key" = false\n'
        + "".join(f'"{c}" = "{c}"\n' for c in BASE.split(",")),
        encoding="utf-8",
    )

    def run(source: Path, name: str, *extra: object):  # type: ignore[no-untyped-def]
        result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / name,
                     "--no-progress", *extra)  # fmt: skip
        return result, results(tmp_path / name)

    first, rows = run(customers, "c1", "--mapping", mapping)
    assert first.code == 0, first.out
    old = {r["key"]: r["id"] for r in rows}
    source = write(tmp_path / "renumber.csv", RENUMBER_HEADER,
                   [f"{old['K1']},7001,Kunde 1,DKK,1,1,1"])  # fmt: skip
    moved, rows = run(source, "r1", "--mode", "upsert")
    assert moved.code == 0, moved.out
    assert [(r["status"], r["id"]) for r in rows] == [("updated", "7001")]
    writes = sandbox.stats()["writes"]

    again, rows = run(source, "r2", "--mode", "upsert")
    assert again.code == 0, again.out
    assert [(r["status"], r["id"]) for r in rows] == [("unchanged", "7001")]
    repeat, rows = run(customers, "c2", "--mapping", mapping)  # create mode, no numbers
    assert repeat.code == 0, repeat.out
    assert [(r["key"], r["status"], r["id"]) for r in rows] == [
        ("K1", "skipped", "7001"), ("K2", "skipped", old["K2"])]  # fmt: skip
    assert "(ledger)" in rows[0]["errors"]
    assert sandbox.stats()["writes"] == writes  # nothing written twice
    assert len(get(sandbox, "/customers")["collection"]) == 2

    contacts = write(tmp_path / "contacts.csv", "customer.key,name,email",
                     ["K1,Person 1,p1@example.dk"])  # fmt: skip
    added, rows = run(contacts, "k", "--entity", "contacts")
    assert added.code == 0, added.out
    assert rows[0]["status"] == "created"
    assert [c["name"] for c in get(sandbox, "/customers/7001/contacts")["collection"]] == [
        "Person 1"
    ]


#: Customer C1 (501) with contact P1 and location L1; then C1 renumbered to 5501, with a
#: new contact P5 and a new location L5 naming it in the same job, P1 and L1 kept. By
#: number, a child names C1 as 501 first, then as 5501, the number the import gives it.
MOVING = {"customers.csv": "key,current,customerNumber,name\nC1,,501,Alfa ApS\n",
          "contacts.csv": "key,customer,name,email\nP1,C1,Anna,anna@alfa.dk\n",
          "locations.csv": "key,customer,address,postalCode\nL1,C1,Vej 1,5000\n"}  # fmt: skip
MOVED = {"customers.csv": "key,current,customerNumber,name\nC1,501,5501,Alfa ApS\n",
         "contacts.csv": MOVING["contacts.csv"] + "P5,C1,Eva,eva@alfa.dk\n",
         "locations.csv": MOVING["locations.csv"] + "L5,C1,Vej 5,6000\n"}  # fmt: skip


@pytest.mark.parametrize("by", ["key", "number"])
def test_a_preview_lists_the_children_of_a_renumbered_customer_under_its_new_number(
    by: str, sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    mapping = "\n".join(line for line in MAPPINGS["customers.toml"].splitlines()
                        if not line.startswith(('"main"', '"att"', '"delivery"')))  # fmt: skip
    files = {**MAPPINGS, "customers.toml": mapping.replace(
        '"key" = false', '"key" = false\n"current" = "currentCustomerNumber"') + "\n"}  # fmt: skip
    if by == "number":
        for name in ("contacts.toml", "locations.toml"):
            files[name] = files[name].replace('"customer.key"', '"customer.customerNumber"')
    job = tmp_path / "job"
    job.mkdir()

    def write_files(texts: dict[str, str], number: str) -> None:
        for name, text in texts.items():
            text = text.replace(",C1,", f",{number},") if by == "number" else text
            (job / name).write_text(text, encoding="utf-8")

    write_files({**files, **MOVING}, "501")
    run = ("--job", job / "job.toml", "--base-url", sandbox.url, "--mode", "upsert",
           "--journal", job / "journal.sqlite")  # fmt: skip
    assert cli("import", *run, "--report", tmp_path / "i1").code == 0
    write_files(MOVED, "5501")
    c, p, loc = (str(job / f"{name}.csv") for name in ("customers", "contacts", "locations"))
    writes = sandbox.stats()["writes"]

    preview = cli("validate", *run, "--report", tmp_path / "p")

    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == writes
    with (tmp_path / "p" / "changes.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))[1:]
    assert lines == [
        [c, "", "2", "customers", "C1", "501", "update", "customerNumber", "501", "5501"],
        [p, "", "3", "contacts", "P5", "", "create", "customer.customerNumber", "", "5501"],
        [p, "", "3", "contacts", "P5", "", "create", "name", "", "Eva"],
        [p, "", "3", "contacts", "P5", "", "create", "email", "", "eva@alfa.dk"],
        [loc, "", "3", "delivery-locations", "L5", "", "create", "customer.customerNumber", "",
         "5501"],
        [loc, "", "3", "delivery-locations", "L5", "", "create", "address", "", "Vej 5"],
        [loc, "", "3", "delivery-locations", "L5", "", "create", "postalCode", "", "6000"],
    ]  # fmt: skip
    assert [r["status"] for r in results(tmp_path / "p")] == ["valid", "unchanged", "valid",
                                                               "unchanged", "valid"]  # fmt: skip

    done = cli("import", *run, "--report", tmp_path / "i2")

    assert done.code == 0, done.out
    assert [(r["key"], r["status"]) for r in results(tmp_path / "i2")] == [
        ("C1", "updated"), ("P1", "unchanged"), ("P5", "created"), ("L1", "unchanged"),
        ("L5", "created")]  # fmt: skip
    assert sandbox.stats()["writes"] == writes + 3  # exactly the three writes listed
    held = get(sandbox, "/customers/5501/contacts")["collection"]
    assert sorted(c["name"] for c in held) == ["Anna", "Eva"]
    located = get(sandbox, "/customers/5501/delivery-locations")["collection"]
    assert sorted(d["address"] for d in located) == ["Vej 1", "Vej 5"]

    again = cli("validate", *run, "--report", tmp_path / "p2")
    assert again.code == 0, again.out + again.err
    assert (tmp_path / "p2" / "changes.csv").read_text(encoding="utf-8-sig").count("\n") == 1
    assert cli("import", *run, "--report", tmp_path / "i3").code == 0
    assert sandbox.stats()["writes"] == writes + 3
