"""``/customers`` and ``/customer-groups`` (spec/001, spec/000), plus the read-only
collections a customer points at and the 501 template/invoice endpoints."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from pipeline.constraints import CUSTOMER_GROUPS, CUSTOMERS
from pipeline.sandbox import errors, render, store
from pipeline.sandbox.common import agreement, base_url, check, created, number, read_object, state
from pipeline.sandbox.listing import CollectionSpec, collection_response
from pipeline.sandbox.seed import READ_ONLY, ReadOnlyCollection
from pipeline.sandbox.validation import accepted_properties

Record = dict[str, Any]

CUSTOMER_LIST = CollectionSpec(
    CUSTOMERS.key, CUSTOMERS.filterable, CUSTOMERS.sortable, creates=CUSTOMERS.label
)
GROUP_CUSTOMER_LIST = CollectionSpec(CUSTOMERS.key, CUSTOMERS.filterable, CUSTOMERS.sortable)
GROUP_LIST = CollectionSpec(
    CUSTOMER_GROUPS.key,
    CUSTOMER_GROUPS.filterable,
    CUSTOMER_GROUPS.sortable,
    creates=CUSTOMER_GROUPS.label,
)


def _table(request: web.Request, kind: str) -> store.Table:
    return agreement(request).tables[kind]


def _existing(request: web.Request, kind: str, param: str) -> Record:
    found = _table(request, kind).rows.get(number(request, param))
    if found is None:
        raise errors.not_found()
    return found


async def list_customers(request: web.Request) -> web.Response:
    """GET /customers."""
    base = base_url(request)
    rows = _table(request, store.CUSTOMERS).rows
    return collection_response(
        request, rows, CUSTOMER_LIST, render=lambda r: render.customer(r, base)
    )


async def get_customer(request: web.Request) -> web.Response:
    """GET /customers/:customerNumber."""
    record = _existing(request, store.CUSTOMERS, "customerNumber")
    return web.json_response(render.customer(record, base_url(request)))


async def get_totals(request: web.Request) -> web.Response:
    """GET /customers/:customerNumber/totals."""
    record = _existing(request, store.CUSTOMERS, "customerNumber")
    return web.json_response(render.totals(record, base_url(request)))


async def post_customer(request: web.Request) -> web.Response:
    """POST /customers; without ``customerNumber`` the next free number is used (spec/001)."""
    body = await read_object(request)
    check(request, CUSTOMERS.name, body, update=False)
    fields = accepted_properties(CUSTOMERS.name, body, update=False)
    n = fields.pop(CUSTOMERS.key, None) or _table(request, store.CUSTOMERS).next_number()
    record = {CUSTOMERS.key: n, **fields, "balance": 0.0, "lastUpdated": store.now_iso()}
    state(request).store.save(agreement(request), store.CUSTOMERS, n, record)
    return created(render.customer(record, base_url(request)))


async def put_customer(request: web.Request) -> web.Response:
    """PUT /customers/:customerNumber; a different ``customerNumber`` in the body renumbers
    the customer (spec/003 "Customer Numbers"), 400 when the new number is taken."""
    body = await read_object(request)  # first: from here to the save nothing awaits
    old = _existing(request, store.CUSTOMERS, "customerNumber")
    n = old[CUSTOMERS.key]
    check(request, CUSTOMERS.name, body, update=True, customer=n, current_key=n)
    fields = accepted_properties(CUSTOMERS.name, body, update=True)
    new = fields.pop(CUSTOMERS.key, n)
    record = {
        CUSTOMERS.key: new,
        **fields,
        "balance": old.get("balance", 0.0),
        "lastUpdated": store.now_iso(),
    }
    if new != n:
        state(request).store.renumber_customer(agreement(request), n, record)
    else:
        state(request).store.save(agreement(request), store.CUSTOMERS, n, record)
    return web.json_response(render.customer(record, base_url(request)))


async def delete_customer(request: web.Request) -> web.Response:
    """DELETE /customers/:customerNumber; its contacts and delivery locations go with it."""
    record = _existing(request, store.CUSTOMERS, "customerNumber")
    state(request).store.remove(agreement(request), store.CUSTOMERS, record[CUSTOMERS.key])
    return web.Response(status=204)


async def list_groups(request: web.Request) -> web.Response:
    """GET /customer-groups."""
    base = base_url(request)
    rows = _table(request, store.GROUPS).rows
    return collection_response(
        request, rows, GROUP_LIST, render=lambda r: render.customer_group(r, base)
    )


async def get_group(request: web.Request) -> web.Response:
    """GET /customer-groups/:customerGroupNumber."""
    record = _existing(request, store.GROUPS, "customerGroupNumber")
    return web.json_response(render.customer_group(record, base_url(request)))


def _members(request: web.Request, group: int) -> dict[int, Record]:
    rows = _table(request, store.CUSTOMERS).rows
    return {n: r for n, r in rows.items() if r["customerGroup"]["customerGroupNumber"] == group}


async def list_group_customers(request: web.Request) -> web.Response:
    """GET /customer-groups/:customerGroupNumber/customers."""
    group = _existing(request, store.GROUPS, "customerGroupNumber")
    base = base_url(request)
    members = _members(request, group[CUSTOMER_GROUPS.key])
    return collection_response(
        request, members, GROUP_CUSTOMER_LIST, render=lambda r: render.customer(r, base)
    )


async def post_group(request: web.Request) -> web.Response:
    """POST /customer-groups; ``customerGroupNumber`` is chosen by the caller (spec/000)."""
    body = await read_object(request)
    check(request, CUSTOMER_GROUPS.name, body, update=False)
    record = accepted_properties(CUSTOMER_GROUPS.name, body, update=False)
    n = record[CUSTOMER_GROUPS.key]
    state(request).store.save(agreement(request), store.GROUPS, n, record)
    return created(render.customer_group(record, base_url(request)))


async def put_group(request: web.Request) -> web.Response:
    """PUT /customer-groups/:customerGroupNumber (the number itself is read-only)."""
    body = await read_object(request)
    old = _existing(request, store.GROUPS, "customerGroupNumber")
    n = old[CUSTOMER_GROUPS.key]
    check(request, CUSTOMER_GROUPS.name, body, update=True)
    record = {
        CUSTOMER_GROUPS.key: n,
        **accepted_properties(CUSTOMER_GROUPS.name, body, update=True),
    }
    state(request).store.save(agreement(request), store.GROUPS, n, record)
    return web.json_response(render.customer_group(record, base_url(request)))


async def delete_group(request: web.Request) -> web.Response:
    """DELETE /customer-groups/:customerGroupNumber; refused while customers are in it."""
    record = _existing(request, store.GROUPS, "customerGroupNumber")
    n = record[CUSTOMER_GROUPS.key]
    if _members(request, n):
        raise errors.coded(
            400,
            errors.CODE_IN_USE,
            f"Customer group '{n}' has customers.",
            "Move or delete the group's customers first.",
        )
    state(request).store.remove(agreement(request), store.GROUPS, n)
    return web.Response(status=204)


class ReadOnlyHandlers:
    """GET list and GET one for a seeded collection."""

    def __init__(self, collection: ReadOnlyCollection) -> None:
        self.collection = collection
        self.index = {item[collection.key]: item for item in collection.items}
        self.spec = CollectionSpec(collection.key, collection.filterable, collection.sortable)

    async def list(self, request: web.Request) -> web.Response:
        """GET /<collection>."""
        base = base_url(request)
        return collection_response(
            request, self.index, self.spec, render=lambda r: render.seeded(r, base, self.collection)
        )

    async def get(self, request: web.Request) -> web.Response:
        """GET /<collection>/:number."""
        item = self.index.get(number(request, "number"))
        if item is None:
            raise errors.not_found()
        return web.json_response(render.seeded(item, base_url(request), self.collection))


async def not_implemented(request: web.Request) -> web.Response:
    """Templates and invoices: 501 with the standard body (slate "HTTP Status Codes")."""
    raise errors.not_implemented()


def add_routes(app: web.Application) -> None:
    """Register every customer, customer-group and read-only route."""
    r = app.router
    one = "/customers/{customerNumber:\\d+}"
    r.add_get("/customers", list_customers)
    r.add_post("/customers", post_customer)
    r.add_get(one, get_customer)
    r.add_put(one, put_customer)
    r.add_delete(one, delete_customer)
    r.add_get(one + "/totals", get_totals)
    for tail in ("/templates{tail:.*}", "/invoices{tail:.*}"):
        r.add_route("*", one + tail, not_implemented)
    group = "/customer-groups/{customerGroupNumber:\\d+}"
    r.add_get("/customer-groups", list_groups)
    r.add_post("/customer-groups", post_group)
    r.add_get(group, get_group)
    r.add_put(group, put_group)
    r.add_delete(group, delete_group)
    r.add_get(group + "/customers", list_group_customers)
    for collection in READ_ONLY.values():
        handlers = ReadOnlyHandlers(collection)
        r.add_get(f"/{collection.path}", handlers.list)
        r.add_get(f"/{collection.path}/{{number:\\d+}}", handlers.get)
