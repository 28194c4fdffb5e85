"""Small helpers every handler uses: the agreement, the base URL, the body, the numbers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from pipeline.sandbox import errors
from pipeline.sandbox.state import STATE, SandboxState
from pipeline.sandbox.store import Agreement, AgreementLookup
from pipeline.sandbox.validation import validate_body

#: Where the middleware leaves the authenticated agreement on the request.
AGREEMENT = web.RequestKey("sandbox_agreement", Agreement)


def state(request: web.Request) -> SandboxState:
    """The running sandbox's state."""
    return request.app[STATE]


def agreement(request: web.Request) -> Agreement:
    """The agreement the request's grant token belongs to."""
    return request[AGREEMENT]


def base_url(request: web.Request) -> str:
    """``http://host:port`` as the client addressed the sandbox, for ``self`` links."""
    return f"{request.scheme}://{request.host}"


def number(request: web.Request, name: str) -> int:
    """The integer path parameter ``name``; 404 when it is not a number."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise errors.not_found() from None


async def read_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 otherwise."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise errors.bad_body("not valid JSON") from None
    if not isinstance(body, dict):
        raise errors.bad_body("expected a JSON object")
    return body


def check(
    request: web.Request,
    entity_name: str,
    body: dict[str, Any],
    *,
    update: bool,
    customer: int | None = None,
    current_key: int | None = None,
) -> None:
    """Validate ``body`` against the constraints table; 400 E04300 with every error."""
    lookup = AgreementLookup(agreement(request), customer)
    found = validate_body(
        entity_name,
        body,
        update=update,
        lookup=lookup,
        current_key=current_key,
        base_url=base_url(request),
    )
    if found is not None:
        tree, count = found
        raise errors.validation_failed(tree, count)


def created(payload: dict[str, Any]) -> web.Response:
    """201 with the new resource and a ``Location`` header (slate "HTTP Status Codes")."""
    return web.json_response(payload, status=201, headers={"Location": payload["self"]})
