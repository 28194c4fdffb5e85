"""Where each entity is written and how the API names a record (spec/000, spec/001)."""

from __future__ import annotations

from typing import Any

from pipeline.constraints import Entity


def collection_url(entity: Entity, *, parent_id: str | None = None) -> str:
    """The collection path: ``/customers`` or ``/customers/1001/contacts``."""
    if entity.parent is None:
        return entity.collection_path
    if not parent_id:
        raise ValueError(f"{entity.name} needs the parent customer's number")
    return entity.collection_path.format(customerNumber=parent_id)


def record_url(entity: Entity, record_id: str, *, parent_id: str | None = None) -> str:
    """One record's path: ``/customers/1001`` or ``/customers/1001/contacts/7``."""
    return f"{collection_url(entity, parent_id=parent_id)}/{record_id}"


def record_id(entity: Entity, body: Any) -> str:
    """The number the API gave the record (``customerNumber``, ``customerContactNumber``...)."""
    if isinstance(body, dict) and body.get(entity.key) is not None:
        value = body[entity.key]
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return ""
