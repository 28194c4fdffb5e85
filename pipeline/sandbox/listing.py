"""Collection responses: ``pagesize``/``skippages``, ``filter``, ``sort`` and the envelope.

API-FACTS.md "Collections": ``pagesize`` defaults to 20 and allows at most 1000 (1001 gives
400 E04810); skipping past the end gives an empty ``collection``; the envelope is
``{collection, pagination: {maxPageSizeAllowed, skipPages, pageSize, results,
resultsWithoutFilter, firstPage, nextPage, lastPage}, metaData, self}``. Filtering or
sorting on a property that is not filterable/sortable gives 400.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from pipeline.constraints import CODE_PAGESIZE
from pipeline.sandbox import errors
from pipeline.sandbox.filtering import (
    Filter,
    FilterError,
    Predicate,
    SortKey,
    parse_filter,
    parse_sort,
    sort_records,
)

Record = dict[str, Any]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class CollectionSpec:
    """What a collection allows: its key, filterable and sortable properties, and the
    label for the ``metaData.create`` link (None for read-only collections)."""

    key: str
    filterable: frozenset[str]
    sortable: frozenset[str]
    creates: str | None = None


def _paging(query: MultiMapping[str]) -> tuple[int, int]:
    try:
        size = int(query.get("pagesize", DEFAULT_PAGE_SIZE))
        skip = int(query.get("skippages", 0))
    except ValueError:
        raise errors.coded(
            400,
            CODE_PAGESIZE,
            "pagesize and skippages must be whole numbers.",
            "Use e.g. ?skippages=0&pagesize=100.",
        ) from None
    if not 1 <= size <= MAX_PAGE_SIZE or skip < 0:
        raise errors.coded(
            400,
            CODE_PAGESIZE,
            f"pagesize must be 1..{MAX_PAGE_SIZE} and skippages at least 0.",
            f"The maximum page size is {MAX_PAGE_SIZE}; page through larger collections.",
        )
    return skip, size


def _filter_error(exc: FilterError, spec: CollectionSpec) -> errors.SandboxError:
    return errors.coded(
        400,
        errors.CODE_BAD_FILTER,
        "Invalid filter.",
        "Filter only on the properties listed in allowedFilteringFields.",
        errors=[str(exc)],
        allowedFilteringFields=sorted(spec.filterable),
    )


def _sort_error(exc: FilterError, spec: CollectionSpec) -> errors.SandboxError:
    return errors.coded(
        400,
        errors.CODE_BAD_SORT,
        "Invalid sort.",
        "Sort only on the properties listed in allowedSortingFields.",
        errors=[str(exc)],
        allowedSortingFields=sorted(spec.sortable),
    )


def _parse(query: MultiMapping[str], spec: CollectionSpec) -> tuple[Filter | None, list[SortKey]]:
    where: Filter | None = None
    order: list[SortKey] = []
    if "filter" in query:
        try:
            where = parse_filter(query["filter"], spec.filterable)
        except FilterError as exc:
            raise _filter_error(exc, spec) from None
    if query.get("sort"):
        try:
            order = parse_sort(query["sort"], spec.sortable)
        except FilterError as exc:
            raise _sort_error(exc, spec) from None
    return where, order


def _candidates(where: Filter | None, index: Mapping[int, Record], key: str) -> Iterable[Record]:
    # A lookup by key (customerNumber$eq:42) is what an importer does per row: answer it
    # from the index instead of scanning the whole table.
    if isinstance(where, Predicate) and where.prop == key and where.op == "$eq:" and where.value:
        try:
            found = index.get(int(where.value))
        except ValueError:
            return index.values()
        return [found] if found is not None else []
    return index.values()


def collection_response(
    request: web.Request,
    index: Mapping[int, Record],
    spec: CollectionSpec,
    *,
    render: Callable[[Record], Record],
) -> web.Response:
    """The live collection envelope for the records in ``index`` (number -> record)."""
    skip, size = _paging(request.query)
    where, order = _parse(request.query, spec)
    try:
        rows = [r for r in _candidates(where, index, spec.key) if where is None or where.matches(r)]
    except FilterError as exc:
        raise _filter_error(exc, spec) from None
    rows.sort(key=lambda r: r[spec.key])  # default order: by number, ascending
    if order:
        rows = sort_records(rows, order)
    page = rows[skip * size : (skip + 1) * size]
    return web.json_response(
        {
            "collection": [render(r) for r in page],
            "pagination": _pagination(
                request, skip=skip, size=size, results=len(rows), unfiltered=len(index)
            ),
            "metaData": _meta(request, spec),
            "self": str(request.url),
        }
    )


def _pagination(
    request: web.Request, *, skip: int, size: int, results: int, unfiltered: int
) -> dict[str, Any]:
    def page(n: int) -> str:
        return str(request.url.update_query(skippages=n, pagesize=size))

    last = max(0, (results - 1) // size)
    out: dict[str, Any] = {
        "maxPageSizeAllowed": MAX_PAGE_SIZE,
        "skipPages": skip,
        "pageSize": size,
        "results": results,
        "resultsWithoutFilter": unfiltered,
        "firstPage": page(0),
    }
    if skip < last:
        out["nextPage"] = page(skip + 1)
    out["lastPage"] = page(last)
    return out


def _meta(request: web.Request, spec: CollectionSpec) -> dict[str, Any]:
    if spec.creates is None:
        return {}
    href = str(request.url.with_query(None))
    return {
        "create": {
            "description": f"Create a new {spec.creates}.",
            "href": href,
            "httpMethod": "post",
        }
    }
