"""Writes in doubt (pipeline.write.reconcile): what a fresh look-up decides, as a table."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.constraints import CUSTOMERS
from pipeline.write import Status
from pipeline.write.reconcile import InDoubt, Resolution, key_is_fresh, resolve

PAYLOAD: dict[str, Any] = {
    "customerNumber": 7,
    "name": "Fynsk Rengøring",
    "currency": "DKK",
    "customerGroup": {"customerGroupNumber": 1},
    "paymentTerms": {"paymentTermsNumber": 1},
    "vatZone": {"vatZoneNumber": 1},
}
SAME = {**PAYLOAD, "balance": 0.0}
OTHER = {**PAYLOAD, "name": "Someone else"}
SENT_AT = 1_000.0


def settle(
    method: str, found: dict[str, Any] | None, *, mode: str, fresh: bool, keyed: bool = True
) -> Resolution:
    doubt = InDoubt(method=method, key="old-key", first_sent_at=SENT_AT)
    return resolve(
        CUSTOMERS,
        PAYLOAD,
        doubt=doubt,
        found=found,
        has_match_key=keyed,
        mode=mode,
        parent="",
        row=2,
        fresh=fresh,
    )


@pytest.mark.parametrize(
    ("method", "found", "mode", "fresh", "status"),
    [
        ("POST", SAME, "create", True, Status.CREATED),
        ("POST", SAME, "create", False, Status.CREATED),
        ("POST", SAME, "upsert", False, Status.CREATED),
        ("PUT", SAME, "upsert", True, Status.UPDATED),
        ("PUT", SAME, "update", False, Status.UPDATED),
        ("PUT", None, "update", False, Status.REJECTED),
    ],
    ids=[
        "created-then-lost",
        "created-key-expired",
        "upsert-created",
        "updated-then-lost",
        "update-key-expired",
        "deleted-meanwhile",
    ],
)
def test_a_record_found_is_what_the_write_in_doubt_did(
    method: str, found: dict[str, Any] | None, mode: str, fresh: bool, status: Status
) -> None:
    decision = settle(method, found, mode=mode, fresh=fresh).decision
    assert not decision.sends
    assert decision.status is status
    if status.succeeded:
        assert decision.id == "7" and decision.errors == ()


@pytest.mark.parametrize(
    ("method", "found", "mode", "fresh", "send", "key"),
    [
        ("POST", None, "create", True, "POST", "old-key"),
        ("POST", None, "create", False, "POST", ""),
        ("PUT", OTHER, "upsert", True, "PUT", "old-key"),
        ("PUT", OTHER, "upsert", False, "PUT", ""),
        ("POST", OTHER, "upsert", True, "PUT", ""),
    ],
    ids=[
        "absent-young-key",
        "absent-old-key",
        "differs-young-key",
        "differs-old-key",
        "other-method",
    ],
)
def test_an_absent_record_is_written_again_with_the_key_only_while_it_is_young(
    method: str, found: dict[str, Any] | None, mode: str, fresh: bool, send: str, key: str
) -> None:
    resolution = settle(method, found, mode=mode, fresh=fresh)
    assert resolution.decision.method == send
    assert resolution.key == key  # '' asks the caller for a new key
    assert resolution.first_sent_at == (SENT_AT if key else None)


def test_a_row_with_nothing_to_look_it_up_by_is_sent_again_only_with_a_young_key() -> None:
    young = settle("POST", None, mode="create", fresh=True, keyed=False)
    assert young.decision.method == "POST" and young.key == "old-key"
    old = settle("POST", None, mode="create", fresh=False, keyed=False).decision
    assert not old.sends and old.status is Status.FAILED
    assert [e.code for e in old.errors] == ["NO_ANSWER"]
    assert "customerNumber" in old.errors[0].message


@pytest.mark.parametrize(
    ("first_sent_at", "now", "fresh"),
    [(None, 5.0, True), (100.0, 159.0, True), (100.0, 160.0, False), (100.0, 9e9, False)],
    ids=["never-sent", "young", "at-the-limit", "old"],
)
def test_a_key_is_trusted_for_its_lifetime_only(
    first_sent_at: float | None, now: float, fresh: bool
) -> None:
    assert key_is_fresh(first_sent_at, ttl_s=60.0, now=now) is fresh
