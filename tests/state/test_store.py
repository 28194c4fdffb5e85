"""The state store (pipeline.state.store): one journal, ledger and keys over SQLite or
PostgreSQL, the same tests against both (a real PostgreSQL server, ``tests/pg.py``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from pipeline.errors import JournalError, RowError, StateError
from pipeline.state import (
    Journal,
    JournalKeys,
    Ledger,
    SourceRef,
    abandon_unfinished,
    forget,
    mask_url,
    state_places,
    target_id,
)
from pipeline.state.store import SCHEMA_VERSION, open_store
from tests.pg import PgServer

TARGET = target_id("http://127.0.0.1:1", "grant-token-for-the-store-tests")
SOURCE = SourceRef(path="in.csv", sheet="", entity="customers", fingerprint="f1")
SID = SOURCE.source_id


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path | str, Path | str]:
    """(journal, ledger) in a SQLite folder or in a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "journal.sqlite", tmp_path / "ledger.sqlite"
    url = request.getfixturevalue("pg_url")
    return url, url


def test_a_run_journals_rows_keys_and_children_and_is_resumed(where: tuple) -> None:
    path, _ = where
    journal = Journal.open(path, target=TARGET, sources=[SOURCE])
    assert not journal.resumed
    first = journal.mark_inflight(SID, 2, key="k1", method="POST", path="/customers")
    assert journal.mark_inflight(SID, 2, key="k1", method="POST", path="/customers") == first
    journal.mark_done(SID, 2, status="created", http_status=201, api_id="17",
                      entity="customers", source_key="A")  # fmt: skip
    error = RowError(3, "name", "E1", "bad", {"x": [1]}, "api")
    journal.mark_inflight(SID, 3, key="k2", method="POST", path="/customers")
    journal.mark_failed(SID, 3, status="rejected", http_status=400, errors=[error])
    journal.remember_children("contacts", [("P1", "17", "3")])
    journal.remember_children("contacts", [("P1", "17", "4")])  # a newer number replaces
    journal.mark_done(SID, 4, status="created", http_status=201, api_id="18",
                      entity="customers", source_key="A")  # fmt: skip
    assert journal.parent_id("customers", "A") == "18"
    journal.renumber_customer("17", "99")
    assert journal.child_id("contacts", "P1") == ("99", "4")
    assert journal.counts() == {"done": 2, "failed": 1}
    journal.close()

    resumed = Journal.open(path, target=TARGET, sources=[SOURCE])
    assert resumed.resumed and resumed.run_id == journal.run_id
    states = resumed.states(SID)
    assert (states[2].state, states[2].api_id, states[2].sent_at) == ("done", "17", first)
    assert (states[3].state, states[3].errors) == ("failed", [error])
    assert resumed.idempotency_key(SID, 2, "POST") == journal.idempotency_key(SID, 2, "POST")
    resumed.finish()
    resumed.close()
    third = Journal.open(path, target=TARGET, sources=[SOURCE])
    assert not third.resumed and third.states(SID) == {}
    assert third.parent_id("customers", "A") == "18"  # source keys outlive their run
    third.close()


def test_a_changed_input_is_refused_and_restart_abandons_the_run(where: tuple) -> None:
    path, _ = where
    Journal.open(path, target=TARGET, sources=[SOURCE]).close()
    changed = SourceRef(path="in.csv", sheet="", entity="customers", fingerprint="f2")
    with pytest.raises(JournalError, match=r"in\.csv has changed"):
        Journal.open(path, target=TARGET, sources=[changed])
    assert abandon_unfinished(path, target=TARGET, sources=[changed]) == 1
    assert not Journal.open(path, target=TARGET, sources=[changed]).resumed


def test_the_ledger_records_finds_and_forgets(where: tuple) -> None:
    _, path = where
    ledger = Ledger.open(path, target=TARGET)
    assert not ledger.holds_any("customers")
    ledger.record("customers", "key:A", digest="d1", record_id="17")
    ledger.record("customers", "key:A", digest="d2", record_id="18", keep=True)  # kept
    ledger.record("customers", "key:B", digest="d3", record_id="19")
    ledger.record("customers", "key:B", digest="d4", record_id="20")  # replaced
    found = ledger.find("customers", ["key:A", "key:B", "key:C"])
    assert {k: (e.digest, e.record_id) for k, e in found.items()} == {
        "key:A": ("d1", "17"), "key:B": ("d4", "20"),
    }  # fmt: skip
    assert ledger.holds_any("customers") and not ledger.holds_any("contacts")
    other = Ledger.open(path, target=TARGET + "x")
    assert not other.holds_any("customers")  # another agreement
    ledger.renumber("customers", "17", "42")
    ledger.drop("customers", "key:B")
    assert {k: e.record_id for k, e in ledger.find("customers", ["key:A", "key:B"]).items()} == {
        "key:A": "42"
    }
    ledger.record("contacts", "key:P", digest="d", record_id="1")
    ledger.close()
    other.close()
    assert forget(path, target=TARGET, entity="contacts") == {"contacts": 1}
    assert forget(path, target=TARGET) == {"customers": 1}
    assert forget(path, target=TARGET) == {}


