"""The agreement's lock (pipeline.state.lock): a flock file or a PostgreSQL advisory lock,
the same tests against both; who holds it, and a holder's record that no lock backs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.state import Holder, lock_for, target_id
from pipeline.state.lock import FileLock

TARGET = target_id("http://127.0.0.1:1", "grant-token-for-the-lock-tests")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the ledger is, which says where its agreement's lock is."""
    if request.param == "sqlite":
        return tmp_path / "state" / "ledger.sqlite"
    return str(request.getfixturevalue("pg_url"))


def test_one_holder_at_a_time_named_while_it_holds(ledger: Path | str) -> None:
    first, second = lock_for(ledger, target=TARGET), lock_for(ledger, target=TARGET)
    assert first is not None and second is not None
    me = Holder.this_process(["customers.csv", "contacts.xlsx"])
    assert first.try_acquire(me)
    assert not second.try_acquire(Holder.this_process(["other.csv"]))
    assert second.holder() == me
    other = lock_for(ledger, target=TARGET + "x")  # another agreement: its own lock
    assert other is not None and other.try_acquire(me)
    first.release()
    assert second.holder() is None  # the name goes with the lock
    assert second.try_acquire(me)
    second.release()
    other.release()


def test_the_holder_is_named_by_host_pid_time_and_inputs() -> None:
    holder = Holder(host="build-7", pid=4711, since=0.0, inputs=["customers.csv"])
    assert holder.describe() == "pid 4711 on build-7 since 1970-01-01 00:00:00 UTC (customers.csv)"
    assert Holder.from_json(holder.to_json()) == holder
    assert Holder.from_json("") is None and Holder.from_json('{"pid": 1}') is None


def test_a_record_left_by_a_process_that_is_gone_names_no_one(tmp_path: Path) -> None:
    lock = FileLock(tmp_path, target=TARGET)
    gone = Holder.this_process(["x.csv"])
    gone = Holder(host=gone.host, pid=2**22 + 12345, since=gone.since, inputs=gone.inputs)
    lock.path.write_text(gone.to_json(), encoding="utf-8")  # as a kill -9 leaves it
    assert lock.holder() is None
    assert lock.try_acquire(Holder.this_process(["y.csv"]))
    found = lock.holder()
    assert found is not None and found.pid == os.getpid()
    lock.release()


def test_a_run_without_a_store_takes_no_lock() -> None:
    assert lock_for(None, target=TARGET) is None
