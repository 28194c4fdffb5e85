"""Faults of the machine it runs on (issue #19 point 5): a full, read-only or wrong folder.

The report folder (and the state folder) sit on a small tmpfs the test mounts in
``tmp_path`` (``tests.disks``: the tests run as root, where ``mount`` works and ``chmod``
would not stop root). Without the right to mount, a path under a regular file stands in
for the folder that cannot be written, and the tests that need a disk filling up mid-run
are skipped. The importer runs as a real process, so that a traceback would show in its
stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.report.folder import PROBE_BYTES
from tests.conftest import SandboxHandle
from tests.disks import SmallDisk, unwritable_folder
from tests.disks import small_disk as mounted_disk
from tests.runs import (
    PROCESS_TIMEOUT_S,
    env_with_tokens,
    import_command,
    read_results,
    statuses,
    write_customers,
)

#: Rows of the mid-run test: one batch, its results.csv (~400 KB) outgrows the room left.
ROWS = 3000
#: Rows of the preview test: changes.csv (some 7 lines a row) outgrows the room left, not
#: the whole disk.
PREVIEW_ROWS = 800
#: Room the filler leaves: the probe and results.csv's header fit, the rows do not.
ROOM_BYTES = PROBE_BYTES + 64 * 1024
#: Room for the state: the journal and the ledger open, but 3,000 rows (some 2 MB of
#: journal and ledger, and up to 8 MB more of their write-ahead logs) do not fit ...
STATE_ROOM_BYTES = 1024 * 1024
#: ... and the disk they are on, once the filler is gone, holds them all.
STATE_DISK_BYTES = 16 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk | None]:
    """A small tmpfs in ``tmp_path`` (None where this user may not mount); unmounted after."""
    with mounted_disk(tmp_path / "disk") as disk:
        yield disk


@pytest.fixture
def state_disk(tmp_path: Path) -> Iterator[SmallDisk | None]:
    """A tmpfs for the state folder, roomy enough for a whole run's journal and ledger."""
    with mounted_disk(tmp_path / "state", STATE_DISK_BYTES) as disk:
        yield disk


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder the run cannot write: a read-only tmpfs, else a path under a regular file."""
    with unwritable_folder(tmp_path) as path:
        yield path


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env={**env_with_tokens(), **env}, capture_output=True, text=True,
        timeout=PROCESS_TIMEOUT_S, check=False,
    )  # fmt: skip


def _one_line(err: str) -> str:
    """stderr, which must be exactly one line and no traceback."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _validate(command: list[str]) -> list[str]:
    """The same command as ``validate`` (a preview: the report and changes.csv, no writes)."""
    return [("validate" if part == "import" else part) for part in command]


@pytest.mark.parametrize("command", ["import", "validate"])
def test_a_report_path_naming_a_file_stops_before_any_request(
    sandbox: SandboxHandle, tmp_path: Path, command: str
) -> None:
    source = write_customers(tmp_path / "customers.csv", range(1, 11))
    taken = tmp_path / "results.txt"
    taken.write_text("someone's file\n", encoding="utf-8")
    line = import_command(source, url=sandbox.url, report=taken, journal=None)
    done = _run(_validate(line) if command == "validate" else line)
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert str(taken) in line and "not a folder" in line, line
    assert sandbox.stats()["requests"] == 0  # not even the plan's look-ups
    assert taken.read_text(encoding="utf-8") == "someone's file\n"


def test_a_report_folder_that_cannot_be_written_stops_before_any_request(
    sandbox: SandboxHandle, tmp_path: Path, unwritable: Path
) -> None:
    source = write_customers(tmp_path / "customers.csv", range(1, 11))
    done = _run(import_command(source, url=sandbox.url, report=unwritable, journal=None))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert "cannot write the report" in line and str(unwritable.parent) in line, line
    assert "Read-only file system" in line or "Not a directory" in line, line
    assert sandbox.stats()["requests"] == 0


