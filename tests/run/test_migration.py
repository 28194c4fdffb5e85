"""Whole migrations (issue #4): dependency order, parents, names, re-runs; the real CLI."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from pipeline.api import RateState
from pipeline.constraints import CUSTOMERS, ENTITIES
from pipeline.run.console import plan_lines
from tests.conftest import REPO, CliResult, SandboxHandle, api_get

JOB = REPO / "mappings" / "legacy-erp.toml"


def read_results(report: Path) -> list[dict[str, str]]:
    with (report / "results.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def by_row(results: list[dict[str, str]], entity: str) -> dict[int, dict[str, str]]:
    return {int(r["row"]): r for r in results if r["entity"] == entity}


def writes(sandbox: SandboxHandle) -> int:
    return int(sandbox.stats()["writes"])


@pytest.fixture
def migrated(sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path) -> list[dict[str, str]]:
    """The sample migration, imported once into a fresh sandbox."""
    result: CliResult = cli(
        "import", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "run1"
    )
    assert result.code == 1, result.err  # the sample has bad rows on purpose
    return read_results(tmp_path / "run1")


def test_every_row_of_every_sheet_is_in_the_report_in_dependency_order(migrated) -> None:
    entities = [r["entity"] for r in migrated]
    assert entities == sorted(
        entities,
        key=["customer-groups", "customers", "contacts", "delivery-locations"].index,
    )
    counts = {e: entities.count(e) for e in set(entities)}
    # samples/legacy-erp.xlsx: 6 groups, 220 customers, 320 contacts, 110 locations.
    assert counts == {
        "customer-groups": 6,
        "customers": 220,
        "contacts": 320,
        "delivery-locations": 110,
    }


def test_groups_exist_before_the_customers_that_use_them(migrated) -> None:
    customers = by_row(migrated, "customers")
    in_new_groups = [r for r in customers.values() if r["status"] == "created"]
    assert len(in_new_groups) > 200  # groups 10-14 are created by the same run


def test_children_find_their_parent_by_source_key_and_by_number(
    migrated, sandbox: SandboxHandle
) -> None:
    contacts = by_row(migrated, "contacts")
    created = [r for r in contacts.values() if r["status"] == "created"]
    assert len(created) == 314
    first = contacts[2]  # points at customer key C-001708, the customer on row 4
    customers = by_row(migrated, "customers")
    parent = customers[4]
    assert parent["key"] == "C-001708" and parent["status"] == "created"
    stats = sandbox.stats()["agreements"]
    assert next(iter(stats.values()))["contacts"] == 314
    assert first["status"] == "created"


def test_children_of_failed_parents_are_skipped_and_never_sent(migrated) -> None:
    contact = by_row(migrated, "contacts")[238]
    location = by_row(migrated, "delivery-locations")[82]
    assert contact["status"] == "skipped"
    assert "C-015503" in contact["errors"] and "was not imported: invalid" in contact["errors"]
    assert location["status"] == "skipped"
    assert "was not imported: rejected" in location["errors"]
    assert contact["http_status"] == location["http_status"] == ""


def test_an_unknown_parent_key_is_a_row_error(migrated) -> None:
    row = by_row(migrated, "contacts")[292]
    assert row["status"] == "invalid"
    assert "no customer with source key 'C-999999'" in row["errors"]


def test_names_are_resolved_and_unknown_names_reported_before_sending(migrated) -> None:
    customers = by_row(migrated, "customers")
    assert customers[2]["status"] == "created"  # payment terms given by name
    unknown = customers[14]
    assert unknown["status"] == "invalid" and unknown["http_status"] == ""
    assert "PaymentTerms named 'Netto 45 dage' not found" in unknown["errors"]


def test_unknown_names_are_found_in_a_dry_run_with_the_sandbox(cli, tmp_path: Path) -> None:
    result = cli("validate", "--job", JOB, "--sandbox", "--report", tmp_path / "dry")
    rows = by_row(read_results(tmp_path / "dry"), "customers")
    assert result.code == 1
    assert rows[14]["status"] == "invalid"
    assert "Netto 45 dage" in rows[14]["errors"]
    assert rows[2]["status"] == "valid"


def test_running_the_migration_twice_creates_nothing_the_second_time(
    migrated, sandbox: SandboxHandle, cli, tmp_path: Path
) -> None:
    before = writes(sandbox)
    second = cli("import", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "run2")
    results = read_results(tmp_path / "run2")
    assert writes(sandbox) == before
    statuses = {r["status"] for r in results}
    assert statuses <= {"skipped", "unchanged", "invalid", "rejected"}
    assert not any(r["status"] == "created" for r in results)
    first_ok = {(r["entity"], r["row"]) for r in migrated if r["status"] == "created"}
    now_skipped = {(r["entity"], r["row"]) for r in results if r["status"] == "skipped"}
    assert first_ok <= now_skipped  # every record made the first time is found the second
    assert json.loads((tmp_path / "run2" / "summary.json").read_text())["created"] == 0
    assert second.code == 1


def test_upsert_of_the_same_migration_reports_unchanged(
    migrated, sandbox: SandboxHandle, cli, tmp_path: Path
) -> None:
    before = writes(sandbox)
    cli(
        "import",
        "--job",
        JOB,
        "--base-url",
        sandbox.url,
        "--report",
        tmp_path / "up",
        "--mode",
        "upsert",
    )
    results = read_results(tmp_path / "up")
    unchanged = [r for r in results if r["status"] == "unchanged"]
    assert len(unchanged) == len([r for r in migrated if r["status"] == "created"])
    assert writes(sandbox) == before


def test_parents_are_found_across_runs_through_the_journal(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(
        "key,customerNumber,name,currency,customerGroup.customerGroupNumber,"
        "paymentTerms.paymentTermsNumber,vatZone.vatZoneNumber\n"
        "OLD-1,,Alfa ApS,DKK,1,1,1\n",
        encoding="utf-8",
    )
    customer_map = tmp_path / "customers.toml"
    customer_map.write_text(
        'entity = "customers"\nkey = "key"\n[columns]\n"key" = false\n'
        + "".join(
            f'"{c}" = "{c}"\n'
            for c in (
                "customerNumber",
                "name",
                "currency",
                "customerGroup.customerGroupNumber",
                "paymentTerms.paymentTermsNumber",
                "vatZone.vatZoneNumber",
            )
        ),
        encoding="utf-8",
    )
    contacts = tmp_path / "contacts.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["customer.key", "name", "email"])
    sheet.append(["OLD-1", "Anna Alfa", "anna@alfa.dk"])
    book.save(contacts)
    first = cli(
        "import",
        customers,
        "--mapping",
        customer_map,
        "--base-url",
        sandbox.url,
        "--report",
        tmp_path / "a",
    )
    assert first.code == 0, first.err
    number = read_results(tmp_path / "a")[0]["id"]  # server-assigned customer number
    second = cli(
        "import",
        contacts,
        "--entity",
        "contacts",
        "--base-url",
        sandbox.url,
        "--report",
        tmp_path / "b",
    )
    row = read_results(tmp_path / "b")[0]
    assert second.code == 0, second.out
    assert row["status"] == "created"
    got = sandbox.call(lambda: api_get(sandbox.url, f"/customers/{number}/contacts"))
    assert [c["name"] for c in got["collection"]] == ["Anna Alfa"]


def test_the_plan_states_calls_and_budget_before_sending(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    result = cli("import", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "p")
    assert "Plan: 656 rows in 4 input(s), about" in result.out
    assert "Budget: 100000 tokens per 60 s" in result.out


@pytest.mark.parametrize(
    ("calls", "warned"),
    [pytest.param(50_000, False, id="at-the-limit"), pytest.param(120_000, True, id="past-it")],
)
def test_the_plan_warns_past_the_fair_use_limit(calls: int, warned: bool) -> None:
    budget = RateState(limit=2000, window_s=60.0, used=0)
    lines = plan_lines(rows=calls, inputs=1, calls=calls, budget=budget)
    assert lines[1].startswith("Budget: 2000 tokens per 60 s (33.3 calls/s): about ")
    assert any("fair-use limit of 50000 calls per 24 hours" in line for line in lines) is warned
    if warned:
        assert "over 3 days" in lines[-1]


def test_the_migration_links_customers_to_their_contacts_and_locations(
    migrated, sandbox: SandboxHandle
) -> None:
    """samples/legacy-erp.xlsx names main contact, attention and default delivery location
    by the children's source keys (issue #14); every one of them is set on the server."""
    customers = by_row(migrated, "customers")
    ids = {(r["entity"], r["key"]): r["id"] for r in migrated if r["id"]}
    book = load_workbook(REPO / "samples" / "legacy-erp.xlsx", read_only=True)
    sheet = book["Customers"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    wanted = {
        n: dict(zip(header, values, strict=True))
        for n, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2)
    }
    linked = [n for n, row in wanted.items() if row["Hovedkontakt"] or row["Standard levering"]]
    assert len(linked) > 150  # most customers
    checked = 0
    for n in linked:
        line = customers[n]
        if line["links"] != "set":
            continue
        got = sandbox.call(lambda line=line: api_get(sandbox.url, f"/customers/{line['id']}"))
        row = wanted[n]
        for link, column in zip(
            CUSTOMERS.links, ("Hovedkontakt", "Att.", "Standard levering"), strict=True
        ):
            number = (got.get(link.object) or {}).get(link.number_property)
            assert str(number) == ids.get((link.child, row[column] or ""), "None"), (n, link)
        checked += 1
    assert checked == 163
    failed = [r for r in customers.values() if r["links"] == "failed"]
    assert [(r["status"], r["links"]) for r in failed] == [("created", "failed")]
    assert "source key 'KT-00015'" in failed[0]["errors"]
    assert "was not imported: invalid" in failed[0]["errors"]


