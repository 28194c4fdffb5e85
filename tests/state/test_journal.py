"""The journal (pipeline.state.journal): row states, keys, runs and the input's fingerprint."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from pipeline.errors import JournalError, RowError, StateError
from pipeline.state import Journal, JournalKeys, SourceRef, abandon_unfinished, target_id

TARGET = target_id("http://127.0.0.1:1", "grant-token-for-the-journal-tests")
SOURCE = SourceRef(path="in.csv", sheet="", entity="customers", fingerprint="f1")
SID = SOURCE.source_id


def open_journal(path: Path | None, *sources: SourceRef) -> Journal:
    return Journal.open(path, target=TARGET, sources=list(sources) or [SOURCE])


def test_target_names_the_agreement_by_a_hash_never_the_token() -> None:
    target = target_id("https://restapi.e-conomic.com/", "my-very-secret-grant-token")
    assert target.startswith("https://restapi.e-conomic.com#")
    assert "secret" not in target
    assert target == target_id("https://restapi.e-conomic.com", "my-very-secret-grant-token")
    assert target != target_id("https://restapi.e-conomic.com", "another-grant-token")


def test_a_row_goes_inflight_then_done(tmp_path: Path) -> None:
    journal = open_journal(tmp_path / "j.sqlite")
    sent_at = journal.mark_inflight(SID, 2, key="k1", method="POST", path="/customers")
    state = journal.states(SID)[2]
    assert (state.state, state.idem_key, state.method, state.path) == (
        "inflight", "k1", "POST", "/customers",
    )  # fmt: skip
    assert state.sent_at == sent_at
    journal.mark_done(
        SID, 2, status="created", http_status=201, api_id="17", entity="customers", source_key="A"
    )
    state = journal.states(SID)[2]
    assert (state.state, state.status, state.http_status, state.api_id) == (
        "done", "created", 201, "17",
    )  # fmt: skip
    assert state.idem_key == "k1"  # kept: it says which request did it
    assert journal.parent_id("customers", "A") == "17"


def test_the_same_key_sent_again_keeps_its_first_sent_time(tmp_path: Path) -> None:
    journal = open_journal(tmp_path / "j.sqlite")
    first = journal.mark_inflight(SID, 2, key="k1", method="POST", path="/customers")
    time.sleep(0.01)
    assert journal.mark_inflight(SID, 2, key="k1", method="POST", path="/customers") == first
    time.sleep(0.01)
    renewed = journal.mark_inflight(SID, 2, key="k2", method="POST", path="/customers")
    assert renewed > first  # a new key starts its own hour
    assert journal.states(SID)[2].idem_key == "k2"


def test_going_inflight_again_forgets_the_failure_before(tmp_path: Path) -> None:
    journal = open_journal(tmp_path / "j.sqlite")
    journal.mark_inflight(SID, 3, key="k1", method="POST", path="/customers")
    error = RowError(3, "name", "E1", "bad", "x", "api")
    journal.mark_failed(SID, 3, status="rejected", http_status=400, errors=[error])
    failed = journal.states(SID)[3]
    assert (failed.state, failed.status, failed.errors) == ("failed", "rejected", [error])
    journal.mark_inflight(SID, 3, key="k2", method="POST", path="/customers")
    again = journal.states(SID)[3]
    assert (again.state, again.status, again.http_status, again.errors) == (
        "inflight", None, None, [],
    )  # fmt: skip


def test_keys_are_stable_within_a_run_and_salted_keys_are_new(tmp_path: Path) -> None:
    journal = open_journal(tmp_path / "j.sqlite")
    key = journal.idempotency_key(SID, 2, "POST")
    assert key == journal.idempotency_key(SID, 2, "POST")
    assert key != journal.idempotency_key(SID, 3, "POST")
    assert key != journal.idempotency_key(SID, 2, "PUT")
    salted = {journal.idempotency_key(SID, 2, "POST", salt=s) for s in ("a", "b")}
    assert len(salted) == 2 and key not in salted
    journal.close()
    resumed = open_journal(tmp_path / "j.sqlite")
    assert resumed.resumed and resumed.idempotency_key(SID, 2, "POST") == key


def test_an_unfinished_run_is_resumed_and_a_finished_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    first = open_journal(path)
    first.mark_inflight(SID, 2, key="k", method="POST", path="/customers")
    first.close()
    second = open_journal(path)
    assert second.resumed and second.run_id == first.run_id
    assert set(second.states(SID)) == {2}
    second.finish()
    second.close()
    third = open_journal(path)
    assert not third.resumed and third.run_id != first.run_id
    assert third.states(SID) == {}
    assert third.idempotency_key(SID, 2, "POST") != first.idempotency_key(SID, 2, "POST")


def test_a_changed_input_under_an_unfinished_run_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    open_journal(path).close()
    changed = SourceRef(path="in.csv", sheet="", entity="customers", fingerprint="f2")
    with pytest.raises(JournalError) as caught:
        open_journal(path, changed)
    message = str(caught.value)
    assert "in.csv has changed" in message and "--restart" in message
    assert "\n" not in message
    assert abandon_unfinished(path, target=TARGET, sources=[changed]) == 1
    assert not open_journal(path, changed).resumed


def test_other_inputs_or_agreements_are_other_runs(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    open_journal(path).close()
    other = SourceRef(path="other.csv", sheet="", entity="customers", fingerprint="f1")
    assert not open_journal(path, other).resumed
    elsewhere = Journal.open(path, target=TARGET + "x", sources=[SOURCE])
    assert not elsewhere.resumed


def test_without_a_path_the_journal_lives_in_memory(tmp_path: Path) -> None:
    journal = open_journal(None)
    journal.mark_inflight(SID, 2, key="k", method="POST", path="/customers")
    assert journal.counts() == {"inflight": 1}
    assert list(tmp_path.iterdir()) == []


def test_an_unusable_journal_file_is_a_state_error(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError, match="cannot use journal"):
        open_journal(path)


def test_every_write_is_committed_at_once(tmp_path: Path) -> None:
    """Another connection (another process after a crash) sees each state immediately."""
    path = tmp_path / "j.sqlite"
    journal = open_journal(path)
    journal.mark_inflight(SID, 2, key="k", method="POST", path="/customers")
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT state FROM rows").fetchall() == [("inflight",)]
    journal.mark_done(
        SID, 2, status="created", http_status=201, api_id="5", entity="customers", source_key=""
    )
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT state, api_id FROM rows").fetchall() == [("done", "5")]


def test_the_tokens_are_masked_in_every_error_text_kept(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    secret = "grant-token-that-an-answer-echoed-4711"
    journal = Journal.open(path, target=TARGET, sources=[SOURCE], secrets=[secret])
    echoed = RowError(2, "name", "E1", f"bad token {secret}", {"sent": secret}, "api")
    journal.mark_failed(SID, 2, status="rejected", http_status=400, errors=[echoed])
    journal.close()
    assert secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    kept = open_journal(path).states(SID)[2].errors[0]
    assert kept.message == "bad token ***" and kept.value == {"sent": "***"}


def test_a_preview_reads_earlier_runs_keys_read_only_and_starts_no_run(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    assert JournalKeys.open_read_only(path, target=TARGET) is None
    assert not path.exists()  # none created
    journal = open_journal(path)  # an unfinished run: a preview neither resumes nor ends it
    journal.mark_done(SID, 2, status="created", http_status=201, api_id="17",
                      entity="customers", source_key="A")  # fmt: skip
    journal.remember_children("contacts", [("P1", "17", "3")])
    journal.close()
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    keys = JournalKeys.open_read_only(path, target=TARGET)
    assert keys is not None
    assert (keys.parent_id("customers", "A"), keys.child_id("contacts", "P1")) == (
        "17",
        ("17", "3"),
    )
    assert (keys.parent_id("customers", "B"), keys.child_id("contacts", "P9")) == (None, None)
    other = JournalKeys.open_read_only(path, target=target_id("http://127.0.0.1:1", "other"))
    assert other is not None and other.parent_id("customers", "A") is None  # another agreement
    with pytest.raises(StateError, match="readonly"):
        keys._db.execute("DELETE FROM parent_keys")
    keys.close()
    other.close()
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert open_journal(path).resumed  # the run is still unfinished


def test_a_journal_without_the_key_tables_knows_no_keys(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:  # as an older version left it
        db.execute("CREATE TABLE runs (run_id INTEGER PRIMARY KEY)")
    db.close()
    keys = JournalKeys.open_read_only(path, target=TARGET)
    assert keys is not None
    assert (keys.parent_id("customers", "A"), keys.child_id("contacts", "P1")) == (None, None)
    keys.close()
    (tmp_path / "junk.sqlite").write_text("not a database", encoding="utf-8")
    with pytest.raises(StateError, match="cannot read journal"):
        JournalKeys.open_read_only(tmp_path / "junk.sqlite", target=TARGET)
