"""A thin client for the sandbox tests: one call, one ``Reply`` (status, headers, JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession
from multidict import CIMultiDictProxy

TOKENS = {"X-AppSecretToken": "test-app-secret", "X-AgreementGrantToken": "test-grant"}
DEMO = {"X-AppSecretToken": "demo", "X-AgreementGrantToken": "demo"}


@dataclass
class Reply:
    """What the sandbox answered."""

    status: int
    headers: CIMultiDictProxy[str]
    body: Any


class Api:
    """Requests against one sandbox as one agreement."""

    def __init__(self, session: ClientSession, base: str, tokens: dict[str, str]) -> None:
        self.session = session
        self.base = base
        self.tokens = tokens

    def as_agreement(self, tokens: dict[str, str]) -> Api:
        """The same sandbox, other token headers (an empty dict sends none)."""
        return Api(self.session, self.base, tokens)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request and read the whole answer."""
        url = self.base + path
        all_headers = {**self.tokens, **(headers or {})}
        async with self.session.request(
            method, url, json=json, params=params, headers=all_headers
        ) as resp:
            text = await resp.text()
            body = await resp.json(content_type=None) if text else None
            return Reply(resp.status, resp.headers, body)

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> Reply:
        return await self.call("POST", path, json=body, **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> Reply:
        return await self.call("PUT", path, json=body, **kw)

    async def delete(self, path: str, **kw: Any) -> Reply:
        return await self.call("DELETE", path, **kw)


def customer_body(**overrides: Any) -> dict[str, Any]:
    """A valid customer create/update body, with ``overrides`` applied."""
    body: dict[str, Any] = {
        "name": "Jensen & Søn ApS",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
    }
    body.update(overrides)
    return body


def error_leaves(tree: Any) -> list[dict[str, Any]]:
    """Every error object in a live ``errors`` tree, depth first."""
    out: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "errors" and isinstance(value, list):
                out.extend(value)
            else:
                out.extend(error_leaves(value))
    return out
