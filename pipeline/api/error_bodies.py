"""API error bodies -> ``RowError`` records (the same record local validation produces).

The live 400 shape (API-FACTS.md "Validation errors (HTTP 400)", captured bodies in
``shared/reference/error-bodies/``):

- ``errors`` mirrors the request body: a failing property holds ``{"errors": [{propertyName,
  errorMessage, errorCode, inputValue, developerHint}]}``; nested objects nest the same way;
  arrays hold ``items: [{arrayIndex, ...}]``; when the request body itself was an array,
  ``errors`` is a list of objects with ``arrayIndex``;
- a bad ``filter`` gives ``errors`` as a list of strings;
- a 404 (and other plain errors) has only ``message`` and ``httpStatusCode``.

The property of a ``RowError`` is the dotted path in the request body
(``customerGroup.customerGroupNumber``, ``emailNotifications[1]``), which is what the
report and the mapping speak; the live leaf ``propertyName`` is only the last step of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pipeline.errors import RowError

#: Code used when a body carries neither ``errorCode`` nor ``httpStatusCode``.
UNKNOWN_CODE = "UNKNOWN"
#: Longest excerpt of a non-JSON body kept as the message.
MAX_TEXT_MESSAGE = 200


def parse_error_body(body: object, *, row: int, http_status: int | None = None) -> list[RowError]:
    """Every error an API response reports, as ``RowError(origin="api")`` records for ``row``.

    Never returns an empty list: a body without per-property errors (404, 409, a text
    body) gives one record with ``property=""`` and the top-level message, coded with its
    ``errorCode``, else its ``httpStatusCode`` (or ``http_status``).
    """
    if not isinstance(body, Mapping):
        return [_whole(row, _fallback_code(None, http_status), _text_message(body, http_status))]
    top_code = _fallback_code(body, http_status)
    found = list(_walk_errors(body.get("errors"), path="", row=row, code=top_code))
    if found:
        return found
    message = str(body.get("message") or f"HTTP {http_status or '?'} without a message")
    return [_whole(row, top_code, message)]


def _walk_errors(node: object, *, path: str, row: int, code: str) -> Iterator[RowError]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_item(item, path=path, row=row, code=code)
    elif isinstance(node, Mapping):
        yield from _walk_property(node, path=path, row=row, code=code)


def _walk_item(item: object, *, path: str, row: int, code: str) -> Iterator[RowError]:
    if isinstance(item, str):  # a bad filter: plain strings, about the request as a whole
        yield RowError(row, path, code, item, origin="api")
    elif isinstance(item, Mapping) and "arrayIndex" in item:
        step = f"{path}[{item['arrayIndex']}]"
        yield from _walk_property(_without(item, "arrayIndex"), path=step, row=row, code=code)
    elif isinstance(item, Mapping) and ("errorMessage" in item or "errorCode" in item):
        yield _leaf(item, path=path, row=row, code=code)
    elif isinstance(item, Mapping):
        yield from _walk_property(item, path=path, row=row, code=code)


def _walk_property(
    node: Mapping[str, Any], *, path: str, row: int, code: str
) -> Iterator[RowError]:
    for key, value in node.items():
        if key == "errors" and isinstance(value, list):
            # This property's own errors (the leaves).
            for leaf in value:
                yield from _walk_item(leaf, path=path, row=row, code=code)
        elif key == "items" and isinstance(value, list):
            yield from _walk_errors(value, path=path, row=row, code=code)
        elif isinstance(value, Mapping | list):
            step = f"{path}.{key}" if path else key
            yield from _walk_errors(value, path=step, row=row, code=code)


def _leaf(item: Mapping[str, Any], *, path: str, row: int, code: str) -> RowError:
    return RowError(
        row=row,
        property=path or str(item.get("propertyName") or ""),
        code=str(item.get("errorCode") or code),
        message=str(item.get("errorMessage") or item.get("message") or ""),
        value=item.get("inputValue"),
        origin="api",
    )


def _whole(row: int, code: str, message: str) -> RowError:
    return RowError(row=row, property="", code=code, message=message, origin="api")


def _fallback_code(body: Mapping[str, Any] | None, http_status: int | None) -> str:
    if body is not None:
        for key in ("errorCode", "httpStatusCode"):
            if body.get(key) not in (None, ""):
                return str(body[key])
    return str(http_status) if http_status is not None else UNKNOWN_CODE


def _text_message(body: object, http_status: int | None) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = str(body).strip() if body is not None else ""
    return text[:MAX_TEXT_MESSAGE] or f"HTTP {http_status or '?'} with an empty body"


def _without(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}
