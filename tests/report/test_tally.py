"""What report.html counts as rows go by (``pipeline.report.tally``)."""

from __future__ import annotations

from pipeline.errors import RowError
from pipeline.report.tally import ChangeTally, ErrorTally, column_for
from pipeline.write.outcome import RowResult, Status

COLUMN_OF = {"zip": "Postnr", "customerGroup.customerGroupNumber": "Gruppe", "name": "Navn"}


def invalid(row: int, *errors: RowError) -> RowResult:
    return RowResult("k.csv", "", row, "customers", str(row), Status.INVALID, errors=list(errors))


def test_a_row_counts_once_per_column_and_code_however_many_messages() -> None:
    tally = ErrorTally()
    tally.add(invalid(2, RowError(2, "zip", "E04330", "too long"),
                      RowError(2, "zip", "E04330", "too long again")), COLUMN_OF)  # fmt: skip
    tally.add(invalid(3, RowError(3, "zip", "E04330", "too long")), COLUMN_OF)
    tally.add(
        invalid(4, RowError(4, "customerGroup", "E07140", "not found", origin="api")), COLUMN_OF
    )
    assert tally.records() == [
        {"entity": "customers", "column": "Postnr", "property": "zip", "code": "E04330", "rows": 2},
        {"entity": "customers", "column": "Gruppe", "property": "customerGroup",
         "code": "E07140", "rows": 1},
    ]  # fmt: skip


def test_an_unmapped_property_is_its_own_column() -> None:
    assert column_for("request", COLUMN_OF) == "request"
    assert column_for("customerGroup", COLUMN_OF) == "Gruppe"
    assert column_for("vatZone", {"vatZone.a": "A", "vatZone.b": "B"}) == "vatZone"


def test_changes_count_rows_per_action_and_lines_per_property() -> None:
    tally = ChangeTally()
    tally.add("customers", "create", ["name", "zip"], links=False)
    tally.add("customers", "update", ["zip"], links=False)
    tally.add("customers", "update", ["attention.customerContactNumber"], links=True)
    records = tally.records()
    assert sorted((r["action"], r["rows"]) for r in records["rows"]) == [
        ("create", 1), ("link", 1), ("update", 1),
    ]  # fmt: skip
    lines = {(p["action"], p["property"]): p["lines"] for p in records["properties"]}
    assert lines == {("create", "name"): 1, ("create", "zip"): 1, ("update", "zip"): 1,
                     ("update", "attention.customerContactNumber"): 1}  # fmt: skip
