"""Every endpoint of the sandbox, over loopback (issue #2, point 1)."""

from __future__ import annotations

import pytest

from tests.sandbox.helpers import Api, customer_body


async def test_customer_create_read_update_delete(api: Api) -> None:
    created = await api.post("/customers", customer_body(customerNumber=1001, city="Odense"))
    assert created.status == 201
    assert created.headers["Location"] == f"{api.base}/customers/1001"
    assert created.body["customerGroup"] == {
        "customerGroupNumber": 1,
        "self": f"{api.base}/customer-groups/1",
    }
    assert created.body["balance"] == 0.0
    assert created.body["lastUpdated"].endswith("Z")
    assert created.body["contacts"] == f"{api.base}/customers/1001/contacts"

    fetched = await api.get("/customers/1001")
    assert fetched.status == 200
    assert fetched.body == created.body

    # PUT replaces the whole customer: city is gone, zip is new.
    updated = await api.put("/customers/1001", customer_body(customerNumber=1001, zip="5000"))
    assert updated.status == 200
    assert "city" not in updated.body and updated.body["zip"] == "5000"

    assert (await api.delete("/customers/1001")).status == 204
    assert (await api.get("/customers/1001")).status == 404
    assert (await api.delete("/customers/1001")).status == 404


async def test_customer_without_number_gets_the_next_free_one(api: Api) -> None:
    first = await api.post("/customers", customer_body())
    await api.post("/customers", customer_body(customerNumber=40))
    after = await api.post("/customers", customer_body())
    assert first.body["customerNumber"] == 1
    assert after.body["customerNumber"] == 41
    # Numbers are reused after deletion (API-FACTS.md): deleting the highest frees it.
    await api.delete("/customers/41")
    again = await api.post("/customers", customer_body())
    assert again.body["customerNumber"] == 41


async def test_customer_totals_links(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=7))
    totals = await api.get("/customers/7/totals")
    assert totals.status == 200
    assert totals.body["self"] == f"{api.base}/customers/7/totals"
    assert set(totals.body) == {"booked", "drafts", "self"}
    assert (await api.get("/customers/8/totals")).status == 404


async def test_put_with_another_number_renumbers_and_moves_children(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=10))
    contact = await api.post("/customers/10/contacts", {"name": "Hanne"})
    location = await api.post("/customers/10/delivery-locations", {"city": "Vejle"})

    moved = await api.put("/customers/10", customer_body(customerNumber=11))
    assert moved.status == 200 and moved.body["self"] == f"{api.base}/customers/11"
    assert (await api.get("/customers/10")).status == 404
    n = contact.body["customerContactNumber"]
    got = await api.get(f"/customers/11/contacts/{n}")
    assert got.status == 200 and got.body["customer"]["customerNumber"] == 11
    loc = location.body["deliveryLocationNumber"]
    assert (await api.get(f"/customers/11/delivery-locations/{loc}")).status == 200


async def test_renumber_onto_a_taken_number_is_refused(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=1))
    await api.post("/customers", customer_body(customerNumber=2))
    refused = await api.put("/customers/1", customer_body(customerNumber=2))
    assert refused.status == 400
    assert refused.body["errors"]["customerNumber"]["errors"][0]["errorCode"] == "E04400"
    assert (await api.get("/customers/1")).status == 200


async def test_put_on_a_missing_customer_is_404(api: Api) -> None:
    assert (await api.put("/customers/99", customer_body())).status == 404


async def test_delete_customer_cascades_to_contacts_and_locations(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=5))
    contact = await api.post("/customers/5/contacts", {"name": "Ib"})
    await api.post("/customers/5/delivery-locations", {"address": "Havnegade 1"})
    await api.delete("/customers/5")
    await api.post("/customers", customer_body(customerNumber=5))
    assert (await api.get("/customers/5/contacts")).body["collection"] == []
    assert (await api.get("/customers/5/delivery-locations")).body["collection"] == []
    n = contact.body["customerContactNumber"]
    assert (await api.get(f"/customers/5/contacts/{n}")).status == 404


