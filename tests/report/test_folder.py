"""The report folder's faults: checked before the run, and a failed write kept in bounds.

``prepare_folder`` refuses a file, a path under a file and a full disk in one line; a
``ReportWriter`` whose disk fills up raises ``ReportError`` once, then only counts, and
its ``close`` leaves whole lines and says why the report is incomplete, without raising.
The disk is a real tmpfs (``tests.disks``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.errors import ReportError
from pipeline.redact import Redactor
from pipeline.report.folder import PROBE_BYTES, PROBE_NAME, prepare_folder
from pipeline.report.writer import FLUSH_EVERY_ROWS, ReportWriter
from pipeline.write.outcome import RESULT_COLUMNS, RowResult, Status, Summary
from tests.disks import SmallDisk
from tests.disks import small_disk as mounted_disk

COLUMNS = ["customerNumber", "name"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with mounted_disk(tmp_path / "disk") as disk:
        if disk is None:
            pytest.skip("needs a tmpfs mount")
        yield disk


def _writer(directory: Path) -> ReportWriter:
    report = ReportWriter(directory, redactor=Redactor([]))
    report.begin_input(
        source="kunder.csv", sheet="", entity="customers", columns=COLUMNS,
        column_of={"customerNumber": "customerNumber", "name": "name"},
    )  # fmt: skip
    return report


def _add(report: ReportWriter, row: int, status: Status = Status.CREATED) -> None:
    result = RowResult("kunder.csv", "", row, "customers", str(row), status, id=str(row))
    report.add(result, {"customerNumber": str(row), "name": f"Kunde {row}"})


def _results(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_the_folder_is_created_and_the_probe_removed(tmp_path: Path) -> None:
    folder = prepare_folder(tmp_path / "reports" / "today")
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert not (folder / PROBE_NAME).exists()


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    taken = tmp_path / "report.csv"
    taken.write_text("mine\n", encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        prepare_folder(taken)
    assert str(caught.value) == (
        f"cannot write the report: {taken}: File exists, not a folder; "
        "give a folder, not a file and run the same command again"
    )
    assert taken.read_text(encoding="utf-8") == "mine\n"


def test_a_path_under_a_file_names_the_cause(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with pytest.raises(ReportError, match="Not a directory"):
        prepare_folder(tmp_path / "a-file" / "report")


def test_a_disk_with_less_room_than_the_probe_is_refused(small_disk: SmallDisk) -> None:
    small_disk.fill(leave=PROBE_BYTES // 2)
    with pytest.raises(ReportError, match="No space left on device; free some space"):
        prepare_folder(small_disk.path / "report")
    assert not (small_disk.path / "report" / PROBE_NAME).exists()


def test_a_disk_filling_up_raises_once_and_close_keeps_whole_lines(
    small_disk: SmallDisk,
) -> None:
    report = _writer(small_disk.path / "report")
    small_disk.fill(leave=16 * 1024)  # room for a few hundred lines, not a flush's worth
    raised = []
    for row in range(2, 2 + 3 * FLUSH_EVERY_ROWS):
        try:
            _add(report, row, Status.CREATED if row % 7 else Status.REJECTED)
        except ReportError as exc:
            raised.append((row, str(exc)))
    assert len(raised) == 1, raised  # then the rows are only counted
    assert "No space left on device" in raised[0][1]
    paths = report.close(Summary())
    assert paths.incomplete == raised[0][1]
    lines = _results(paths.results)
    assert lines[0] == list(RESULT_COLUMNS)
    assert all(len(cells) == len(RESULT_COLUMNS) for cells in lines)  # none cut short
    assert len(lines) - 1 == paths.rows_written
    assert not list(paths.directory.glob("*.tmp"))
    assert not paths.errors_xlsx  # a workbook that could not be saved is not listed


def test_a_disk_full_at_close_leaves_an_incomplete_report_without_raising(
    small_disk: SmallDisk,
) -> None:
    report = _writer(small_disk.path / "report")
    for row in range(2, 12):
        _add(report, row)  # buffered: nothing written yet
    small_disk.fill(leave=0)
    paths = report.close(Summary())
    # The lines still fit in results.csv's first page; summary.json needs a page of its own.
    assert paths.incomplete.startswith(f"cannot write the report: {paths.directory}/summary")
    assert "No space left on device" in paths.incomplete
    assert len(_results(paths.results)) == 11 and paths.rows_written == 10
    assert not paths.summary.exists() and not list(paths.directory.glob("*.tmp"))
