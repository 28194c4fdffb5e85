"""The sandbox validates with the importer's constraints table, nothing else (STYLE.md 7).

Every limit in ``pipeline.constraints.ENTITIES`` is probed over HTTP: accepted at the limit,
rejected one past it with the table's error code. A limit written down anywhere else would
make one of these cases fail.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from pipeline.constraints import ENTITIES, Entity, Field
from pipeline.constraints.codes import CODE_MAX_LENGTH, CODE_MINIMUM
from tests.sandbox.helpers import Api, customer_body

_group_numbers = itertools.count(100)


def _limited(attr: str) -> list[tuple[Entity, Field]]:
    return [
        (e, f)
        for e in ENTITIES.values()
        for f in e.fields
        if getattr(f, attr) is not None and f.on_create and f.path != e.parent_path
    ]


def _nest(path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nest(rest, value) if rest else value}


async def _create(api: Api, entity: Entity, path: str, value: Any) -> tuple[int, Any]:
    """POST a minimal valid body of ``entity`` with ``path`` set to ``value``."""
    extra = _nest(path, value)
    if entity.name == "customers":
        target, body = "/customers", {**customer_body(), **extra}
    elif entity.name == "customer-groups":
        target, body = "/customer-groups", {"customerGroupNumber": next(_group_numbers), **extra}
    else:
        if (await api.get("/customers/1")).status == 404:
            await api.post("/customers", customer_body(customerNumber=1))
        base = {"name": "Kontakt"} if entity.name == "contacts" else {}
        target, body = f"/customers/1/{entity.name}", {**base, **extra}
    reply = await api.post(target, body)
    return reply.status, reply.body


def _codes_at(body: Any, path: str) -> list[str]:
    node = body["errors"]
    for part in path.split("."):
        node = node[part]
    return [e["errorCode"] for e in node["errors"]]


MAX_LENGTH = _limited("max_length")


@pytest.mark.parametrize(
    ("entity", "field"), MAX_LENGTH, ids=[f"{e.name}.{f.path}" for e, f in MAX_LENGTH]
)
async def test_every_max_length_in_the_table(api: Api, entity: Entity, field: Field) -> None:
    assert field.max_length is not None
    status, body = await _create(api, entity, field.path, "x" * field.max_length)
    assert status == 201, body
    status, body = await _create(api, entity, field.path, "x" * (field.max_length + 1))
    assert status == 400
    assert CODE_MAX_LENGTH in _codes_at(body, field.path)


MINIMUM = _limited("minimum")


@pytest.mark.parametrize(
    ("entity", "field"), MINIMUM, ids=[f"{e.name}.{f.path}" for e, f in MINIMUM]
)
async def test_every_minimum_in_the_table(api: Api, entity: Entity, field: Field) -> None:
    assert field.minimum is not None
    status, body = await _create(api, entity, field.path, field.minimum - 1)
    assert status == 400
    assert _codes_at(body, field.path) == [CODE_MINIMUM]
    # At the minimum the value is accepted (customer-group numbers are taken from 100 up).
    value = field.minimum if entity.key != field.path else next(_group_numbers)
    status, body = await _create(api, entity, field.path, value)
    assert status == 201, body


def test_the_table_has_limits_to_probe() -> None:
    # Guards the parametrisation: an empty table would make the tests above vacuous.
    assert len(MAX_LENGTH) >= 20 and len(MINIMUM) >= 3