async def test_contacts_are_numbered_agreement_wide_with_per_customer_sort_keys(api: Api) -> None:
    for n in (1, 2):
        await api.post("/customers", customer_body(customerNumber=n))
    a = await api.post("/customers/1/contacts", {"name": "A"})
    b = await api.post("/customers/2/contacts", {"name": "B", "email": "b@example.dk"})
    c = await api.post("/customers/1/contacts", {"name": "C"})
    numbers = [r.body["customerContactNumber"] for r in (a, b, c)]
    assert len(set(numbers)) == 3
    assert [r.body["sortKey"] for r in (a, b, c)] == [1, 1, 2]
    assert b.body["customer"] == {"customerNumber": 2, "self": f"{api.base}/customers/2"}
    assert b.body["self"] == f"{api.base}/customers/2/contacts/{numbers[1]}"
    # A contact is only found under its own customer.
    assert (await api.get(f"/customers/1/contacts/{numbers[1]}")).status == 404


async def test_contact_update_and_delete(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=3))
    contact = await api.post("/customers/3/contacts", {"name": "Old", "phone": "12345678"})
    n = contact.body["customerContactNumber"]
    updated = await api.put(f"/customers/3/contacts/{n}", {"name": "New", "notes": "VIP"})
    assert updated.status == 200
    assert updated.body["name"] == "New" and "phone" not in updated.body
    assert updated.body["customerContactNumber"] == n and updated.body["sortKey"] == 1
    listed = await api.get("/customers/3/contacts")
    assert [c["name"] for c in listed.body["collection"]] == ["New"]
    assert (await api.delete(f"/customers/3/contacts/{n}")).status == 204
    assert (await api.get(f"/customers/3/contacts/{n}")).status == 404


async def test_customer_points_at_its_own_contact_and_location(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=4))
    contact = (await api.post("/customers/4/contacts", {"name": "Bo"})).body
    location = (await api.post("/customers/4/delivery-locations", {"city": "Ry"})).body
    body = customer_body(
        attention={"customerContactNumber": contact["customerContactNumber"]},
        defaultDeliveryLocation={"self": location["self"]},
    )
    updated = await api.put("/customers/4", body)
    assert updated.status == 200
    assert updated.body["attention"]["self"] == contact["self"]
    assert updated.body["defaultDeliveryLocation"]["self"] == location["self"]
    # Deleting the contact clears the pointer rather than leaving it dangling.
    await api.delete(f"/customers/4/contacts/{contact['customerContactNumber']}")
    assert "attention" not in (await api.get("/customers/4")).body


async def test_delivery_locations_crud(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=6))
    first = await api.post("/customers/6/delivery-locations", {"address": "Vestergade 2"})
    second = await api.post("/customers/6/delivery-locations", {"city": "Aalborg", "sortKey": 9})
    assert first.status == 201 and first.body["sortKey"] == 1
    assert second.body["sortKey"] == 9
    n = first.body["deliveryLocationNumber"]
    updated = await api.put(f"/customers/6/delivery-locations/{n}", {"postalCode": "9000"})
    assert updated.body["postalCode"] == "9000" and updated.body["sortKey"] == 1
    assert (await api.get(f"/customers/6/delivery-locations/{n}")).body["postalCode"] == "9000"
    assert (await api.delete(f"/customers/6/delivery-locations/{n}")).status == 204
    listed = await api.get("/customers/6/delivery-locations")
    assert [r["city"] for r in listed.body["collection"]] == ["Aalborg"]


async def test_children_of_a_missing_customer_are_404(api: Api) -> None:
    assert (await api.get("/customers/404/contacts")).status == 404
    assert (await api.post("/customers/404/contacts", {"name": "X"})).status == 404
    assert (await api.post("/customers/404/delivery-locations", {})).status == 404


