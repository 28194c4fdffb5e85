"""Error bodies in the live API's shape, and the one exception the handlers raise.

Shapes follow the captured responses in ``shared/reference/error-bodies/`` and
API-FACTS.md "Validation errors (HTTP 400)":

- 404 (and here 401, 403, 429, 501, 503): ``message, developerHint, logId,
  httpStatusCode, logTime``;
- validation 400: adds ``errorCode`` (E04300), ``errorCount`` and ``errors`` mirroring the
  request body;
- a bad ``filter``/``sort``: ``errors`` is a list of strings plus ``allowedFilteringFields``
  (``allowedSortingFields`` for sort).

The live server's codes for a bad filter, sort, body or Idempotency-Key are not published;
the sandbox's own choices are the ``CODE_*`` constants below.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from pipeline.constraints import CODE_VALIDATION_FAILED

CODE_BAD_FILTER = "E04820"
CODE_BAD_SORT = "E04830"
CODE_IDEMPOTENCY_ON_GET = "E04840"
CODE_BAD_BODY = "E04850"
CODE_IN_USE = "E04860"


class SandboxError(Exception):
    """An answer other than success; the middleware turns it into its JSON response."""

    def __init__(
        self, status: int, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The JSON response for this error."""
        return web.json_response(self.body, status=self.status, headers=self.headers)


def _stamp(status: int, message: str, hint: str) -> dict[str, Any]:
    # logId looks like the live "8d79f54f226ebe44-CPH"; SBX marks it as the sandbox's.
    return {
        "message": message,
        "developerHint": hint,
        "logId": f"{secrets.token_hex(8)}-SBX",
        "httpStatusCode": status,
        "logTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    }


def plain(status: int, message: str, hint: str) -> SandboxError:
    """An error with the minimal live body (the 404 shape)."""
    return SandboxError(status, _stamp(status, message, hint))


def coded(status: int, code: str, message: str, hint: str, **extra: Any) -> SandboxError:
    """An error with the minimal body plus ``errorCode`` and any ``extra`` properties."""
    body = _stamp(status, message, hint)
    body["errorCode"] = code
    body.update(extra)
    return SandboxError(status, body)


def not_found() -> SandboxError:
    """404, worded as the captured body (error-bodies/not-found-404.json)."""
    return plain(
        404,
        "Resource not found.",
        "The API tries to provide all the resource urls you need. "
        "Follow the self links rather than building urls.",
    )


def unauthorized() -> SandboxError:
    """401: a token header is missing or empty."""
    return plain(
        401,
        "Unauthorized: X-AppSecretToken and X-AgreementGrantToken are required.",
        "Send both token headers; use 'demo' for both to read the demo agreement.",
    )


def forbidden_demo() -> SandboxError:
    """403: the demo agreement is read-only (slate _introduction.md "Demo authentication")."""
    return plain(
        403,
        "Forbidden: the demo agreement only allows GET.",
        "Use your own agreement grant token to create, update or delete.",
    )


def too_many_requests(retry_after: int | None) -> SandboxError:
    """429: the agreement's token bucket is empty (API-FACTS.md "Rate limits")."""
    err = plain(
        429,
        "Too many requests: the agreement's rate limit is used up.",
        "Pace your calls by the X-RateLimiting header and try again later.",
    )
    if retry_after is not None:
        err.headers["Retry-After"] = str(retry_after)
    return err


def unavailable() -> SandboxError:
    """503 from fault injection: the write did not happen."""
    return plain(
        503,
        "Service temporarily unavailable.",
        "Injected by the sandbox (--fault-rate); nothing was written. Retry the request.",
    )


def not_implemented() -> SandboxError:
    """501 for the template and invoice endpoints the sandbox leaves out."""
    return plain(
        501,
        "Not implemented.",
        "The sandbox emulates customers, contacts, delivery locations and customer groups only.",
    )


def bad_body(reason: str) -> SandboxError:
    """400: the request body is not a JSON object."""
    return coded(
        400,
        CODE_BAD_BODY,
        f"Invalid request body: {reason}.",
        "Send one JSON object with Content-Type: application/json.",
    )


def validation_failed(errors: dict[str, Any], count: int) -> SandboxError:
    """400 E04300 with every error of the request (error-bodies/validation-*.json)."""
    noun = "error" if count == 1 else "errors"
    return coded(
        400,
        CODE_VALIDATION_FAILED,
        f"Validation failed. {count} {noun} found.",
        "Inspect validation errors and correct your request.",
        errorCount=count,
        errors=errors,
    )
