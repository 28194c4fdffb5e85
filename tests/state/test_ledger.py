"""Running an import again is safe (issue #9): the ledger, match rules, no guessing.

The real CLI against the real sandbox on loopback; the state folder is the test's own
(``ECONOMIC_IMPORT_HOME``, set by conftest's ``state_home`` for every test).
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from pipeline.api import settings_from_env
from pipeline.api.retry import RetryPolicy
from pipeline.errors import RowError
from pipeline.run import RunSettings, Step, prepare, run_import
from pipeline.state.folder import HOME_ENV, state_dir
from pipeline.write import RowResult, Status, Summary, is_success
from tests.conftest import APP_TOKEN, GRANT_TOKEN, CliResult, SandboxHandle, api_get

HEADERS = [
    "name",
    "currency",
    "customerGroup.customerGroupNumber",
    "paymentTerms.paymentTermsNumber",
    "vatZone.vatZoneNumber",
    "corporateIdentificationNumber",
    "zip",
]


def write_rows(path: Path, rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> Path:
    """A CSV whose headers are property paths."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def customer(name: str, cvr: str = "", zip_code: str = "") -> list[str]:
    """A customer row without a customer number (the API gives one)."""
    return [name, "DKK", "1", "1", "1", cvr, zip_code]


def write_mapping(path: Path, entity: str, headers: Sequence[str], *, match: str) -> Path:
    """A mapping that reads every header as its own property path, with a match rule."""
    columns = "\n".join(f'"{h}" = "{h}"' for h in headers)
    path.write_text(f'entity = "{entity}"\nmatch = {match}\n[columns]\n{columns}\n', "utf-8")
    return path


def results(report: Path) -> list[dict[str, str]]:
    with (report / "results.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def run(cli: Any, sandbox: SandboxHandle, source: Path, report: Path, *args: str) -> CliResult:
    return cli(
        "import", source, "--base-url", sandbox.url, "--report", report, "--no-progress", *args
    )  # type: ignore[no-any-return]


async def api_send(url: str, method: str, path: str, body: Any = None) -> Any:
    """A write straight to the sandbox as the test agreement (records made by hand)."""
    headers = {"X-AppSecretToken": APP_TOKEN, "X-AgreementGrantToken": GRANT_TOKEN}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.request(method, url + path, json=body) as response,
    ):
        assert response.status < 300, await response.text()
        return await response.json() if response.status != 204 else None


def post_customer(sandbox: SandboxHandle, name: str, *, cvr: str = "", zip_code: str = "") -> int:
    """A customer typed in by hand on the server; its number."""
    body: dict[str, Any] = {
        "name": name,
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
    }
    if cvr:
        body["corporateIdentificationNumber"] = cvr
    if zip_code:
        body["zip"] = zip_code
    created = sandbox.call(lambda: api_send(sandbox.url, "POST", "/customers", body))
    return int(created["customerNumber"])


