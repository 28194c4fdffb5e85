"""The one table of documented API constraints.

Both the importer's pandera schemas (``pipeline.validate``) and the sandbox's request
validator (``pipeline.sandbox.validation``) are built from ``ENTITIES``; nothing else in
the project writes a length, a range or an enum down again.

Sources, cited per entity below:

- ``../shared/spec/000_6301d0585750c740.txt``: /customer-groups property tables;
- ``../shared/spec/001_b22641f37298d6ff.txt``: /customers, /contacts, /delivery-locations;
- ``../shared/reference/schemas/*.schema.json``: the published JSON schemas (draft-03).

Where the rendered tables and the published schemas disagree, the published schema wins,
because it is what the live server enforces (``../shared/reference/API-FACTS.md``,
"Published JSON schemas vs. the rendered documentation"):

- customer ``ean``: maxLength 13 (schema), not 40 (table);
- customer ``vatNumber``: maxLength 20 (schema), not 50 (table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["string", "integer", "number", "boolean", "array"]

SPEC_GROUPS = "spec/000_6301d0585750c740.txt"
SPEC_CUSTOMERS = "spec/001_b22641f37298d6ff.txt"
SCHEMAS = "reference/schemas"

#: customerNumber and friends: "a positive unique numerical identifier with a maximum of 9
#: digits" (spec/001, POST /customers, customerNumber).
MAX_NUMBER = 999_999_999


@dataclass(frozen=True)
class Field:
    """One writable (or identifying) property of an entity, as the API documents it.

    ``path`` is the dotted property path (``customerGroup.customerGroupNumber``).
    ``required`` means the API rejects a create without it. ``on_create`` / ``on_update``
    say on which writes the property is accepted (e.g. ``attention`` exists only on the
    customer PUT schema).
    """

    path: str
    type: FieldType
    required: bool = False
    max_length: int | None = None
    min_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None
    unique_items: bool = False
    on_create: bool = True
    on_update: bool = True
    source: str = ""


@dataclass(frozen=True)
class Reference:
    """A reference object pointing at another collection (``customerGroup`` -> groups).

    Either ``<object>.<number_property>`` or ``<object>.self`` identifies the target
    (API-FACTS.md). A missing target is answered with ``error_code`` and
    ``"<label> '<n>' not found."`` (captured in reference/error-bodies/).
    """

    object: str
    number_property: str
    collection: str
    label: str
    error_code: str
    required: bool = False
    name_property: str = "name"

    @property
    def path(self) -> str:
        return f"{self.object}.{self.number_property}"


@dataclass(frozen=True)
class Link:
    """A customer's pointer at one of its own contacts or delivery locations.

    Only the customer PUT schema has these (customers.customerNo.put.schema.json:
    ``attention``, ``customerContact``, ``defaultDeliveryLocation``), and the target must
    exist first: the importer sets them after the children's steps (``pipeline.write.links``).
    ``key_path`` names the target by the source key of a child row instead of its number.
    """

    object: str
    number_property: str
    child: str  # the entity name of the target: contacts or delivery-locations

    @property
    def path(self) -> str:
        return f"{self.object}.{self.number_property}"

    @property
    def key_path(self) -> str:
        return f"{self.object}.key"


@dataclass(frozen=True)
class Entity:
    """An importable entity: its fields, identity, references and collection rules."""

    name: str
    label: str
    fields: tuple[Field, ...]
    key: str
    key_is_server_assigned: bool
    collection_path: str
    parent: str | None = None
    parent_path: str | None = None
    references: tuple[Reference, ...] = ()
    filterable: frozenset[str] = field(default_factory=frozenset)
    sortable: frozenset[str] = field(default_factory=frozenset)
    source: str = ""
    #: Importer-only properties: read from a row, never sent as such (``pseudo`` fields).
    pseudo: tuple[Field, ...] = ()
    #: Pointers at the entity's own children, set once they exist (customers only).
    links: tuple[Link, ...] = ()

    def field(self, path: str) -> Field | None:
        """The field at ``path``, or None when the entity has no such property."""
        return _FIELD_INDEX[self.name].get(path)

    def writable_paths(self) -> list[str]:
        """Every property path a create accepts, in table order (template headers)."""
        return [f.path for f in self.fields if f.on_create]

    def required_paths(self) -> list[str]:
        """Property paths a create cannot do without."""
        return [f.path for f in self.fields if f.required and f.on_create]


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# "Filterable properties" of each collection (spec/000 GET /customer-groups; spec/001 GET
# /customers, /contacts, /delivery-locations). The "Sortable properties" lists are the
# same, less ``barred`` for customers and delivery locations.
CUSTOMER_FILTERABLE = _names(
    "address balance barred city corporateIdentificationNumber country creditLimit currency"
    " customerNumber ean email lastUpdated name publicEntryNumber telephoneAndFaxNumber"
    " vatNumber website zip"
)
GROUP_FILTERABLE = _names(
    "account.accountNumber account.accountType account.balance account.blockDirectEntries"
    " account.debitCredit account.name customerGroupNumber name"
)
CONTACT_FILTERABLE = _names(
    "customer.customerNumber customerContactNumber eInvoiceId email name phone sortKey"
)
LOCATION_FILTERABLE = _names(
    "address barred city country deliveryLocationNumber postalCode sortKey"
)


def _s(path: str, max_length: int | None = None, **kw: object) -> Field:
    return Field(path, "string", max_length=max_length, **kw)  # type: ignore[arg-type]


def _i(path: str, **kw: object) -> Field:
    return Field(path, "integer", **kw)  # type: ignore[arg-type]


def _parent_number(source: str) -> Field:
    """A child's ``customer.customerNumber``: required, since it names the URL's customer."""
    return _i("customer.customerNumber", required=True, minimum=1, maximum=MAX_NUMBER,
              source=f"{source} (taken from the URL)")  # fmt: skip


# Reference targets (API-FACTS.md "Observed server behaviour"; error-bodies/).
CUSTOMER_GROUP_REF = Reference(
    "customerGroup",
    "customerGroupNumber",
    "customer-groups",
    "CustomerGroup",
    "E07140",
    required=True,
)
PAYMENT_TERMS_REF = Reference(
    "paymentTerms",
    "paymentTermsNumber",
    "payment-terms",
    "PaymentTerms",
    "E07080",
    required=True,
)
VAT_ZONE_REF = Reference(
    "vatZone", "vatZoneNumber", "vat-zones", "VatZone", "E07100", required=True
)
LAYOUT_REF = Reference("layout", "layoutNumber", "layouts", "Layout", "E07120")
SALES_PERSON_REF = Reference("salesPerson", "employeeNumber", "employees", "Employee", "E07160")

_CUSTOMERS_SRC = f"{SPEC_CUSTOMERS} POST /customers; {SCHEMAS}/customers.post.schema.json"
_CUSTOMERS_PUT_SRC = f"{SCHEMAS}/customers.customerNo.put.schema.json"

#: The pseudo-property that renumbers a customer (issue #14): it names the customer by its
#: number today, and the row's ``customerNumber`` is the number it gets. spec/003 "Customer
#: Numbers": "specify the new customerNumber in the supplied data and do your PUT
#: operation on the original customerNumber".
CURRENT_CUSTOMER_NUMBER = _i(
    "currentCustomerNumber",
    minimum=1,
    maximum=MAX_NUMBER,
    on_create=False,
    on_update=False,
    source="spec/003_8cad5d4e527f9238.txt Customer Numbers (importer pseudo-property)",
)
CUSTOMER_LINKS = (
    Link("customerContact", "customerContactNumber", "contacts"),
    Link("attention", "customerContactNumber", "contacts"),
    Link("defaultDeliveryLocation", "deliveryLocationNumber", "delivery-locations"),
)

CUSTOMERS = Entity(
    name="customers",
    label="customer",
    key="customerNumber",
    key_is_server_assigned=False,
    collection_path="/customers",
    source=_CUSTOMERS_SRC,
    fields=(
        _i("customerNumber", minimum=1, maximum=MAX_NUMBER, source=_CUSTOMERS_SRC),
        _s("name", 255, min_length=1, required=True, source=_CUSTOMERS_SRC),
        _s("currency", 3, min_length=3, required=True, source=_CUSTOMERS_SRC),
        _i("customerGroup.customerGroupNumber", required=True, source=_CUSTOMERS_SRC),
        _i("paymentTerms.paymentTermsNumber", required=True, source=_CUSTOMERS_SRC),
        _i("vatZone.vatZoneNumber", required=True, source=_CUSTOMERS_SRC),
        _s("address", 510, source=_CUSTOMERS_SRC),
        _s("zip", 30, source=_CUSTOMERS_SRC),
        _s("city", 50, source=_CUSTOMERS_SRC),
        _s("country", 50, source=_CUSTOMERS_SRC),
        _s("email", 255, source=_CUSTOMERS_SRC),
        _s("telephoneAndFaxNumber", 255, source=_CUSTOMERS_SRC),
        _s("mobilePhone", 50, source=_CUSTOMERS_SRC),
        _s("website", 255, source=_CUSTOMERS_SRC),
        _s("corporateIdentificationNumber", 40, source=_CUSTOMERS_SRC),
        # Schema 10..10; the table agrees (p-nummer is exactly ten digits).
        _s("pNumber", 10, min_length=10, source=_CUSTOMERS_SRC),
        # The published schema says 13 where the rendered table says 40: the schema is
        # what the live server enforces (API-FACTS.md), so 13 it is.
        _s("ean", 13, source=f"{SCHEMAS}/customers.post.schema.json (table says 40)"),
        # Likewise 20 in the schema against 50 in the table.
        _s("vatNumber", 20, source=f"{SCHEMAS}/customers.post.schema.json (table says 50)"),
        _s("publicEntryNumber", 50, source=_CUSTOMERS_SRC),
        Field("creditLimit", "number", source=_CUSTOMERS_SRC),
        Field("barred", "boolean", source=_CUSTOMERS_SRC),
        Field(
            "eInvoicingDisabledByDefault",
            "boolean",
            source=f"{SCHEMAS}/customers.post.schema.json (not in the table)",
        ),
        _i("layout.layoutNumber", source=_CUSTOMERS_SRC),
        _i("salesPerson.employeeNumber", source=_CUSTOMERS_SRC),
        # Only the PUT schema has these three: they point at contacts and delivery
        # locations, which can only exist once the customer does.
        _i("attention.customerContactNumber", on_create=False, source=_CUSTOMERS_PUT_SRC),
        _i("customerContact.customerContactNumber", on_create=False, source=_CUSTOMERS_PUT_SRC),
        _i(
            "defaultDeliveryLocation.deliveryLocationNumber",
            on_create=False,
            source=_CUSTOMERS_PUT_SRC,
        ),
    ),
    references=(CUSTOMER_GROUP_REF, PAYMENT_TERMS_REF, VAT_ZONE_REF, LAYOUT_REF, SALES_PERSON_REF),
    filterable=CUSTOMER_FILTERABLE,
    sortable=CUSTOMER_FILTERABLE - {"barred"},
    pseudo=(CURRENT_CUSTOMER_NUMBER,),
    links=CUSTOMER_LINKS,
)

_GROUPS_SRC = f"{SPEC_GROUPS} POST /customer-groups; {SCHEMAS}/customer-groups.post.schema.json"

CUSTOMER_GROUPS = Entity(
    name="customer-groups",
    label="customer group",
    key="customerGroupNumber",
    key_is_server_assigned=False,
    collection_path="/customer-groups",
    source=_GROUPS_SRC,
    fields=(
        # Caller-chosen and required on POST (API-FACTS.md; the schema), read-only on PUT.
        _i("customerGroupNumber", required=True, minimum=1, on_update=False, source=_GROUPS_SRC),
        _s("name", 50, source=_GROUPS_SRC),
        # Required when ``account`` is sent at all (schema: account.accountNumber required).
        _i("account.accountNumber", minimum=1, source=_GROUPS_SRC),
        _i("layout.layoutNumber", source=_GROUPS_SRC),
    ),
    references=(LAYOUT_REF,),
    filterable=GROUP_FILTERABLE,
    sortable=GROUP_FILTERABLE,
)

_CONTACTS_SRC = (
    f"{SPEC_CUSTOMERS} POST /customers/:customerNumber/contacts; "
    f"{SCHEMAS}/customers.customerNumber.contacts.post.schema.json"
)

#: emailNotifications enum (spec/001, contacts; the schema's items.enum, uniqueItems).
EMAIL_NOTIFICATIONS = ("invoices", "orders", "quotations", "reminders")

CONTACTS = Entity(
    name="contacts",
    label="contact",
    # customerContactNumber is unique across the agreement and assigned by the server
    # (spec/003 release note); sortKey is the old per-customer number.
    key="customerContactNumber",
    key_is_server_assigned=True,
    collection_path="/customers/{customerNumber}/contacts",
    parent="customers",
    parent_path="customer.customerNumber",
    source=_CONTACTS_SRC,
    fields=(
        _parent_number(_CONTACTS_SRC),
        _s("name", 255, required=True, source=_CONTACTS_SRC),
        _s("email", 255, source=_CONTACTS_SRC),
        _s("phone", 50, source=_CONTACTS_SRC),
        _s("eInvoiceId", 50, source=_CONTACTS_SRC),
        _s("notes", 2000, source=_CONTACTS_SRC),
        Field(
            "emailNotifications",
            "array",
            enum=EMAIL_NOTIFICATIONS,
            unique_items=True,
            source=_CONTACTS_SRC,
        ),
    ),
    filterable=CONTACT_FILTERABLE,
    sortable=CONTACT_FILTERABLE,
)

_LOCATIONS_SRC = (
    f"{SPEC_CUSTOMERS} POST /customers/:customerNumber/delivery-locations; "
    f"{SCHEMAS}/customers.customerNumber.delivery-locations.post.schema.json"
)

DELIVERY_LOCATIONS = Entity(
    name="delivery-locations",
    label="delivery location",
    key="deliveryLocationNumber",
    key_is_server_assigned=True,
    collection_path="/customers/{customerNumber}/delivery-locations",
    parent="customers",
    parent_path="customer.customerNumber",
    source=_LOCATIONS_SRC,
    fields=(
        _parent_number(_LOCATIONS_SRC),
        _s("address", 255, source=_LOCATIONS_SRC),
        _s("postalCode", 15, source=_LOCATIONS_SRC),
        _s("city", 50, source=_LOCATIONS_SRC),
        _s("country", 50, source=_LOCATIONS_SRC),
        _s("termsOfDelivery", 100, source=_LOCATIONS_SRC),
        _i("sortKey", minimum=1, source=_LOCATIONS_SRC),
        Field("barred", "boolean", source=_LOCATIONS_SRC),
    ),
    filterable=LOCATION_FILTERABLE,
    sortable=LOCATION_FILTERABLE - {"barred"},
)

#: Every importable entity, in dependency order: a later one may point at an earlier one.
ENTITIES: dict[str, Entity] = {
    e.name: e for e in (CUSTOMER_GROUPS, CUSTOMERS, CONTACTS, DELIVERY_LOCATIONS)
}

_FIELD_INDEX: dict[str, dict[str, Field]] = {
    e.name: {f.path: f for f in e.fields} for e in ENTITIES.values()
}


def entity(name: str) -> Entity:
    """The entity called ``name``; a KeyError names the valid ones."""
    try:
        return ENTITIES[name]
    except KeyError:
        valid = ", ".join(ENTITIES)
        raise KeyError(f"unknown entity {name!r}; valid entities: {valid}") from None
