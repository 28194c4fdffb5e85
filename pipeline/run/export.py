"""``econ-import export``: a collection written in exactly the columns import takes.

The headers are the entity's writable property paths (the identity mapping), plus a
customer's links by number, so that export, then ``import --mode upsert`` of the
untouched file, finds every row (and every link) unchanged and sends no write (issues #4,
#14). Collections are read with pagesize 1000, the maximum
(API-FACTS.md "Collections"). Contacts and delivery locations live under their customer
(spec/001), so they are read customer by customer.

The output's folder is created and written to before the first request, and the file is
written beside it first and renamed into place, so a full or read-only disk is one line
(``ReportError``, exit 2) and never leaves half a file (issue #19).
"""

from __future__ import annotations

import csv
import errno
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from pipeline.api import ApiClient, ApiSettings, collection_url
from pipeline.constraints import CUSTOMERS, Entity
from pipeline.errors import ConfigError
from pipeline.mapping import flatten
from pipeline.report import prepare_folder, writing

EXPORT_FORMATS = (".csv", ".xlsx")
EXPORT = "the export"


async def export_entity(entity: Entity, output: Path, *, api: ApiSettings) -> int:
    """Write every record of ``entity`` to ``output`` (.csv or .xlsx); how many there were."""
    if output.suffix.lower() not in EXPORT_FORMATS:
        raise ConfigError(f"{output}: export writes {' or '.join(EXPORT_FORMATS)} files")
    _check_output(output)
    headers = export_paths(entity)
    async with ApiClient(api) as client:
        rows = [_row(flatten(item, entity), headers) async for item in _records(client, entity)]
    temporary = output.with_name(output.name + ".tmp")
    with writing(output, what=EXPORT):
        try:
            if output.suffix.lower() == ".csv":
                _write_csv(temporary, headers, rows)
            else:
                _write_xlsx(temporary, headers, rows)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, output)
    return len(rows)


def _check_output(output: Path) -> None:
    """The output can be written: not a folder, its folder created and writable."""
    with writing(output, what=EXPORT):
        if output.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(output))
    prepare_folder(output.parent, what=EXPORT)


def export_paths(entity: Entity) -> list[str]:
    """The export's headers: what a create accepts, then a customer's links by number
    (``attention.customerContactNumber``...), so that a round trip keeps them (issue #14)."""
    return entity.writable_paths() + [link.path for link in entity.links]


async def _records(client: ApiClient, entity: Entity) -> AsyncIterator[dict[str, Any]]:
    if entity.parent is None:
        async for item in client.iter_collection(entity.collection_path):
            yield item
        return
    async for customer in client.iter_collection(CUSTOMERS.collection_path):
        number = str(customer[CUSTOMERS.key])
        async for item in client.iter_collection(collection_url(entity, parent_id=number)):
            item.setdefault("customer", {})["customerNumber"] = customer[CUSTOMERS.key]
            yield item


def _row(flat: dict[str, str], headers: list[str]) -> list[str]:
    return [flat.get(path, "") for path in headers]


def _write_csv(path: Path, headers: list[str], rows: list[list[str]]) -> None:
    # UTF-8 with BOM so that Excel shows æ, ø and å; every value quoted as text.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)


def _write_xlsx(path: Path, headers: list[str], rows: list[list[str]]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Export")
    sheet.append(headers)
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
    book.save(path)


def _text_cell(sheet: Any, value: str) -> Any:
    """A cell that holds ``value`` as text: openpyxl would store "=..." as a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
