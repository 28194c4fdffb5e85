"""Modes (issue #4): the decision table, then create / upsert / update through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from pipeline.constraints import CODE_REQUIRED, CONTACTS, CUSTOMERS
from pipeline.write import Status
from pipeline.write.decide import decide, is_unchanged, merge_for_put
from tests.conftest import SandboxHandle, api_get

EXISTING: dict[str, Any] = {
    "customerNumber": 7,
    "name": "Alfa ApS",
    "currency": "DKK",
    "balance": 0.0,
    "customerGroup": {"customerGroupNumber": 1, "self": "http://x/customer-groups/1"},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}
SAME = {"customerNumber": 7, "name": "Alfa ApS", "currency": "DKK"}
DIFFERENT = {"customerNumber": 7, "name": "Alfa Holding ApS", "currency": "DKK"}
#: What a create needs: SAME plus the three references.
COMPLETE = {
    **SAME,
    "customerGroup": {"customerGroupNumber": 1},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}


@pytest.mark.parametrize(
    ("mode", "payload", "existing", "method", "status"),
    [
        pytest.param("create", SAME, None, "POST", None, id="create-absent-posts"),
        pytest.param("create", DIFFERENT, EXISTING, "", Status.SKIPPED, id="create-exists-skips"),
        pytest.param("upsert", COMPLETE, None, "POST", None, id="upsert-absent-posts"),
        pytest.param("upsert", SAME, None, "", Status.INVALID, id="upsert-absent-partial-invalid"),
        pytest.param("upsert", SAME, EXISTING, "", Status.UNCHANGED, id="upsert-same-unchanged"),
        pytest.param("upsert", DIFFERENT, EXISTING, "PUT", None, id="upsert-different-puts"),
        pytest.param("update", SAME, None, "", Status.REJECTED, id="update-absent-rejected"),
        pytest.param("update", SAME, EXISTING, "", Status.UNCHANGED, id="update-same-unchanged"),
        pytest.param("update", DIFFERENT, EXISTING, "PUT", None, id="update-different-puts"),
    ],
)
def test_the_decision_table(
    mode: str,
    payload: dict[str, Any],
    existing: dict[str, Any] | None,
    method: str,
    status: Status | None,
) -> None:
    decision = decide(CUSTOMERS, payload, mode=mode, existing=existing, parent="", row=2)
    assert decision.method == method
    assert decision.status == status
    if method == "PUT":
        assert decision.path == "/customers/7"
    if status in (Status.SKIPPED, Status.REJECTED, Status.INVALID):
        assert decision.errors and decision.errors[0].row == 2


def test_an_absent_partial_row_in_upsert_names_every_missing_property() -> None:
    decision = decide(CUSTOMERS, SAME, mode="upsert", existing=None, parent="", row=5)

    assert decision.status is Status.INVALID and not decision.sends
    assert [(e.property, e.code, e.message) for e in decision.errors] == [
        (path, CODE_REQUIRED, f"Required property '{path}' is missing.")
        for path in (
            "customerGroup.customerGroupNumber",
            "paymentTerms.paymentTermsNumber",
            "vatZone.vatZoneNumber",
        )
    ]


@pytest.mark.parametrize("mode", ["update", "upsert"])
def test_a_partial_row_is_merged_into_what_exists_before_its_put(mode: str) -> None:
    decision = decide(
        CUSTOMERS, {"customerNumber": 7, "email": "ny@alfa.dk"}, mode=mode, existing=EXISTING,
        parent="", row=2,
    )  # fmt: skip

    assert decision.method == "PUT"
    assert decision.body == {**EXISTING, "email": "ny@alfa.dk"}


def test_a_put_whose_merged_record_lacks_a_required_property_is_invalid() -> None:
    # A record the API holds without a name cannot be PUT back: the PUT schema needs it.
    existing = {k: v for k, v in EXISTING.items() if k != "name"}
    decision = decide(
        CUSTOMERS, {"customerNumber": 7, "email": "x@y.dk"}, mode="update", existing=existing,
        parent="", row=4,
    )  # fmt: skip

    assert decision.status is Status.INVALID
    assert [e.property for e in decision.errors] == ["name"]


def test_an_empty_cell_never_counts_as_a_change() -> None:
    assert is_unchanged(CUSTOMERS, {"customerNumber": 7}, EXISTING)


def test_a_put_keeps_what_the_row_does_not_give_and_replaces_references_whole() -> None:
    merged = merge_for_put(EXISTING, {"name": "Ny", "customerGroup": {"customerGroupNumber": 2}})
    assert merged["currency"] == "DKK"
    assert merged["customerGroup"] == {"customerGroupNumber": 2}  # no stale self link
    assert EXISTING["customerGroup"]["customerGroupNumber"] == 1  # the original is untouched


def test_contacts_are_matched_within_their_customer_by_email() -> None:
    existing = {
        "customerContactNumber": 90,
        "name": "Anna",
        "email": "ANNA@alfa.dk",
        "customer": {"customerNumber": 7},
    }
    decision = decide(
        CONTACTS,
        {"name": "Anna B.", "email": "anna@alfa.dk"},
        mode="upsert",
        existing=existing,
        parent="7",
        row=3,
    )
    assert (decision.method, decision.path) == ("PUT", "/customers/7/contacts/90")


HEADER = (
    "customerNumber,name,city,currency,customerGroup.customerGroupNumber,"
    "paymentTerms.paymentTermsNumber,vatZone.vatZoneNumber\n"
)


def run(cli, sandbox: SandboxHandle, tmp_path: Path, name: str, text: str, *args: str):  # type: ignore[no-untyped-def]
    source = tmp_path / f"{name}.csv"
    source.write_text(HEADER + text, encoding="utf-8")
    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / name, *args)
    with (tmp_path / name / "results.csv").open(encoding="utf-8", newline="") as handle:
        return result, list(csv.DictReader(handle))


def test_create_skips_upsert_updates_and_update_rejects_the_absent(
    sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path
) -> None:
    first, rows = run(cli, sandbox, tmp_path, "a", "101,Alfa,Odense,DKK,1,1,1\n")
    assert (first.code, rows[0]["status"]) == (0, "created")

    again, rows = run(cli, sandbox, tmp_path, "b", "101,Alfa,Aarhus,DKK,1,1,1\n")
    assert (again.code, rows[0]["status"]) == (0, "skipped")  # already there: a success (issue #9)
    assert "already exists" in rows[0]["errors"]

    writes = sandbox.stats()["writes"]
    _, rows = run(
        cli,
        sandbox,
        tmp_path,
        "c",
        "101,Alfa,Aarhus,DKK,1,1,1\n102,Beta,Vejle,DKK,1,1,1\n",
        "--mode",
        "upsert",
    )
    assert [r["status"] for r in rows] == ["updated", "created"]
    assert sandbox.stats()["writes"] == writes + 2
    assert sandbox.call(lambda: api_get(sandbox.url, "/customers/101"))["city"] == "Aarhus"

    same, rows = run(cli, sandbox, tmp_path, "d", "101,Alfa,Aarhus,DKK,1,1,1\n", "--mode", "upsert")
    assert (same.code, rows[0]["status"]) == (0, "unchanged")
    assert sandbox.stats()["writes"] == writes + 2

    upd, rows = run(
        cli,
        sandbox,
        tmp_path,
        "e",
        "101,Alfa,Ribe,DKK,1,1,1\n999,Ny,Ribe,DKK,1,1,1\n",
        "--mode",
        "update",
    )
    assert [r["status"] for r in rows] == ["updated", "rejected"]
    assert "does not exist" in rows[1]["errors"]
    assert upd.code == 1
