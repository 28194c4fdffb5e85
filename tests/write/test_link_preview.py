"""The link phase in a preview (issues #11 and #14): a dry run with a target lists each
customer's link PUT as ``update`` lines of its row, refuses the links the import refuses,
and sends only GETs; the import that follows sends exactly the link PUTs it listed. The
real CLI against the real sandbox, with the job of ``tests/write/test_links.py``."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from pipeline.constraints import CUSTOMERS
from pipeline.write import CHANGE_COLUMNS
from tests.conftest import SandboxHandle, api_get
from tests.write.test_links import CONTACTS, MAPPINGS, import_job, results, write_job
from tests.write.test_links import CUSTOMERS as CUSTOMER_ROWS

#: A preview's stand-in for a child the import would create: ``new contact (PATH row N)``.
PLANNED = re.compile(r"new (?:contact|delivery location) \((?P<source>.+) row (?P<row>\d+)\)")


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def preview_job(cli, sandbox: SandboxHandle, job: Path, report: Path, *extra: str):  # type: ignore[no-untyped-def]
    return cli("validate", "--job", job, "--base-url", sandbox.url, "--report", report, *extra)


def link_lines(report: Path) -> list[list[str]]:
    """changes.csv's lines of link properties."""
    paths = {link.path for link in CUSTOMERS.links}
    return [line for line in read_rows(report / "changes.csv")[1:] if line[7] in paths]


def customer_rows(report: Path) -> dict[str, tuple[str, str, str]]:
    """Each customer row's (status, links, errors) in results.csv, by source key."""
    rows = results(report)
    return {r["key"]: (r["status"], r["links"], r["errors"]) for r in rows
            if r["entity"] == "customers"}  # fmt: skip


def check_sent_as_listed(sandbox: SandboxHandle, lines: list[list[str]], report: Path) -> None:
    """Every previewed link line is what the customer holds after the import: a number as
    given, a stand-in as the number the import gave that child row."""
    ids = {(r["source"], r["row"]): r["id"] for r in results(report)}
    by_path = {link.path: link for link in CUSTOMERS.links}
    for line in lines:
        held = sandbox.call(lambda n=line[5]: api_get(sandbox.url, f"/customers/{n}"))
        link = by_path[line[7]]
        number = str((held.get(link.object) or {}).get(link.number_property))
        planned = PLANNED.fullmatch(line[9])
        wanted = ids[(planned["source"], planned["row"])] if planned else line[9]
        assert (line[5], line[7], number) == (line[5], line[7], wanted)