def test_a_preview_of_the_migration_lists_the_link_puts_the_import_then_sends(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    """The sample's links previewed (issues #11 and #14): one PUT per linked customer is
    listed, and the import straight after sends exactly those. The preview's only misses
    are what only the API can tell: the customer it refuses (group 99 does not exist) and
    that customer's delivery location."""
    preview = cli("validate", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "p")
    assert preview.code == 1, preview.err  # the sample has bad rows on purpose
    assert writes(sandbox) == 0  # only GETs
    planned = read_results(tmp_path / "p")
    with (tmp_path / "p" / "changes.csv").open(encoding="utf-8", newline="") as handle:
        changes = list(csv.DictReader(handle))
    paths = {link.path for link in CUSTOMERS.links}
    lines = [line for line in changes if line["property"] in paths]
    assert {line["action"] for line in lines} == {"update"}
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["changes"]["links"] == len({line["row"] for line in lines}) == 163

    done = cli("import", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "i")

    assert done.code == 1, done.err
    imported = read_results(tmp_path / "i")
    would = {(r["entity"], r["row"]) for r in planned if r["status"] == "valid"}
    wrote = {(r["entity"], r["row"]) for r in imported if r["status"] in ("created", "updated")}
    assert would - wrote == {("customers", "73"), ("delivery-locations", "82")}
    assert wrote < would
    customers = [r for r in imported if r["entity"] == "customers"]
    assert {r["row"] for r in customers if r["links"] == "set"} == {line["row"] for line in lines}
    assert writes(sandbox) == len(wrote) + 163  # the creates, then one PUT per linked customer

    def refused(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
        return [(r["row"], r["errors"]) for r in rows if r["links"] == "failed"]

    assert refused(planned) == refused(imported) and len(refused(planned)) == 1
    # Each line, as the customer holds it now: a new child's stand-in is the number the
    # import gave the row it names.
    labels = {ENTITIES[link.child].label: link.child for link in CUSTOMERS.links}
    ids = {(r["entity"], r["row"]): r["id"] for r in imported}
    planned_child = re.compile(r"new (?P<label>.+) \((?P<source>.+) row (?P<row>\d+)\)")
    by_path = {link.path: link for link in CUSTOMERS.links}
    held: dict[str, dict[str, object]] = {}
    for line in lines:
        number = line["id"]
        if number not in held:
            held[number] = sandbox.call(lambda n=number: api_get(sandbox.url, f"/customers/{n}"))
        link = by_path[line["property"]]
        found = planned_child.fullmatch(line["new"])
        assert found is not None, line  # every child is created by the same run
        wanted = ids[(labels[found["label"]], found["row"])]
        got = (held[number].get(link.object) or {}).get(link.number_property)
        assert (number, link.path, str(got)) == (number, link.path, wanted)

    # Previewed again: the links are all as wanted; only the API's refusal is left.
    again = cli("validate", "--job", JOB, "--mode", "upsert", "--base-url", sandbox.url,
                "--report", tmp_path / "p2")  # fmt: skip
    with (tmp_path / "p2" / "changes.csv").open(encoding="utf-8", newline="") as handle:
        left = {(line["entity"], line["row"]) for line in csv.DictReader(handle)}
    assert left == {("customers", "73"), ("delivery-locations", "82")}, again.out
    summary = json.loads((tmp_path / "p2" / "summary.json").read_text())
    assert (summary["changes"]["links"], summary["links_unchanged"]) == (0, 163)
    before = writes(sandbox)
    cli("import", "--job", JOB, "--mode", "upsert", "--base-url", sandbox.url,
        "--report", tmp_path / "i2")  # fmt: skip
    assert writes(sandbox) == before  # the refused customer is refused again, not written


ENTITY_COUNTERS = ("rows", "created", "updated", "unchanged", "skipped", "invalid", "rejected",
                   "failed", "valid")  # fmt: skip


def check_by_entity(report: Path) -> dict[str, dict[str, int]]:
    """summary.json's by_entity, checked against its totals and results.csv's lines."""
    summary = json.loads((report / "summary.json").read_text())
    by_entity = summary["by_entity"]
    for name in ENTITY_COUNTERS:
        assert sum(counts[name] for counts in by_entity.values()) == summary[name], name
    lines: dict[str, dict[str, int]] = {}
    for row in read_results(report):
        counts = lines.setdefault(row["entity"], dict.fromkeys(ENTITY_COUNTERS, 0))
        counts["rows"] += 1
        counts[row["status"]] += 1
    assert by_entity == lines
    return by_entity


def test_summary_by_entity_adds_up_to_the_totals_and_to_the_results(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    first = cli("import", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "run1")
    by_entity = check_by_entity(tmp_path / "run1")
    assert list(by_entity) == ["customer-groups", "customers", "contacts", "delivery-locations"]
    assert by_entity["contacts"]["created"] == 314
    assert by_entity["customer-groups"]["rows"] == 6
    # The console: a column per entity beside the total, the counters of each below it.
    header = next(line for line in first.out.splitlines() if "total" in line).split()
    assert header == ["total", "customer-groups", "customers", "contacts", "delivery-locations"]
    created = next(line for line in first.out.splitlines() if line.split()[:1] == ["created"])
    totals = json.loads((tmp_path / "run1" / "summary.json").read_text())
    expected = [totals["created"], *(c["created"] for c in by_entity.values())]
    assert created.split()[1:] == [str(n) for n in expected]

    second = cli("import", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "run2")
    again = check_by_entity(tmp_path / "run2")
    assert all(counts["created"] == 0 for counts in again.values())
    assert again["contacts"]["skipped"] >= 314
    assert second.code == 1


def test_summary_by_entity_counts_valid_rows_in_a_dry_run(cli, tmp_path: Path) -> None:
    cli("validate", "--job", JOB, "--report", tmp_path / "dry")
    by_entity = check_by_entity(tmp_path / "dry")
    assert by_entity["customers"]["valid"] > 200
    assert all(c["created"] == 0 for c in by_entity.values())


def test_one_entity_keeps_the_one_column_summary(cli, tmp_path: Path) -> None:
    result = cli("validate", REPO / "samples" / "customers.csv", "--mapping",
                 REPO / "mappings" / "customers.toml", "--report", tmp_path / "one")  # fmt: skip
    by_entity = check_by_entity(tmp_path / "one")
    assert list(by_entity) == ["customers"]
    assert "total" not in result.out
    assert any(line.split()[:1] == ["valid"] for line in result.out.splitlines())
