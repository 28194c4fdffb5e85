"""Templates: written to tmp_path, opened again with the project's own reader."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pipeline.constraints import CUSTOMERS, ENTITIES, Entity
from pipeline.errors import ConfigError
from pipeline.mapping import apply_mapping, build_payload, identity_mapping, write_template
from pipeline.read import open_table

ALL_ENTITIES = list(ENTITIES.values())


@pytest.mark.parametrize("entity", ALL_ENTITIES, ids=list(ENTITIES))
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_template_headers_are_the_writable_properties(
    tmp_path: Path, entity: Entity, suffix: str
) -> None:
    path = tmp_path / "out" / f"{entity.name}{suffix}"

    headers = write_template(entity, path)

    assert headers == entity.writable_paths()
    table = open_table(path)
    assert table.columns == headers
    assert list(table.chunks()) == []
    assert identity_mapping(entity, table.columns).properties() == headers


def test_csv_template_is_utf8_with_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "kunder.csv"

    headers = write_template(CUSTOMERS, path)

    raw = path.read_bytes()
    assert raw == b"\xef\xbb\xbf" + ";".join(headers).encode() + b"\r\n"
    assert raw.startswith(b"\xef\xbb\xbfcustomerNumber;name;currency;")


def test_xlsx_template_marks_required_columns_and_keeps_text_as_text(tmp_path: Path) -> None:
    path = tmp_path / "kunder.xlsx"
    headers = write_template(CUSTOMERS, path)

    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    cells = {cell.value: cell for cell in sheet[1]}

    assert list(cells) == headers
    assert all(cell.font.bold for cell in cells.values())
    assert cells["name"].comment.text == "Text, at most 255 characters, required."
    assert cells["customerNumber"].comment.text == "Whole number, from 1 to 999999999, optional."
    assert cells["paymentTerms.paymentTermsNumber"].comment.text == (
        "Whole number, the number of an existing PaymentTerms, required."
    )
    required = {h for h, c in cells.items() if c.comment.text.endswith("required.")}
    assert required == set(CUSTOMERS.required_paths())
    zip_letter = cells["zip"].column_letter
    assert sheet.column_dimensions[zip_letter].number_format == "@"
    assert sheet.freeze_panes == "A2"


def test_a_filled_in_template_imports_without_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "kunder.xlsx"
    headers = write_template(CUSTOMERS, path)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    values = {
        "customerNumber": 7,
        "name": "Ærø Cykler",
        "currency": "DKK",
        "zip": "0800",
        "customerGroup.customerGroupNumber": 1,
        "paymentTerms.paymentTermsNumber": 3,
        "vatZone.vatZoneNumber": 1,
        "creditLimit": 2500.5,
        "barred": False,
    }
    sheet.append([values.get(h) for h in headers])
    book.save(path)

    table = open_table(path)
    mapped = apply_mapping(next(table.chunks()), identity_mapping(CUSTOMERS, table.columns))

    assert build_payload(mapped.loc[2].to_dict(), CUSTOMERS) == {
        "customerNumber": 7,
        "name": "Ærø Cykler",
        "currency": "DKK",
        "zip": "0800",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 3},
        "vatZone": {"vatZoneNumber": 1},
        "creditLimit": 2500.5,
        "barred": False,
    }


def test_unknown_template_extension(tmp_path: Path) -> None:
    path = tmp_path / "kunder.ods"

    with pytest.raises(ConfigError) as info:
        write_template(CUSTOMERS, path)

    assert str(info.value) == f"{path}: a template is written as .csv or .xlsx, not '.ods'"
    assert not path.exists()