def test_a_preview_lists_each_link_put_and_the_import_sends_exactly_those(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(tmp_path / "job")
    c, p, loc = (str(job.parent / name) for name in ("customers.csv", "contacts.csv",
                                                     "locations.csv"))  # fmt: skip

    preview = preview_job(cli, sandbox, job, tmp_path / "p")

    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == 0  # only GETs
    main, att = "customerContact.customerContactNumber", "attention.customerContactNumber"
    where = "defaultDeliveryLocation.deliveryLocationNumber"
    lines = read_rows(tmp_path / "p" / "changes.csv")
    # The link phase runs after the children's steps: its lines come last.
    assert [line[6] for line in lines[1:]] == ["create"] * (4 * 6 + 4 * 3 + 3 * 3) + ["update"] * 8
    assert lines[-8:] == [
        [c, "", "2", "customers", "C1", "501", "update", main, "", f"new contact ({p} row 2)"],
        [c, "", "2", "customers", "C1", "501", "update", att, "", f"new contact ({p} row 3)"],
        [c, "", "2", "customers", "C1", "501", "update", where, "",
         f"new delivery location ({loc} row 2)"],
        [c, "", "3", "customers", "C2", "502", "update", main, "", f"new contact ({p} row 4)"],
        [c, "", "3", "customers", "C2", "502", "update", att, "", f"new contact ({p} row 4)"],
        [c, "", "3", "customers", "C2", "502", "update", where, "",
         f"new delivery location ({loc} row 3)"],
        [c, "", "4", "customers", "C3", "503", "update", main, "", f"new contact ({p} row 5)"],
        [c, "", "4", "customers", "C3", "503", "update", where, "",
         f"new delivery location ({loc} row 4)"],
    ]  # fmt: skip
    assert {k: v[:2] for k, v in customer_rows(tmp_path / "p").items()} == {
        "C1": ("valid", "valid"), "C2": ("valid", "valid"), "C3": ("valid", "valid"),
        "C4": ("valid", ""),
    }  # fmt: skip
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["changes"] == {"create": 11, "update": 0, "links": 3, "unchanged": 0,
                                  "skip": 0}  # fmt: skip
    assert (summary["links_set"], summary["links_unchanged"], summary["links_failed"]) == (0, 0, 0)
    assert "links: 3 customers to link, 0 unchanged, 0 refused" in preview.out

    done = import_job(cli, sandbox, job, tmp_path / "i")

    assert done.code == 0, done.out
    # Exactly the listed writes: 11 creates, and one link PUT per customer with lines.
    assert sandbox.stats()["writes"] == 11 + 3
    linked = {k for k, (_, cell, _) in customer_rows(tmp_path / "i").items() if cell == "set"}
    assert linked == {line[4] for line in lines[-8:]} == {"C1", "C2", "C3"}
    check_sent_as_listed(sandbox, lines[-8:], tmp_path / "i")

    # Previewed again, nothing is left to change, links included; imported again, no write.
    again = preview_job(cli, sandbox, job, tmp_path / "p2", "--mode", "upsert")
    assert again.code == 0, again.out
    assert read_rows(tmp_path / "p2" / "changes.csv") == [list(CHANGE_COLUMNS)]
    summary = json.loads((tmp_path / "p2" / "summary.json").read_text())
    assert summary["changes"] == {"create": 0, "update": 0, "links": 0, "unchanged": 11,
                                  "skip": 0}  # fmt: skip
    assert {k: v[1] for k, v in customer_rows(tmp_path / "p2").items()} == {
        "C1": "unchanged", "C2": "unchanged", "C3": "unchanged", "C4": ""}  # fmt: skip
    assert "links: 0 customers to link, 3 unchanged, 0 refused" in again.out
    writes = sandbox.stats()["writes"]
    assert import_job(cli, sandbox, job, tmp_path / "i2", "--mode", "upsert").code == 0
    assert sandbox.stats()["writes"] == writes


def numbers(report: Path) -> dict[str, str]:
    """The number the import gave each row, by source key."""
    return {r["key"]: r["id"] for r in results(report)}


def test_a_preview_shows_a_changed_link_old_and_new(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(tmp_path / "job")
    assert import_job(cli, sandbox, job, tmp_path / "i1").code == 0
    n = numbers(tmp_path / "i1")
    # C1's attention moves to an existing contact, C2's to a contact the import will create.
    edited = CUSTOMER_ROWS.replace("C1,501,Alfa ApS,P1,P2", "C1,501,Alfa ApS,P1,P1").replace(
        "C2,502,Beta ApS,P3,P3", "C2,502,Beta ApS,P3,P5"
    )
    (job.parent / "customers.csv").write_text(edited, encoding="utf-8")
    (job.parent / "contacts.csv").write_text(CONTACTS + "P5,C2,Eva,eva@beta.dk\n",
                                             encoding="utf-8")  # fmt: skip
    c, p = str(job.parent / "customers.csv"), str(job.parent / "contacts.csv")
    writes = sandbox.stats()["writes"]

    preview = preview_job(cli, sandbox, job, tmp_path / "p", "--mode", "upsert")

    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == writes
    att = "attention.customerContactNumber"
    assert link_lines(tmp_path / "p") == [
        [c, "", "2", "customers", "C1", "501", "update", att, n["P2"], n["P1"]],
        [c, "", "3", "customers", "C2", "502", "update", att, n["P3"], f"new contact ({p} row 6)"],
    ]  # fmt: skip
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    # A row unchanged itself whose links change is in ``unchanged`` and in ``links``.
    assert summary["changes"] == {"create": 1, "update": 0, "links": 2, "unchanged": 11,
                                  "skip": 0}  # fmt: skip
    assert {k: v[1] for k, v in customer_rows(tmp_path / "p").items()} == {
        "C1": "valid", "C2": "valid", "C3": "unchanged", "C4": ""}  # fmt: skip

    done = import_job(cli, sandbox, job, tmp_path / "i2", "--mode", "upsert")

    assert done.code == 0, done.out
    assert sandbox.stats()["writes"] == writes + 1 + 2  # Eva, then two link PUTs
    check_sent_as_listed(sandbox, link_lines(tmp_path / "p"), tmp_path / "i2")
    held = sandbox.call(lambda: api_get(sandbox.url, "/customers/502"))
    assert held["customerContact"]["customerContactNumber"] == int(n["P3"])  # kept


REFUSED_CUSTOMERS = """key,customerNumber,name,main,att,delivery,attno
C1,501,Alfa ApS,P1,P2,L1,
C2,502,Beta ApS,P3,P9,L2,
C3,503,Gamma ApS,P1,,L3,
C4,504,Delta ApS,P5,,,
C5,505,Epsilon ApS,,,,999
"""


def test_a_preview_refuses_the_links_the_import_refuses_exactly_as_it_reports_them(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(tmp_path / "job", REFUSED_CUSTOMERS)
    mapping = MAPPINGS["customers.toml"].replace(
        '"att" = "attention.key"\n',
        '"att" = "attention.key"\n"attno" = "attention.customerContactNumber"\n',
    )
    (job.parent / "customers.toml").write_text(mapping, encoding="utf-8")
    # P5 names a customer key no row has: invalid, so C4's link to it cannot be set.
    (job.parent / "contacts.csv").write_text(CONTACTS + "P5,C9,Eva,eva@x.dk\n", encoding="utf-8")

    preview = preview_job(cli, sandbox, job, tmp_path / "p")

    assert preview.code == 1, preview.out + preview.err  # as the import: failed links
    assert sandbox.stats()["writes"] == 0
    assert [line[4] for line in link_lines(tmp_path / "p")] == ["C1", "C1", "C1"]
    assert "links: 1 customers to link, 0 unchanged, 4 refused" in preview.out
    previewed = customer_rows(tmp_path / "p")

    done = import_job(cli, sandbox, job, tmp_path / "i")

    assert done.code == 1, done.out
    imported = customer_rows(tmp_path / "i")
    codes = {
        "C2": "LINK_NOT_FOUND",  # no contact P9 in the run
        "C3": "LINK_OTHER_CUSTOMER",  # P1 is Alfa's
        "C4": "LINK_NOT_IMPORTED",  # P5 is invalid
        "C5": "LINK_NOT_FOUND",  # customer 505 has no contact 999 (a GET says so)
    }
    for key, code in codes.items():
        assert previewed[key][1:] == imported[key][1:], key  # the same cell and errors
        assert previewed[key][1] == "failed" and f"({code})" in previewed[key][2], key
    assert "customer 505 has no contact 999" in previewed["C5"][2]
    assert (previewed["C1"], imported["C1"]) == (("valid", "valid", ""), ("created", "set", ""))
    # The preview lists the refused rows in errors.jsonl and errors-customers.csv as well.
    for name in ("errors.jsonl", "errors-customers.csv"):
        assert (tmp_path / "p" / name).read_text() == (tmp_path / "i" / name).read_text()
    assert sandbox.stats()["writes"] == 5 + 4 + 3 + 1  # one link PUT: C1's


#: Customer C1 (501) renumbered to 5501 by ``currentCustomerNumber`` (as in
#: ``tests/write/test_renumber.py``), its main contact moved from Anna (P1) to Bo (P2), its
#: contacts a step of the same job: by key or by number, both already under 501.
RENUMBERED = "key,current,customerNumber,name,main\nC1,501,5501,Alfa ApS,{main}\n"


def renumber_job(job: Path, link: str, main: str) -> None:
    columns = '"current" = "currentCustomerNumber"\n"customerNumber" = "customerNumber"\n'
    mapping = MAPPINGS["customers.toml"].replace('"customerNumber" = "customerNumber"\n', columns)
    mapping = mapping.replace('"main" = "customerContact.key"', f'"main" = "{link}"')
    mapping = mapping.replace('"att" = "attention.key"\n', "").replace(
        '"delivery" = "defaultDeliveryLocation.key"\n', "")  # fmt: skip
    steps = MAPPINGS["job.toml"].split('[[steps]]\nentity = "delivery-locations"')[0]
    for name, text in {"customers.toml": mapping, "job.toml": steps,
                       "customers.csv": RENUMBERED.format(main=main),
                       "contacts.csv": "".join(CONTACTS.splitlines(True)[:3])}.items():  # fmt: skip
        (job.parent / name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("by", ["key", "number"])
def test_a_preview_of_a_renumbering_with_a_link_lists_both_writes_and_the_import_sends_them(
    by: str, sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    job = write_job(tmp_path / "job")
    assert import_job(cli, sandbox, job, tmp_path / "i1").code == 0
    n = numbers(tmp_path / "i1")
    main = "customerContact.customerContactNumber"
    renumber_job(job, *(("customerContact.key", "P2") if by == "key" else (main, n["P2"])))
    c = str(job.parent / "customers.csv")
    writes = sandbox.stats()["writes"]

    preview = preview_job(cli, sandbox, job, tmp_path / "p", "--mode", "upsert")

    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == writes
    # The renumbering PUT goes to 501, the link PUT after it to 5501: each line's ``id``.
    assert read_rows(tmp_path / "p" / "changes.csv")[1:] == [
        [c, "", "2", "customers", "C1", "501", "update", "customerNumber", "501", "5501"],
        [c, "", "2", "customers", "C1", "5501", "update", main, n["P1"], n["P2"]],
    ]
    assert customer_rows(tmp_path / "p") == {"C1": ("valid", "valid", "")}
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["changes"] == {"create": 0, "update": 1, "links": 1, "unchanged": 2,
                                  "skip": 0}  # fmt: skip

    done = import_job(cli, sandbox, job, tmp_path / "i2", "--mode", "upsert")

    assert done.code == 0, done.out
    assert sandbox.stats()["writes"] == writes + 2  # exactly the two writes listed
    assert customer_rows(tmp_path / "i2") == {"C1": ("updated", "set", "")}
    held = sandbox.call(lambda: api_get(sandbox.url, "/customers/5501"))
    assert held["customerContact"]["customerContactNumber"] == int(n["P2"])
    assert held["attention"]["customerContactNumber"] == int(n["P2"])  # as it was
    assert "customerNumber" not in sandbox.call(lambda: api_get(sandbox.url, "/customers/501"))

    # Previewed again, nothing is left to change, the link included; imported again, no write.
    again = preview_job(cli, sandbox, job, tmp_path / "p2", "--mode", "upsert")
    assert again.code == 0, again.out
    assert read_rows(tmp_path / "p2" / "changes.csv") == [list(CHANGE_COLUMNS)]
    assert customer_rows(tmp_path / "p2") == {"C1": ("unchanged", "unchanged", "")}
    assert import_job(cli, sandbox, job, tmp_path / "i3", "--mode", "upsert").code == 0
    assert sandbox.stats()["writes"] == writes + 2


#: Run 2 of a job imported before: C3 (503, Dora as main contact) gains Dora as attention
#: too, by the source key of run 1's contact row; run 2's job has no contacts step.
LATER_CUSTOMERS = "key,customerNumber,name,main,att,delivery\nC3,503,Gamma ApS,P4,P4,L3\n"


def customers_only_job(folder: Path, customers: str) -> Path:
    """A job of one step, customers, with the mapping of ``tests/write/test_links.py``."""
    folder.mkdir(parents=True, exist_ok=True)
    steps = MAPPINGS["job.toml"].split('[[steps]]\nentity = "contacts"')[0]
    for name, text in {"job.toml": steps, "customers.toml": MAPPINGS["customers.toml"],
                       "customers.csv": customers}.items():  # fmt: skip
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "job.toml"


def test_a_preview_links_to_a_child_of_an_earlier_run_by_key_reading_the_journal_only(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    first = write_job(tmp_path / "job")
    assert import_job(cli, sandbox, first, tmp_path / "i1").code == 0
    n = numbers(tmp_path / "i1")
    journal = first.parent / "journal.sqlite"
    job = customers_only_job(tmp_path / "later", LATER_CUSTOMERS)
    c = str(job.parent / "customers.csv")
    before = (journal.read_bytes(), journal.stat().st_mtime_ns)
    writes = sandbox.stats()["writes"]

    preview = preview_job(cli, sandbox, job, tmp_path / "p", "--mode", "upsert",
                          "--journal", journal)  # fmt: skip

    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == writes  # only GETs
    att = "attention.customerContactNumber"
    assert read_rows(tmp_path / "p" / "changes.csv")[1:] == [
        [c, "", "2", "customers", "C3", "503", "update", att, "", n["P4"]],
    ]
    assert customer_rows(tmp_path / "p") == {"C3": ("unchanged", "valid", "")}
    assert (journal.read_bytes(), journal.stat().st_mtime_ns) == before  # read, not written

    # A preview with no journal at all creates none, and refuses the link as the import does.
    fresh = tmp_path / "fresh" / "journal.sqlite"
    alone = preview_job(cli, sandbox, job, tmp_path / "p0", "--mode", "upsert",
                        "--journal", fresh)  # fmt: skip
    assert alone.code == 1, alone.out + alone.err
    assert not fresh.parent.exists()
    refused = customer_rows(tmp_path / "p0")
    assert refused["C3"][:2] == ("unchanged", "failed")
    assert "LINK_NOT_FOUND" in refused["C3"][2] and "'P4'" in refused["C3"][2]
    assert read_rows(tmp_path / "p0" / "changes.csv") == [list(CHANGE_COLUMNS)]

    done = import_job(cli, sandbox, job, tmp_path / "i2", "--mode", "upsert",
                      "--journal", journal)  # fmt: skip

    assert done.code == 0, done.out
    assert sandbox.stats()["writes"] == writes + 1  # exactly the link PUT listed
    assert customer_rows(tmp_path / "i2") == {"C3": ("unchanged", "set", "")}
    check_sent_as_listed(sandbox, link_lines(tmp_path / "p"), tmp_path / "i2")

    again = preview_job(cli, sandbox, job, tmp_path / "p2", "--mode", "upsert",
                        "--journal", journal)  # fmt: skip
    assert again.code == 0, again.out
    assert read_rows(tmp_path / "p2" / "changes.csv") == [list(CHANGE_COLUMNS)]
    assert customer_rows(tmp_path / "p2") == {"C3": ("unchanged", "unchanged", "")}
    # The import without that journal refuses the link exactly as the preview without it.
    blind = import_job(cli, sandbox, job, tmp_path / "i0", "--mode", "upsert",
                       "--journal", fresh)  # fmt: skip
    assert blind.code == 1, blind.out
    assert customer_rows(tmp_path / "i0") == refused
    assert sandbox.stats()["writes"] == writes + 1


def test_a_preview_finds_a_childs_parent_of_an_earlier_run_by_key_in_the_state_folder(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path, state_home: Path
) -> None:
    first = write_job(tmp_path / "job")
    # The state folder's journal, as a person's runs share it (no --journal).
    run = ("--base-url", sandbox.url, "--no-progress")
    assert cli("import", "--job", first, "--report", tmp_path / "i1", *run).code == 0
    journal = state_home / "journal.sqlite"
    before = (journal.read_bytes(), journal.stat().st_mtime_ns)
    folder = tmp_path / "later"
    folder.mkdir()
    (folder / "contacts.toml").write_text(MAPPINGS["contacts.toml"], encoding="utf-8")
    source = folder / "contacts.csv"
    source.write_text("key,customer,name,email\nP5,C2,Eva,eva@beta.dk\n", encoding="utf-8")
    contacts = ("contacts", source, "--mapping", folder / "contacts.toml", *run)
    writes = sandbox.stats()["writes"]

    preview = cli("validate", "--entity", *contacts, "--report", tmp_path / "p")

    assert preview.code == 0, preview.out + preview.err
    assert sandbox.stats()["writes"] == writes
    (row,) = results(tmp_path / "p")
    assert (row["status"], row["errors"]) == ("valid", "")
    lines = read_rows(tmp_path / "p" / "changes.csv")[1:]
    assert {line[6] for line in lines} == {"create"} and lines
    assert ["customer.customerNumber", "502"] in [line[7:10:2] for line in lines]
    assert (journal.read_bytes(), journal.stat().st_mtime_ns) == before

    done = cli("import", "--entity", *contacts, "--report", tmp_path / "i2")

    assert done.code == 0, done.out
    assert sandbox.stats()["writes"] == writes + 1  # the create listed
    (row,) = results(tmp_path / "i2")
    assert row["status"] == "created"
    held = sandbox.call(lambda: api_get(sandbox.url, "/customers/502/contacts"))
    assert "Eva" in {c["name"] for c in held["collection"]}

    again = cli("validate", "--entity", *contacts, "--report", tmp_path / "p2")
    assert again.code == 0, again.out
    assert read_rows(tmp_path / "p2" / "changes.csv") == [list(CHANGE_COLUMNS)]