def test_a_preview_reads_keys_and_ledger_read_only(where: tuple) -> None:
    journal_path, ledger_path = where
    assert JournalKeys.open_read_only(journal_path, target=TARGET) is None  # none created
    assert Ledger.open_read_only(ledger_path, target=TARGET) is None
    journal = Journal.open(journal_path, target=TARGET, sources=[SOURCE])
    journal.mark_done(SID, 2, status="created", http_status=201, api_id="17",
                      entity="customers", source_key="A")  # fmt: skip
    journal.close()
    keys = JournalKeys.open_read_only(journal_path, target=TARGET)
    assert keys is not None and keys.parent_id("customers", "A") == "17"
    with pytest.raises(StateError, match=r"read-only|readonly"):
        keys._db.execute("DELETE FROM parent_keys")
    keys.close()
    Ledger.open(ledger_path, target=TARGET).close()
    ledger = Ledger.open_read_only(ledger_path, target=TARGET)
    assert ledger is not None and ledger.find("customers", ["key:A"]) == {}
    ledger.close()


def test_the_schema_carries_its_version_and_a_newer_one_is_refused(where: tuple) -> None:
    path, _ = where
    store = open_store(path, component="journal")
    assert store is not None
    assert store.query("SELECT component, version FROM schema_version") == [
        ("journal", SCHEMA_VERSION)
    ]
    store.execute("UPDATE schema_version SET version=?", (SCHEMA_VERSION + 1,))
    store.close()
    with pytest.raises(StateError, match="newer econ-import"):
        open_store(path, component="journal")


def test_an_old_sqlite_folder_is_used_as_it_is(tmp_path: Path) -> None:
    """A ledger of an earlier version (no version table) keeps its entries."""
    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE ledger (target TEXT NOT NULL, entity TEXT NOT NULL, identity TEXT NOT"
            " NULL, digest TEXT NOT NULL, record_id TEXT NOT NULL, imported_at REAL NOT NULL,"
            " PRIMARY KEY (target, entity, identity))"
        )
        db.execute("INSERT INTO ledger VALUES (?, 'customers', 'key:A', 'd', '7', 1.0)", (TARGET,))
    db.close()
    ledger = Ledger.open(path, target=TARGET)
    assert ledger.find("customers", ["key:A"])["key:A"].record_id == "7"
    ledger.close()


def test_the_tables_live_in_their_own_postgresql_schema(pg_url: str) -> None:
    Ledger.open(pg_url, target=TARGET).close()
    with psycopg.connect(pg_url) as conn:
        found = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='econ_import'"
        ).fetchall()
        public = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema='public'"
        ).fetchone()
    assert {"ledger", "runs", "rows", "schema_version", "lock_holders"} <= {n for (n,) in found}
    assert public == (0,)


@pytest.mark.parametrize("fault", ["password", "database", "socket"])
def test_a_store_out_of_reach_is_one_line_without_the_password(
    pg_server: PgServer, fault: str
) -> None:
    url = {
        "password": pg_server.url(password="wrong-password-4711"),
        "database": pg_server.url("no_such_db"),
        "socket": pg_server.url().replace(str(pg_server.socket_dir), "/nonexistent"),
    }[fault]
    with pytest.raises(StateError) as caught:
        Journal.open(url, target=TARGET, sources=[SOURCE])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot reach the state store {mask_url(url)}: ")
    assert "wrong-password-4711" not in message and pg_server.password not in message
    assert "postgres:***@" in message


def test_the_url_is_masked_and_places_are_chosen_in_order(tmp_path: Path) -> None:
    assert mask_url("postgresql://u:s3cret@db:5432/x?sslmode=require") == (
        "postgresql://u:***@db:5432/x?sslmode=require"
    )
    assert "s3cret" not in mask_url("postgresql:///x?host=/tmp&password=s3cret")
    url = "postgresql://u@/x?host=/tmp/sock"
    env = {"ECONOMIC_IMPORT_STATE": url, "ECONOMIC_IMPORT_HOME": str(tmp_path / "home")}
    assert state_places(None, env) == (url, url)
    assert state_places(str(tmp_path / "s"), env) == (
        tmp_path / "s" / "journal.sqlite", tmp_path / "s" / "ledger.sqlite",
    )  # fmt: skip
    home = tmp_path / "home"
    assert state_places(None, {"ECONOMIC_IMPORT_HOME": str(home)})[1] == home / "ledger.sqlite"
    with pytest.raises(Exception, match="postgresql:// URL or a folder"):
        state_places("mysql://u:pw@h/x", env)
