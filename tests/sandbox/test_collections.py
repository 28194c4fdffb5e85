"""Paging, filter and sort, including their 400s (issue #2, point 4; API-FACTS.md)."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.constraints import CODE_PAGESIZE, CUSTOMERS
from tests.sandbox.helpers import Api, customer_body

PEOPLE: list[dict[str, Any]] = [
    {"customerNumber": 1, "name": "Anders And A/S", "city": "Andeby", "zip": "1000",
     "creditLimit": 1000},
    {"customerNumber": 2, "name": "Bager Hansen", "city": "Århus", "zip": "8000",
     "creditLimit": 5000, "barred": True},
    {"customerNumber": 3, "name": "Cykel-Niels (Ejby)", "city": "Ejby", "zip": "5592"},
    {"customerNumber": 4, "name": "Dansk $ Dollar", "city": "Newport", "zip": "2000",
     "creditLimit": 0, "barred": False},
    {"customerNumber": 5, "name": "Ebbes Æbler", "city": "Southport", "zip": "9000",
     "creditLimit": 2500.5},
]  # fmt: skip


@pytest.fixture
async def people(api: Api) -> Api:
    for person in PEOPLE:
        assert (await api.post("/customers", customer_body(**person))).status == 201
    return api


async def _numbers(api: Api, **params: str) -> list[int]:
    reply = await api.get("/customers", params=params)
    assert reply.status == 200, reply.body
    return [c["customerNumber"] for c in reply.body["collection"]]


FILTERS = [
    ("eq-case-insensitive", "name$eq:bager hansen", [2]),
    ("ne", "name$ne:Bager Hansen", [1, 3, 4, 5]),
    ("gt", "creditLimit$gt:1000", [2, 5]),
    ("gte", "creditLimit$gte:1000", [1, 2, 5]),
    ("lt", "creditLimit$lt:1000", [4]),
    ("lte", "creditLimit$lte:1000", [1, 4]),
    ("like-wildcard", "city$like:*port", [4, 5]),
    ("like-contains", "city$like:BY", [1, 3]),
    ("like-prefix", "city$like:a*", [1]),
    ("escaped-dollar", "name$eq:Dansk $$ Dollar", [4]),
    ("escaped-parens", "name$eq:Cykel-Niels $(Ejby$)", [3]),
    ("in", "customerNumber$in:[1,3,5]", [1, 3, 5]),
    ("nin", "customerNumber$nin:[1,3,5]", [2, 4]),
    ("in-null", "creditLimit$in:[$null:,0]", [3, 4]),
    ("eq-null", "creditLimit$eq:$null:", [3]),
    ("ne-null", "creditLimit$ne:$null:", [1, 2, 4, 5]),
    ("boolean", "barred$eq:true", [2]),
    ("string-lt-and", "zip$lt:5000$and:creditLimit$gt:500", [1]),
    ("or", "city$eq:Ejby$or:city$eq:Newport", [3, 4]),
    ("parentheses", "name$like:a$and:(city$like:*port$or:zip$eq:1000)", [1, 4]),
    ("and-binds-tighter", "city$eq:Ejby$or:city$eq:Newport$and:zip$eq:9999", [3]),
    ("number-key-lookup", "customerNumber$eq:4", [4]),
]


@pytest.mark.parametrize(
    ("expr", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS]
)
async def test_filter_operators(people: Api, expr: str, expected: list[int]) -> None:
    assert await _numbers(people, filter=expr) == expected


BAD_FILTERS = [
    ("not-filterable", "pNumber$eq:1234567890"),
    ("unknown-property", "favourite$eq:1"),
    ("unknown-operator", "name$is:x"),
    ("missing-paren", "(name$eq:x"),
    ("trailing", "name$eq:x)"),
    ("unescaped-dollar", "name$eq:a$b"),
    ("in-text", "customerNumber$in:[a,b]"),
    ("in-no-brackets", "customerNumber$in:1,2"),
    ("in-too-many", "customerNumber$in:[" + ",".join(map(str, range(201))) + "]"),
    ("null-with-gt", "creditLimit$gt:$null:"),
    ("not-a-number", "creditLimit$gt:lots"),
    ("not-a-boolean", "barred$eq:maybe"),
]


@pytest.mark.parametrize("expr", [b[1] for b in BAD_FILTERS], ids=[b[0] for b in BAD_FILTERS])
async def test_bad_filters_are_400_with_allowed_fields(people: Api, expr: str) -> None:
    reply = await people.get("/customers", params={"filter": expr})
    assert reply.status == 400
    assert reply.body["allowedFilteringFields"] == sorted(CUSTOMERS.filterable)
    assert isinstance(reply.body["errors"], list) and all(
        isinstance(e, str) for e in reply.body["errors"]
    )


async def test_in_takes_up_to_200_values(people: Api) -> None:
    expr = "customerNumber$in:[" + ",".join(map(str, range(200))) + "]"
    assert await _numbers(people, filter=expr) == [1, 2, 3, 4, 5]


SORTS = [
    ("descending-nulls-last", "-creditLimit", [2, 5, 1, 4, 3]),
    ("case-insensitive", "city", [1, 3, 4, 5, 2]),
    ("two-keys", "-zip,name", [5, 2, 3, 4, 1]),
    ("name-descending", "-name", [5, 4, 3, 2, 1]),
]


@pytest.mark.parametrize(("sort", "expected"), [s[1:] for s in SORTS], ids=[s[0] for s in SORTS])
async def test_sort(people: Api, sort: str, expected: list[int]) -> None:
    assert await _numbers(people, sort=sort) == expected


@pytest.mark.parametrize("sort", ["barred", "pNumber", "-nothing"])
async def test_sort_on_a_non_sortable_property_is_400(people: Api, sort: str) -> None:
    reply = await people.get("/customers", params={"sort": sort})
    assert reply.status == 400
    assert reply.body["allowedSortingFields"] == sorted(CUSTOMERS.sortable)


async def test_filter_sort_and_paging_combine(people: Api) -> None:
    reply = await people.get(
        "/customers", params={"filter": "creditLimit$ne:$null:", "sort": "-customerNumber",
                              "pagesize": "2", "skippages": "1"}
    )  # fmt: skip
    assert [c["customerNumber"] for c in reply.body["collection"]] == [2, 1]
    pagination = reply.body["pagination"]
    assert pagination["results"] == 4 and pagination["resultsWithoutFilter"] == 5
    assert "nextPage" not in pagination
    assert "filter=creditLimit" in pagination["firstPage"]


@pytest.fixture
async def many(api: Api) -> Api:
    for _ in range(25):
        await api.post("/customers", customer_body())
    return api


async def test_paging_envelope(many: Api) -> None:
    first = await many.get("/customers")
    assert set(first.body) == {"collection", "pagination", "metaData", "self"}
    assert len(first.body["collection"]) == 20  # the default page size
    pagination = first.body["pagination"]
    assert pagination["maxPageSizeAllowed"] == 1000
    assert pagination["results"] == 25 and pagination["pageSize"] == 20
    assert pagination["skipPages"] == 0
    assert pagination["nextPage"] == f"{many.base}/customers?skippages=1&pagesize=20"
    assert pagination["lastPage"] == f"{many.base}/customers?skippages=1&pagesize=20"
    assert first.body["metaData"]["create"]["httpMethod"] == "post"

    second = await many.get(pagination["nextPage"].removeprefix(many.base))
    assert [c["customerNumber"] for c in second.body["collection"]] == list(range(21, 26))
    assert "nextPage" not in second.body["pagination"]


async def test_paging_limits(many: Api) -> None:
    assert len((await many.get("/customers", params={"pagesize": "1000"})).body["collection"]) == 25
    past_end = await many.get("/customers", params={"skippages": "9"})
    assert past_end.status == 200 and past_end.body["collection"] == []
    for bad in ({"pagesize": "1001"}, {"pagesize": "0"}, {"pagesize": "x"}, {"skippages": "-1"}):
        reply = await many.get("/customers", params=bad)
        assert reply.status == 400 and reply.body["errorCode"] == CODE_PAGESIZE, bad


async def test_seeded_collections_resolve_names(api: Api) -> None:
    for name, number in (("Netto 30 dage", 3), ("Løbende måned + 30 dage", 4)):
        reply = await api.get("/payment-terms", params={"filter": f"name$eq:{name}"})
        assert [t["paymentTermsNumber"] for t in reply.body["collection"]] == [number]
    zones = await api.get("/vat-zones", params={"filter": "name$like:domestic"})
    assert [z["vatZoneNumber"] for z in zones.body["collection"]] == [1, 4]
    bad = await api.get("/layouts", params={"filter": "colour$eq:red"})
    assert bad.status == 400 and "name" in bad.body["allowedFilteringFields"]


async def test_filter_on_children_and_groups(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=1))
    for name in ("Anna", "Bent", "Carla"):
        await api.post("/customers/1/contacts", {"name": name})
    contacts = await api.get("/customers/1/contacts", params={"filter": "sortKey$gte:2",
                                                             "sort": "-name"})  # fmt: skip
    assert [c["name"] for c in contacts.body["collection"]] == ["Carla", "Bent"]
    groups = await api.get("/customer-groups", params={"filter": "account.accountNumber$eq:5610"})
    assert [g["customerGroupNumber"] for g in groups.body["collection"]] == [2]
    no = await api.get("/customers/1/delivery-locations", params={"sort": "barred"})
    assert no.status == 400  # barred is filterable there, not sortable (spec/001)
