"""The sandbox application: routes, and the one middleware every API request passes.

Per request, in order (issue #2 points 2, 5, 6, 8):

1. authenticate: both token headers, else 401; the grant token picks the agreement;
2. charge the agreement's bucket ``CALL_COST``, else 429;
3. the demo agreement is read-only: writes get 403;
4. ``Idempotency-Key``: rejected on GET; on a write, serialise per key and replay a kept
   first response;
5. latency; a write may fail with 503 before it happens (``--fault-rate``);
6. the handler; a committed write may lose its response (``--drop-rate``);
7. ``X-CallCost`` and (unless ``--hide-rate-headers``) ``X-RateLimiting`` on the answer.

``/_sandbox/stats`` skips all of this: no auth, no cost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from pipeline.sandbox import children, customers, errors
from pipeline.sandbox.common import AGREEMENT
from pipeline.sandbox.config import SandboxConfig
from pipeline.sandbox.faults import FaultInjector
from pipeline.sandbox.idempotency import IdempotencyCache
from pipeline.sandbox.ratelimit import CALL_COST
from pipeline.sandbox.state import STATE, SandboxState
from pipeline.sandbox.store import Agreement, Store

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
STATS_PATH = "/_sandbox/stats"


def _authenticate(request: web.Request, state: SandboxState) -> Agreement:
    secret = request.headers.get("X-AppSecretToken")
    grant = request.headers.get("X-AgreementGrantToken")
    if not secret or not grant:
        state.stats.unauthorized += 1
        raise errors.unauthorized()
    return state.store.agreement(grant)


def _charge(agreement: Agreement, state: SandboxState) -> None:
    if not agreement.bucket.take(CALL_COST):
        state.stats.throttled += 1
        wait = agreement.bucket.seconds_until() if state.config.retry_after else None
        raise errors.too_many_requests(wait)


async def _run(request: web.Request, handler: Handler, state: SandboxState) -> web.Response:
    """Latency, injected 503, then the handler, with every error as its JSON response."""
    delay = state.faults.latency()
    if delay:
        await asyncio.sleep(delay)
    write = request.method in WRITE_METHODS
    try:
        if write and state.faults.fail_write():
            state.stats.faults += 1
            raise errors.unavailable()
        response = await handler(request)
    except errors.SandboxError as exc:
        return exc.response()
    except web.HTTPException as exc:  # no such route or method: the live body, same status
        if exc.status == 404:
            return errors.not_found().response()
        return errors.plain(exc.status, exc.reason, "Check the URL and the HTTP method.").response()
    assert isinstance(response, web.Response)
    if write and response.status < 300:
        state.stats.writes += 1
    return response


async def _serve(
    request: web.Request, handler: Handler, state: SandboxState, agreement: Agreement
) -> web.Response:
    _charge(agreement, state)
    write = request.method in WRITE_METHODS
    if write and agreement.read_only:
        raise errors.forbidden_demo()
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return await _run(request, handler, state)
    if not write:  # API-FACTS.md "Idempotency": not allowed on GET
        raise errors.coded(
            400,
            errors.CODE_IDEMPOTENCY_ON_GET,
            "Idempotency-Key is not allowed on GET.",
            "Send Idempotency-Key only on POST, PUT and DELETE.",
        )
    cache = state.idempotency
    async with cache.lock(agreement.id, key):
        kept = cache.get(agreement.id, key)
        if kept is not None:
            state.stats.replays += 1
            return kept.replay()
        response = await _run(request, handler, state)
        cache.put(agreement.id, key, response)
        return response


def _drop(request: web.Request, state: SandboxState) -> None:
    # Close the socket without a response: aiohttp's write then fails quietly, and the
    # client sees the connection end after the write was committed (and cached).
    state.stats.drops += 1
    if request.transport is not None:
        request.transport.close()


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


@web.middleware
async def sandbox_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth, rate limit, idempotency and faults around every API handler."""
    if request.path == STATS_PATH:
        return await handler(request)
    state = request.app[STATE]
    state.stats.requests += 1
    state.stats.in_flight += 1
    state.stats.max_in_flight = max(state.stats.max_in_flight, state.stats.in_flight)
    agreement: Agreement | None = None
    try:
        agreement = _authenticate(request, state)
        request[AGREEMENT] = agreement
        response = await _serve(request, handler, state, agreement)
    except errors.SandboxError as exc:
        response = exc.response()
    except ConnectionError:
        # The client vanished (killed, dropped) before its body was read. aiohttp would log
        # this as a handler bug, a traceback per disconnect; any other error still is one.
        if not _client_gone(request):
            raise
        state.stats.disconnects += 1
        return web.Response(status=499, reason="Client Closed Request")  # never delivered
    finally:
        state.stats.in_flight -= 1
    cost = 0 if agreement is None or response.status == 429 else CALL_COST
    response.headers["X-CallCost"] = str(cost)
    if agreement is not None and not state.config.hide_rate_headers:
        response.headers["X-RateLimiting"] = agreement.bucket.header()
    if (
        request.method in WRITE_METHODS
        and response.status < 300
        and "X-ResultFromCache" not in response.headers
        and state.faults.drop_write()
    ):
        _drop(request, state)
    return response


async def stats(request: web.Request) -> web.Response:
    """GET /_sandbox/stats: counters, and records per table per agreement."""
    return web.json_response(request.app[STATE].snapshot())


def make_app(config: SandboxConfig) -> web.Application:
    """The sandbox as an aiohttp application (for ``aiohttp_server`` or ``run_sandbox``)."""
    app = web.Application(middlewares=[sandbox_middleware])
    store = Store(config)
    app[STATE] = SandboxState(
        config=config,
        store=store,
        idempotency=IdempotencyCache(config.idempotency_ttl, db=store.db),
        faults=FaultInjector(config),
    )
    app.router.add_get(STATS_PATH, stats)
    customers.add_routes(app)
    children.add_routes(app)

    async def close_store(app: web.Application) -> None:
        app[STATE].store.close()

    app.on_cleanup.append(close_store)
    return app