def server_customers(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return list(
        sandbox.call(lambda: api_get(sandbox.url, "/customers?pagesize=1000"))["collection"]
    )


def test_the_state_folder_is_economic_import_home(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path, state_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    assert state_dir() == state_home
    monkeypatch.chdir(tmp_path)
    source = write_rows(tmp_path / "customers.csv", [customer("Alfa ApS")])
    assert run(cli, sandbox, source, tmp_path / "report").code == 0
    assert (state_home / "journal.sqlite").exists() and (state_home / "ledger.sqlite").exists()
    assert not (tmp_path / "reports").exists()  # nothing beside the working folder
    with sqlite3.connect(state_home / "ledger.sqlite") as db:
        rows = db.execute("SELECT target, entity, identity, record_id FROM ledger").fetchall()
    assert len(rows) == 1 and rows[0][1] == "customers" and rows[0][2].startswith("sha256:")
    assert GRANT_TOKEN not in rows[0][0] and "Alfa" not in repr(rows)  # no token, no data
    monkeypatch.delenv(HOME_ENV)
    assert state_dir() != state_home  # the platform's user state directory otherwise


def test_a_second_run_from_another_folder_writes_nothing_and_exits_0(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    rows = [customer(f"Kunde {n} ApS") for n in range(1, 8)]
    source = write_rows(tmp_path / "customers.csv", rows)
    (tmp_path / "one").mkdir()
    monkeypatch.chdir(tmp_path / "one")
    first = run(cli, sandbox, source, tmp_path / "first")
    assert first.code == 0, first.err
    assert "only this machine's ledger recognises them" in first.out  # the plan warned
    ids = [r["id"] for r in results(tmp_path / "first")]
    assert all(ids) and len(set(ids)) == 7
    writes = sandbox.stats()["writes"]

    (tmp_path / "two").mkdir()
    monkeypatch.chdir(tmp_path / "two")
    second = run(cli, sandbox, source, tmp_path / "second")
    assert second.code == 0, second.out + second.err
    assert sandbox.stats()["writes"] == writes
    again = results(tmp_path / "second")
    assert [r["status"] for r in again] == ["skipped"] * 7
    assert [r["id"] for r in again] == ids
    reason = r"EXISTS: customer (\d+) was imported on \d{4}-\d\d-\d\d \d\d:\d\d \(ledger\); "
    for line in again:
        found = re.fullmatch(reason + "use --mode upsert to update it", line["errors"])
        assert found is not None and found.group(1) == line["id"], line["errors"]
    summary = json.loads((tmp_path / "second" / "summary.json").read_text(encoding="utf-8"))
    assert summary["skipped"] == summary["skipped_existing"] == 7
    assert not list((tmp_path / "second").glob("errors*.csv"))  # nothing there to fix

    upsert = run(cli, sandbox, source, tmp_path / "third", "--mode", "upsert")
    assert upsert.code == 0, upsert.out + upsert.err
    assert sandbox.stats()["writes"] == writes
    assert [(r["status"], r["id"]) for r in results(tmp_path / "third")] == [
        ("unchanged", i) for i in ids
    ]
    assert len(server_customers(sandbox)) == 7


def test_a_record_deleted_since_the_import_is_created_again(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    source = write_rows(tmp_path / "customers.csv", [customer("Alfa ApS"), customer("Beta ApS")])
    assert run(cli, sandbox, source, tmp_path / "first").code == 0
    alfa, beta = (r["id"] for r in results(tmp_path / "first"))
    sandbox.call(lambda: api_send(sandbox.url, "DELETE", f"/customers/{alfa}"))

    second = run(cli, sandbox, source, tmp_path / "second")
    assert second.code == 0, second.out
    redone, kept = results(tmp_path / "second")
    assert redone["status"] == "created" and redone["id"] not in ("", alfa)
    assert (kept["status"], kept["id"]) == ("skipped", beta)
    third = run(cli, sandbox, source, tmp_path / "third")  # the new record is the ledger's now
    assert third.code == 0
    assert [(r["status"], r["id"]) for r in results(tmp_path / "third")] == [
        ("skipped", redone["id"]),
        ("skipped", beta),
    ]
    assert sorted(c["name"] for c in server_customers(sandbox)) == ["Alfa ApS", "Beta ApS"]


def test_a_match_rule_finds_records_made_by_hand_and_never_guesses(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    known = post_customer(sandbox, "Alfa ApS", cvr="11111111")
    twin_a = post_customer(sandbox, "Beta ApS", cvr="12345678")
    twin_b = post_customer(sandbox, "Beta Holding ApS", cvr="12345678")
    writes = sandbox.stats()["writes"]
    mapping = write_mapping(
        tmp_path / "m.toml", "customers", HEADERS, match='["corporateIdentificationNumber"]'
    )
    rows = [
        customer("Alfa A/S", "11111111"),  # known by its CVR, under another spelling
        customer("Beta", "12345678"),  # two records have this CVR
        customer("Gamma ApS", "99999999"),  # new
    ]
    source = write_rows(tmp_path / "customers.csv", rows)
    result = run(cli, sandbox, source, tmp_path / "report", "--mapping", str(mapping))
    assert result.code == 1, result.out  # the ambiguous row is no success
    alfa, beta, gamma = results(tmp_path / "report")
    assert (alfa["status"], alfa["id"]) == ("skipped", str(known))
    assert "already exists" in alfa["errors"]
    assert (beta["status"], beta["id"]) == ("skipped", "")
    assert beta["errors"] == (
        f"AMBIGUOUS: customers {twin_a} and {twin_b} both have "
        "corporateIdentificationNumber 12345678"
    )
    assert gamma["status"] == "created"
    assert sandbox.stats()["writes"] == writes + 1
    assert len(server_customers(sandbox)) == 4

    # A row without a CVR cannot be matched: into an agreement that holds customers this
    # store never wrote, the run stops before any write (issue #19, tests/run/
    # test_no_history.py); once the store has written customers here, it is created.
    delta = write_rows(tmp_path / "delta.csv", [customer("Delta ApS", "")])
    fresh = tmp_path / "fresh-home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv(HOME_ENV, str(fresh))
        refused = run(cli, sandbox, delta, tmp_path / "refused", "--mapping", str(mapping))
    assert refused.code == 2, refused.out + refused.err
    assert "1 row(s) have no customerNumber and no match values" in refused.err
    result = run(cli, sandbox, delta, tmp_path / "delta", "--mapping", str(mapping))
    assert result.code == 0, result.out + result.err
    assert "1 row(s) have empty match values" in result.out
    assert [r["status"] for r in results(tmp_path / "delta")] == ["created"]
    assert sandbox.stats()["writes"] == writes + 2
    assert len(server_customers(sandbox)) == 5


def test_a_rule_of_two_properties_matches_values_with_filter_characters(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    odd = "Smith $ Co (Nord), A*S"
    number = post_customer(sandbox, odd, zip_code="8000")
    post_customer(sandbox, "Smith", zip_code="8000")  # a prefix of the other: no match
    mapping = write_mapping(tmp_path / "m.toml", "customers", HEADERS, match='["name", "zip"]')
    source = write_rows(
        tmp_path / "customers.csv",
        [customer("smith  $ co (nord), a*s", zip_code="8000"), customer(odd, zip_code="9000")],
    )
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "fresh-home"))  # no ledger at all
    result = run(
        cli, sandbox, source, tmp_path / "report", "--mapping", str(mapping), "--mode", "upsert"
    )
    assert result.code == 0, result.out + result.err
    same, other = results(tmp_path / "report")
    # Matched despite case and spacing, so upsert writes the row's spelling to that record.
    assert (same["status"], same["id"]) == ("updated", str(number))
    assert other["status"] == "created"  # same name, another zip
    names = sorted(c["name"] for c in server_customers(sandbox))
    assert names == sorted([odd, "Smith", "smith  $ co (nord), a*s"])


def test_a_number_and_a_match_rule_that_disagree_write_nothing(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    one = post_customer(sandbox, "Alfa ApS", cvr="11111111")
    two = post_customer(sandbox, "Beta ApS", cvr="22222222")
    headers = ["customerNumber", *HEADERS]
    mapping = write_mapping(
        tmp_path / "m.toml", "customers", headers, match='["corporateIdentificationNumber"]'
    )
    source = write_rows(tmp_path / "c.csv", [[str(one), *customer("Alfa", "22222222")]], headers)
    writes = sandbox.stats()["writes"]
    result = run(
        cli, sandbox, source, tmp_path / "r", "--mapping", str(mapping), "--mode", "upsert"
    )
    assert result.code == 1
    (row,) = results(tmp_path / "r")
    assert row["status"] == "skipped" and row["errors"].startswith("AMBIGUOUS: ")
    assert f"customer {one}" in row["errors"] and f"customer {two}" in row["errors"]
    assert sandbox.stats()["writes"] == writes


def test_contacts_are_matched_by_a_rule_within_their_customer(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    first = post_customer(sandbox, "Alfa ApS")
    second = post_customer(sandbox, "Beta ApS")
    for parent in (first, second):
        body = {"name": "Anna Berg", "email": f"anna@{parent}.dk"}
        path = f"/customers/{parent}/contacts"
        sandbox.call(lambda p=path, b=body: api_send(sandbox.url, "POST", p, b))
    on_first = sandbox.call(lambda: api_get(sandbox.url, f"/customers/{first}/contacts"))
    anna = on_first["collection"][0]["customerContactNumber"]
    headers = ["customer.customerNumber", "name", "phone"]
    mapping = write_mapping(tmp_path / "m.toml", "contacts", headers, match='["name"]')
    source = write_rows(
        tmp_path / "contacts.csv",
        [[str(first), "ANNA  BERG", "12345678"], [str(first), "Bo Ek", ""]],
        headers,
    )
    result = run(
        cli, sandbox, source, tmp_path / "r", "--entity", "contacts", "--mapping", str(mapping),
        "--mode", "upsert",
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    matched, new = results(tmp_path / "r")
    assert (matched["status"], matched["id"]) == ("updated", str(anna))
    assert new["status"] == "created"
    after = sandbox.call(lambda: api_get(sandbox.url, f"/customers/{second}/contacts"))
    assert [c.get("phone") for c in after["collection"]] == [None]  # the other Anna untouched


@pytest.mark.parametrize(
    ("match", "message"),
    [
        (
            '["mobilePhone"]',
            "match: 'mobilePhone' is not a filterable customer property (spec/000, spec/001 "
            "'Filterable properties'); valid: address, balance, barred, city, "
            "corporateIdentificationNumber, country, creditLimit, currency, customerNumber, "
            "ean, email, lastUpdated, name, publicEntryNumber, telephoneAndFaxNumber, "
            "vatNumber, website, zip",
        ),
        ('["email"]', "match: 'email' is not produced by the mapping"),
        ('"name"', "match must be a list of property names"),
    ],
    ids=["not-filterable", "not-mapped", "not-a-list"],
)
def test_a_bad_match_rule_stops_before_any_request(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path, match: str, message: str
) -> None:
    mapping = write_mapping(tmp_path / "m.toml", "customers", HEADERS, match=match)
    source = write_rows(tmp_path / "c.csv", [customer("Alfa ApS")])
    requests = sandbox.stats()["requests"]
    result = run(cli, sandbox, source, tmp_path / "r", "--mapping", str(mapping))
    assert result.code == 2
    assert message in result.err and result.err.count("\n") == 1
    assert sandbox.stats()["requests"] == requests


#: A second agreement's grant token: the sandbox gives each grant its own agreement.
SECOND_GRANT = "test-grant-token-second-Kp4"


def test_forget_clears_one_agreement_and_refuses_without_tokens(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    source = write_rows(tmp_path / "c.csv", [customer("Alfa ApS"), customer("Beta ApS")])
    assert run(cli, sandbox, source, tmp_path / "first").code == 0
    # A second agreement on the same server (another grant token), with customers of its
    # own in the same ledger: rows without a number, so only the ledger recognises them.
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", SECOND_GRANT)
    theirs = write_rows(tmp_path / "theirs.csv", [customer("Gamma ApS")])
    assert run(cli, sandbox, theirs, tmp_path / "theirs-first").code == 0
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", GRANT_TOKEN)
    other = cli("forget", "--base-url", "http://elsewhere.example")
    assert other.code == 0 and "holds nothing" in other.out
    gone = cli("forget", "--base-url", sandbox.url, "--entity", "customers")
    assert gone.code == 0 and "2 customers" in gone.out and GRANT_TOKEN not in gone.out
    # The ledger no longer knows them, and the agreement holds customers: with no match
    # rule the import refuses to create them again (issue #19) unless told "they are new".
    refused = run(cli, sandbox, source, tmp_path / "second")
    assert refused.code == 2 and "match = []" in refused.err
    new = write_mapping(tmp_path / "m.toml", "customers", HEADERS, match="[]")
    again = run(cli, sandbox, source, tmp_path / "second", "--mapping", str(new))
    assert [r["status"] for r in results(tmp_path / "second")] == ["created", "created"]
    assert again.code == 0
    # The other agreement's entry survived: its row is still recognised, not created again.
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", SECOND_GRANT)
    assert run(cli, sandbox, theirs, tmp_path / "theirs-second").code == 0
    assert [r["status"] for r in results(tmp_path / "theirs-second")] == ["skipped"]
    kept = cli("forget", "--base-url", sandbox.url)
    assert kept.code == 0 and "1 customers" in kept.out
    monkeypatch.delenv("ECONOMIC_AGREEMENT_GRANT_TOKEN")
    refused = cli("forget", "--base-url", sandbox.url)
    assert refused.code == 2 and "ECONOMIC_AGREEMENT_GRANT_TOKEN not set" in refused.err


def test_a_dry_run_neither_reads_nor_writes_the_ledger(
    tokens: object, cli: Any, tmp_path: Path, state_home: Path
) -> None:
    source = write_rows(tmp_path / "c.csv", [customer("Alfa ApS")])
    result = cli("validate", source, "--report", tmp_path / "r", "--no-progress")
    assert result.code == 0
    assert not (state_home / "ledger.sqlite").exists()


def test_writes_in_doubt_are_found_by_the_match_rule_and_go_into_the_ledger(
    start_sandbox: Any, tmp_path: Path
) -> None:
    """Answers dropped and keys forgotten at once: without a number, only the match rule
    can tell whether the write happened; what it finds is done, and in the ledger."""
    sandbox = start_sandbox(bucket=100_000, drop_rate=0.3, idempotency_ttl=0.001, seed=6)
    count = 150
    rows = [customer(f"Kunde {n} ApS", cvr=str(10_000_000 + n)) for n in range(count)]
    source = write_rows(tmp_path / "customers.csv", rows)
    mapping = write_mapping(
        tmp_path / "m.toml", "customers", HEADERS, match='["corporateIdentificationNumber"]'
    )
    env = {"ECONOMIC_APP_SECRET_TOKEN": APP_TOKEN, "ECONOMIC_AGREEMENT_GRANT_TOKEN": GRANT_TOKEN}
    api = replace(
        settings_from_env(base_url=sandbox.url, env=env),
        key_ttl_s=0.001,
        retry=RetryPolicy(base_delay_s=0.01),
    )
    steps = (Step(entity="customers", input=source, mapping=mapping),)
    ledger = tmp_path / "ledger.sqlite"
    settings = RunSettings(
        steps=steps, report_dir=tmp_path / "r", journal=None, ledger=ledger, progress=False
    )
    outcome = asyncio.run(run_import(settings, prepare(steps), api=api))
    stats = sandbox.stats()
    assert stats["drops"] >= 20
    assert outcome.exit_code == 0
    assert stats["writes"] == count
    assert [r["status"] for r in results(tmp_path / "r")] == ["created"] * count
    with sqlite3.connect(ledger) as db:
        assert db.execute("SELECT COUNT(DISTINCT record_id) FROM ledger").fetchone() == (count,)


def test_a_journal_of_the_old_version_with_an_unanswered_write_is_resumed_as_in_doubt(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    """Before issue #9 an unanswered write failed with code AMBIGUOUS (now NO_ANSWER): such
    a row, with its method and key, is still a write in doubt, looked up and not repeated."""
    headers = ["customerNumber", *HEADERS]
    source = write_rows(tmp_path / "c.csv", [["501", *customer("Alfa ApS")]], headers)
    journal = tmp_path / "journal.sqlite"
    assert run(cli, sandbox, source, tmp_path / "first", "--journal", str(journal)).code == 0
    old_error = {"row": 2, "property": "", "code": "AMBIGUOUS", "message": "no answer",
                 "value": None, "origin": "api"}  # fmt: skip
    with sqlite3.connect(journal) as db:  # as the old version left it: failed, unfinished
        db.execute("UPDATE runs SET finished_at=NULL")
        db.execute(
            "UPDATE rows SET state='failed', status='failed', api_id=NULL, errors=?",
            (json.dumps([old_error]),),
        )
        assert db.execute("SELECT method, idem_key IS NOT NULL FROM rows").fetchone() == (
            "POST",
            1,
        )
    writes = sandbox.stats()["writes"]
    again = run(
        cli, sandbox, source, tmp_path / "second", "--journal", str(journal), "--retry-failed"
    )
    assert again.code == 0, again.out
    (row,) = results(tmp_path / "second")
    assert (row["status"], row["id"]) == ("created", "501")  # its own write, found
    assert sandbox.stats()["writes"] == writes


def test_a_number_naming_no_record_and_a_rule_finding_one_write_nothing(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    found = post_customer(sandbox, "Alfa ApS", cvr="11111111")
    headers = ["customerNumber", *HEADERS]
    mapping = write_mapping(
        tmp_path / "m.toml", "customers", headers, match='["corporateIdentificationNumber"]'
    )
    source = write_rows(tmp_path / "c.csv", [["777", *customer("Alfa", "11111111")]], headers)
    writes = sandbox.stats()["writes"]
    assert run(cli, sandbox, source, tmp_path / "r", "--mapping", str(mapping)).code == 1
    (row,) = results(tmp_path / "r")
    assert row["errors"] == (
        f"AMBIGUOUS: the row's customerNumber 777 names no existing customer, but customer "
        f"{found} has corporateIdentificationNumber 11111111; nothing was written"
    )
    assert sandbox.stats()["writes"] == writes


@pytest.mark.parametrize(
    ("code", "succeeded"),
    [("EXISTS", True), ("PARENT_NOT_IMPORTED", False), ("AMBIGUOUS", False)],
    ids=["exists", "parent-not-imported", "ambiguous"],
)
def test_only_a_skip_because_the_record_exists_counts_as_success(
    code: str, succeeded: bool
) -> None:
    created = RowResult("c.csv", "", 2, "customers", "", Status.CREATED, id="1")
    skipped = RowResult(
        "c.csv", "", 3, "customers", "", Status.SKIPPED, errors=[RowError(3, "", code, "x")]
    )
    summary = Summary()
    summary.count_results([created, skipped])
    assert (summary.skipped, summary.skipped_existing) == (1, int(succeeded))
    assert summary.all_succeeded is succeeded
    assert is_success(skipped) is succeeded


def test_a_number_reused_by_another_record_is_not_taken_for_the_row(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path
) -> None:
    """Customer numbers are reused after a deletion (API-FACTS.md): the ledger's number
    now naming another customer must neither skip the row nor overwrite that customer."""
    source = write_rows(tmp_path / "c.csv", [customer("Alfa ApS")])
    assert run(cli, sandbox, source, tmp_path / "first").code == 0
    (first,) = results(tmp_path / "first")
    sandbox.call(lambda: api_send(sandbox.url, "DELETE", f"/customers/{first['id']}"))
    body = {
        "customerNumber": int(first["id"]), "name": "Someone Else A/S", "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1}, "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
    }  # fmt: skip
    sandbox.call(lambda: api_send(sandbox.url, "POST", "/customers", body))
    writes = sandbox.stats()["writes"]
    again = run(cli, sandbox, source, tmp_path / "second", "--mode", "upsert")
    assert again.code == 1
    (row,) = results(tmp_path / "second")
    assert row["status"] == "skipped" and row["errors"].startswith(
        f"AMBIGUOUS: the ledger names customer {first['id']} (imported on "
    )
    assert "now 'Someone Else A/S', not 'Alfa ApS'" in row["errors"]
    assert sandbox.stats()["writes"] == writes


def test_a_preview_reads_the_ledger_like_the_import_and_writes_nothing(
    sandbox: SandboxHandle, tokens: object, cli: Any, tmp_path: Path, state_home: Path
) -> None:
    """Rows only the ledger knows are previewed as the import decides them: skipped."""
    source = write_rows(tmp_path / "c.csv", [customer("Alfa ApS"), customer("Beta ApS")])
    first = run(cli, sandbox, source, tmp_path / "first")
    assert first.code == 0
    ledger = state_home / "ledger.sqlite"
    before = ledger.read_bytes()
    writes = sandbox.stats()["writes"]
    for report in ("preview1", "preview2"):
        preview = cli("validate", source, "--base-url", sandbox.url, "--report",
                      tmp_path / report, "--no-progress")  # fmt: skip
        assert preview.code == 0, preview.err
        summary = json.loads((tmp_path / report / "summary.json").read_text(encoding="utf-8"))
        assert summary["changes"] == {
            "create": 0,
            "update": 0,
            "links": 0,
            "unchanged": 0,
            "skip": 2,
        }
        assert [r["status"] for r in results(tmp_path / report)] == ["skipped", "skipped"]
        ids = [r["id"] for r in results(tmp_path / report)]
        assert ids == [r["id"] for r in results(tmp_path / "first")]
    assert sandbox.stats()["writes"] == writes
    assert ledger.read_bytes() == before