def test_a_report_folder_on_a_full_disk_stops_before_any_request(
    sandbox: SandboxHandle, tmp_path: Path, small_disk: SmallDisk | None
) -> None:
    if small_disk is None:
        pytest.skip("needs a tmpfs mount (the unwritable folder is tested above)")
    small_disk.fill(leave=PROBE_BYTES // 2)  # a few pages: less than the probe needs
    source = write_customers(tmp_path / "customers.csv", range(1, 11))
    report = small_disk.path / "report"
    done = _run(import_command(source, url=sandbox.url, report=report, journal=None))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert str(report) in line and "No space left on device" in line, line
    assert "free some space" in line
    assert sandbox.stats()["requests"] == 0


def test_a_report_disk_filling_up_mid_run_stops_it_and_the_rerun_finishes_each_row_once(
    sandbox: SandboxHandle, tmp_path: Path, small_disk: SmallDisk | None
) -> None:
    if small_disk is None:
        pytest.skip("needs a tmpfs mount to fill a disk mid-run")
    small_disk.fill(leave=ROOM_BYTES)
    numbers = range(20_001, 20_001 + ROWS)
    source = write_customers(tmp_path / "customers.csv", numbers)
    report = small_disk.path / "report"
    command = import_command(source, url=sandbox.url, report=report, journal=None)
    first = _run(command)
    assert first.returncode == 3, first.stdout + first.stderr
    line = _one_line(first.stderr)
    assert line.startswith("Stopped: cannot write the report: "), line
    assert str(report / "results.csv") in line and "No space left on device" in line, line
    assert "incomplete" in first.stdout
    sent = sandbox.stats()["writes"]
    assert sent == ROWS  # the whole batch went out before its lines were written
    kept = read_results(report)  # whole lines only, however far it got
    assert all(r["status"] == "created" for r in kept)

    small_disk.free()
    second = _run(command)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "resuming the unfinished run" in second.stdout
    results = read_results(report)
    assert [int(r["row"]) for r in results] == list(range(2, ROWS + 2))
    assert statuses(results) == {"created": ROWS}
    summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
    assert summary["created"] == ROWS and "incomplete" not in summary
    stats = sandbox.stats()
    assert stats["writes"] == ROWS  # nothing sent twice
    assert sum(a["customers"] for a in stats["agreements"].values()) == ROWS


def test_a_preview_whose_changes_outgrow_the_disk_stops_and_the_rerun_writes_them_all(
    sandbox: SandboxHandle, tmp_path: Path, small_disk: SmallDisk | None
) -> None:
    if small_disk is None:
        pytest.skip("needs a tmpfs mount to fill a disk mid-run")
    small_disk.fill(leave=ROOM_BYTES)
    source = write_customers(tmp_path / "customers.csv", range(40_001, 40_001 + PREVIEW_ROWS))
    report = small_disk.path / "report"
    command = _validate(import_command(source, url=sandbox.url, report=report, journal=None))
    first = _run(command)
    assert first.returncode == 3, first.stdout + first.stderr
    line = _one_line(first.stderr)
    # changes.csv fills it first; the batch's lines for results.csv then find no room either
    assert f"{report}/" in line and "No space left on device" in line, line
    assert not (report / "changes.xlsx").exists()  # no half-saved workbook is left

    small_disk.free()
    second = _run(command)
    assert second.returncode == 0, second.stdout + second.stderr
    assert statuses(read_results(report)) == {"valid": PREVIEW_ROWS}
    assert (report / "changes.xlsx").exists()
    assert sandbox.stats()["writes"] == 0  # a preview sends nothing


def test_a_state_folder_on_a_full_disk_stops_before_any_write(
    sandbox: SandboxHandle, tmp_path: Path, small_disk: SmallDisk | None
) -> None:
    if small_disk is None:
        pytest.skip("needs a tmpfs mount")
    small_disk.fill(leave=0)
    source = write_customers(tmp_path / "customers.csv", range(1, 11))
    command = import_command(source, url=sandbox.url, report=tmp_path / "report", journal=None)
    done = _run(command, ECONOMIC_IMPORT_HOME=str(small_disk.path))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert str(small_disk.path) in line, line
    assert sandbox.stats()["writes"] == 0


def test_a_state_disk_filling_up_mid_run_stops_it_and_the_rerun_finishes_each_row_once(
    sandbox: SandboxHandle, tmp_path: Path, state_disk: SmallDisk | None
) -> None:
    small_disk = state_disk
    if small_disk is None:
        pytest.skip("needs a tmpfs mount to fill a disk mid-run")
    numbers = range(30_001, 30_001 + ROWS)
    source = write_customers(tmp_path / "customers.csv", numbers)
    small_disk.fill(leave=STATE_ROOM_BYTES)
    home = {"ECONOMIC_IMPORT_HOME": str(small_disk.path)}
    command = import_command(source, url=sandbox.url, report=tmp_path / "report", journal=None)
    first = _run(command, **home)
    assert first.returncode == 3, first.stdout + first.stderr
    line = _one_line(first.stderr)
    assert str(small_disk.path) in line, line
    results = read_results(tmp_path / "report")
    assert len(results) == ROWS  # the report is whole: every row, those not done STOPPED
    assert 0 < sandbox.stats()["writes"] < ROWS  # it stopped mid-run

    small_disk.free()
    second = _run(command, **home)
    assert second.returncode == 0, second.stdout + second.stderr
    assert statuses(read_results(tmp_path / "report")) == {"created": ROWS}
    stats = sandbox.stats()
    assert stats["writes"] == ROWS  # nothing sent twice
    assert sum(a["customers"] for a in stats["agreements"].values()) == ROWS


def _export(url: str, output: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline", "export", "customers", "-o", str(output),
            "--base-url", url]  # fmt: skip


def test_an_export_to_a_folder_or_a_full_disk_stops_before_any_request(
    sandbox: SandboxHandle, tmp_path: Path, small_disk: SmallDisk | None
) -> None:
    folder = tmp_path / "customers.csv"  # a folder named like the file
    folder.mkdir()
    done = _run(_export(sandbox.url, folder))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert line == (
        f"econ-import: cannot write the export: {folder}: Is a directory; give a file, not a "
        "folder and run the same command again"
    )
    if small_disk is not None:
        small_disk.fill(leave=PROBE_BYTES // 2)
        done = _run(_export(sandbox.url, small_disk.path / "customers.csv"))
        assert done.returncode == 2, done.stdout + done.stderr
        assert "No space left on device" in _one_line(done.stderr)
    assert sandbox.stats()["requests"] == 0


def test_an_export_that_outgrows_the_disk_leaves_no_half_file(
    sandbox: SandboxHandle, tmp_path: Path, small_disk: SmallDisk | None
) -> None:
    if small_disk is None:
        pytest.skip("needs a tmpfs mount to fill a disk")
    source = write_customers(tmp_path / "customers.csv", range(50_001, 50_001 + ROWS))
    seeded = _run(import_command(source, url=sandbox.url, report=tmp_path / "seed", journal=None))
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    small_disk.fill(leave=ROOM_BYTES)
    output = small_disk.path / "customers.csv"
    done = _run(_export(sandbox.url, output))
    assert done.returncode == 2, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert f"cannot write the export: {output}" in line and "No space left" in line, line
    assert sorted(p.name for p in small_disk.path.iterdir()) == ["filler"]
