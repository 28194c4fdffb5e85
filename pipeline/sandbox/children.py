"""``/customers/:n/contacts`` and ``/customers/:n/delivery-locations`` (spec/001).

Both are numbered agreement-wide by the server (``customerContactNumber`` is unique across
the agreement since the spec/003 release note; ``deliveryLocationNumber`` "is a unique
numerical identifier") and carry a per-customer ``sortKey`` 1, 2, ... The customer comes
from the URL, never from the body (spec/001: "This value will be picked up from the url").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pipeline.constraints import CONTACTS, DELIVERY_LOCATIONS, Entity
from pipeline.sandbox import errors, render, store
from pipeline.sandbox.common import agreement, base_url, check, created, number, read_object, state
from pipeline.sandbox.listing import CollectionSpec, collection_response
from pipeline.sandbox.validation import accepted_properties

Record = dict[str, Any]


@dataclass(frozen=True)
class ChildKind:
    """One child collection of a customer."""

    entity: Entity
    segment: str  # URL segment and table name
    param: str  # path parameter naming one record
    render: Callable[[Record, str], Record]

    @property
    def spec(self) -> CollectionSpec:
        e = self.entity
        return CollectionSpec(e.key, e.filterable, e.sortable, creates=e.label)


KINDS = (
    ChildKind(CONTACTS, store.CONTACTS, "contactNumber", render.contact),
    ChildKind(
        DELIVERY_LOCATIONS, store.LOCATIONS, "deliveryLocationNumber", render.delivery_location
    ),
)


def _next_sort_key(siblings: dict[int, Record]) -> int:
    return max((r.get("sortKey", 0) for r in siblings.values()), default=0) + 1


class ChildHandlers:
    """CRUD for one ``ChildKind``."""

    def __init__(self, kind: ChildKind) -> None:
        self.kind = kind
        self.spec = kind.spec

    def _table(self, request: web.Request) -> store.Table:
        return agreement(request).tables[self.kind.segment]

    def _customer(self, request: web.Request) -> int:
        n = number(request, "customerNumber")
        if n not in agreement(request).tables[store.CUSTOMERS].rows:
            raise errors.not_found()
        return n

    def _existing(self, request: web.Request) -> tuple[int, Record]:
        customer = self._customer(request)
        found = self._table(request).rows.get(number(request, self.kind.param))
        if found is None or store.parent_of(found) != customer:
            raise errors.not_found()
        return customer, found

    async def list(self, request: web.Request) -> web.Response:
        """GET the customer's records."""
        siblings = self._table(request).children(self._customer(request))
        base = base_url(request)
        return collection_response(
            request, siblings, self.spec, render=lambda r: self.kind.render(r, base)
        )

    async def get(self, request: web.Request) -> web.Response:
        """GET one record."""
        _, record = self._existing(request)
        return web.json_response(self.kind.render(record, base_url(request)))

    async def post(self, request: web.Request) -> web.Response:
        """POST a new record; the server assigns its number and (unless given) its sortKey."""
        # Body first: from the lookup to the save nothing awaits, so a concurrent delete
        # of the customer cannot slip in between.
        body = await read_object(request)
        customer = self._customer(request)
        name = self.kind.entity.name
        check(request, name, body, update=False, customer=customer)
        fields = accepted_properties(name, body, update=False)
        table = self._table(request)
        n = table.next_number()
        sort_key = fields.pop("sortKey", None) or _next_sort_key(table.children(customer))
        record = {
            self.kind.entity.key: n,
            **fields,
            "sortKey": sort_key,
            "customer": {"customerNumber": customer},
        }
        state(request).store.save(agreement(request), self.kind.segment, n, record)
        return created(self.kind.render(record, base_url(request)))

    async def put(self, request: web.Request) -> web.Response:
        """PUT a whole record; its number and (unless given) its sortKey are kept."""
        body = await read_object(request)
        customer, old = self._existing(request)
        name = self.kind.entity.name
        check(request, name, body, update=True, customer=customer)
        fields = accepted_properties(name, body, update=True)
        n = old[self.kind.entity.key]
        record = {
            self.kind.entity.key: n,
            **fields,
            "sortKey": fields.get("sortKey", old["sortKey"]),
            "customer": {"customerNumber": customer},
        }
        state(request).store.save(agreement(request), self.kind.segment, n, record)
        return web.json_response(self.kind.render(record, base_url(request)))

    async def delete(self, request: web.Request) -> web.Response:
        """DELETE one record (204)."""
        _, record = self._existing(request)
        n = record[self.kind.entity.key]
        state(request).store.remove(agreement(request), self.kind.segment, n)
        return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    """Register the contact and delivery-location routes."""
    for kind in KINDS:
        handlers = ChildHandlers(kind)
        many = f"/customers/{{customerNumber:\\d+}}/{kind.segment}"
        one = f"{many}/{{{kind.param}:\\d+}}"
        app.router.add_get(many, handlers.list)
        app.router.add_post(many, handlers.post)
        app.router.add_get(one, handlers.get)
        app.router.add_put(one, handlers.put)
        app.router.add_delete(one, handlers.delete)
