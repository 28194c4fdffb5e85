"""Empty import sheets whose headers are an entity's documented properties.

A template filled in by hand imports without a mapping file: its headers are the property
paths ``identity_mapping`` expects, in the order of the constraints table. The XLSX form
notes each column's type, limits and whether a create needs it, and formats text columns
as text so that Excel keeps the leading zero of a zip code typed as ``0800``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from pipeline.constraints import Entity, Field
from pipeline.errors import ConfigError

TEMPLATE_SUFFIXES = (".csv", ".xlsx")
#: Danish Excel (e-conomic's users) splits CSV columns on ';' when a file is opened.
CSV_DELIMITER = ";"
COMMENT_AUTHOR = "econ-import"


def write_template(entity: Entity, path: Path) -> list[str]:
    """Write an empty sheet for ``entity`` to ``path`` (.csv or .xlsx); return its headers."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEMPLATE_SUFFIXES:
        raise ConfigError(f"{path}: a template is written as .csv or .xlsx, not '{suffix}'")
    headers = entity.writable_paths()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            _write_csv(path, headers)
        else:
            _write_xlsx(path, entity, headers)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the template ({exc.strerror})") from exc
    return headers


def _write_csv(path: Path, headers: list[str]) -> None:
    # The BOM makes Excel read the file as UTF-8, so æøå typed later survive a save.
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=CSV_DELIMITER).writerow(headers)


def _write_xlsx(path: Path, entity: Entity, headers: list[str]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = entity.name
    bold = Font(bold=True)
    for column, header in enumerate(headers, start=1):
        field = entity.field(header)
        assert field is not None
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = bold
        cell.comment = Comment(describe(entity, field), COMMENT_AUTHOR, height=120, width=260)
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(12, len(header) + 2)
        if field.type == "string":
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    book.save(path)


def describe(entity: Entity, field: Field) -> str:
    """One line on what a column takes: type, limits, reference, required on create."""
    parts = [_kind(field)]
    if field.min_length is not None and field.min_length == field.max_length:
        parts.append(f"exactly {field.max_length} characters")
    elif field.max_length is not None:
        parts.append(f"at most {field.max_length} characters")
    if field.minimum is not None and field.maximum is not None:
        parts.append(f"from {field.minimum} to {field.maximum}")
    elif field.minimum is not None:
        parts.append(f"at least {field.minimum}")
    elif field.maximum is not None:
        parts.append(f"at most {field.maximum}")
    reference = next((r for r in entity.references if r.path == field.path), None)
    if reference is not None:
        parts.append(f"the number of an existing {reference.label}")
    if field.path == entity.parent_path:
        parts.append("the customer's number")
    parts.append("required" if field.required else "optional")
    return ", ".join(parts) + "."


def _kind(field: Field) -> str:
    if field.type == "array":
        allowed = ", ".join(field.enum or ())
        return f"A list separated by commas ({allowed})" if allowed else "A list"
    return {
        "string": "Text",
        "integer": "Whole number",
        "number": "Number with a decimal point (1234.50)",
        "boolean": "true/false (ja/nej, 1/0)",
    }[field.type]