async def test_customer_groups_crud_and_members(api: Api) -> None:
    seeded = await api.get("/customer-groups")
    assert [g["name"] for g in seeded.body["collection"]] == [
        "Indenlandske kunder",
        "Udenlandske kunder",
    ]
    created = await api.post(
        "/customer-groups",
        {"customerGroupNumber": 3, "name": "Offentlige", "account": {"accountNumber": 5620}},
    )
    assert created.status == 201
    assert created.body["customers"] == f"{api.base}/customer-groups/3/customers"
    await api.post("/customers", customer_body(customerGroup={"customerGroupNumber": 3}))
    members = await api.get("/customer-groups/3/customers")
    assert [c["customerGroup"]["customerGroupNumber"] for c in members.body["collection"]] == [3]

    renamed = await api.put("/customer-groups/3", {"name": "Offentlige kunder"})
    assert renamed.body["name"] == "Offentlige kunder"
    assert renamed.body["customerGroupNumber"] == 3

    in_use = await api.delete("/customer-groups/3")
    assert in_use.status == 400
    await api.delete("/customers/1")
    assert (await api.delete("/customer-groups/3")).status == 204
    assert (await api.get("/customer-groups/3")).status == 404


@pytest.mark.parametrize(
    ("path", "key", "numbers"),
    [
        ("/payment-terms", "paymentTermsNumber", [1, 2, 3, 4, 5]),
        ("/vat-zones", "vatZoneNumber", [1, 2, 3, 4]),
        ("/layouts", "layoutNumber", [19, 20, 21]),
        ("/employees", "employeeNumber", [1, 2, 3]),
    ],
    ids=["payment-terms", "vat-zones", "layouts", "employees"],
)
async def test_seeded_collections(api: Api, path: str, key: str, numbers: list[int]) -> None:
    listed = await api.get(path)
    assert [item[key] for item in listed.body["collection"]] == numbers
    one = await api.get(f"{path}/{numbers[-1]}")
    assert one.status == 200 and one.body["self"] == f"{api.base}{path}/{numbers[-1]}"
    assert (await api.get(f"{path}/999")).status == 404
    assert (await api.post(path, {})).status == 405


async def test_vat_zones_match_the_documented_numbering(api: Api) -> None:
    zones = (await api.get("/vat-zones")).body["collection"]
    assert {z["vatZoneNumber"]: z["name"] for z in zones} == {
        1: "Domestic",
        2: "EU",
        3: "Abroad",
        4: "Domestic exempt",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/customers/1/templates",
        "/customers/1/templates/invoice",
        "/customers/1/templates/invoiceline/101",
        "/customers/1/invoices/drafts",
    ],
)
async def test_template_and_invoice_endpoints_answer_501(api: Api, path: str) -> None:
    reply = await api.get(path)
    assert reply.status == 501
    assert set(reply.body) == {"message", "developerHint", "logId", "httpStatusCode", "logTime"}


async def test_a_customer_cannot_point_at_another_customers_contact(api: Api) -> None:
    for n in (20, 21):
        await api.post("/customers", customer_body(customerNumber=n))
    theirs = (await api.post("/customers/21/contacts", {"name": "Fremmed"})).body
    body = customer_body(
        customerNumber=20,
        customerContact={"customerContactNumber": theirs["customerContactNumber"]},
    )
    refused = await api.put("/customers/20", body)
    assert refused.status == 400
    assert "customerContact" in refused.body["errors"]
    assert "customerContact" not in (await api.get("/customers/20")).body


async def test_a_renumbered_customer_keeps_its_links(api: Api) -> None:
    await api.post("/customers", customer_body(customerNumber=30))
    contact = (await api.post("/customers/30/contacts", {"name": "Bo"})).body
    link = {"customerContactNumber": contact["customerContactNumber"]}
    await api.put("/customers/30", customer_body(customerNumber=30, attention=link))
    moved = await api.put("/customers/30", customer_body(customerNumber=31, attention=link))
    assert moved.status == 200
    assert (
        moved.body["attention"]["self"]
        == f"{api.base}/customers/31/contacts/{link['customerContactNumber']}"
    )
