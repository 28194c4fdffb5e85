"""The HTTP edge: one aiohttp session, pacing, what a response means, and retries.

- ``classify`` is the one function that decides what a status means (success, retry,
  rejected row, fatal);
- ``ApiClient._transport_error`` is the one place aiohttp/asyncio errors become this
  package's errors: ``RetriableError`` when the request never left, ``AmbiguousWriteError``
  when a write went out and its answer was lost;
- ``RetryPolicy`` (``pipeline.api.retry``) says how long to wait, ``Pacer``
  (``pipeline.api.ratelimit``) when the next request may go; ``ApiSettings``
  (``pipeline.api.settings``, re-exported here) where the API is.

Every write may carry an ``Idempotency-Key``: the live API replays the first response to a
repeat for one hour (API-FACTS.md "Idempotency"), so a retry with the same key cannot
create a second record. GET must not carry one (same section).
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aiohttp

from pipeline.errors import (
    AmbiguousWriteError,
    AuthError,
    ConfigError,
    RetriableError,
    ThrottledError,
)
from pipeline.redact import Redactor

from .ratelimit import CALL_COST_HEADER, RATE_HEADER, Pacer
from .retry import parse_retry_after
from .settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CONCURRENCY,
    ENV_AGREEMENT_GRANT,
    ENV_APP_SECRET,
    ENV_BASE_URL,
    ApiSettings,
    settings_from_env,
)
from .timeline import Timeline
from .window import Window

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "ENV_AGREEMENT_GRANT",
    "ENV_APP_SECRET",
    "ENV_BASE_URL",
    "ApiClient",
    "ApiResponse",
    "ApiSettings",
    "ClientStats",
    "Verdict",
    "classify",
    "settings_from_env",
]

#: The largest page the API serves (API-FACTS.md "Collections": 1001 gives 400 E04810).
DEFAULT_PAGE_SIZE = 1000

APP_SECRET_HEADER = "X-AppSecretToken"
AGREEMENT_GRANT_HEADER = "X-AgreementGrantToken"
IDEMPOTENCY_HEADER = "Idempotency-Key"
FROM_CACHE_HEADER = "X-ResultFromCache"
RETRY_AFTER_HEADER = "Retry-After"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
FATAL_STATUSES = frozenset({401, 403})
#: The demo agreement's published token (API-FACTS.md "Base URL and authentication"): not a
#: secret, and masking it would garble messages that say "demo".
PUBLIC_DEMO_TOKEN = "demo"


class Verdict(Enum):
    """What a response means for the caller."""

    SUCCESS = "success"  # done
    RETRY = "retry"  # transient: back off and send the same request again
    REJECTED = "rejected"  # this row/request is wrong: record it, go on
    FATAL = "fatal"  # the tokens are refused: stop the run


def classify(status: int) -> Verdict:
    """THE one function deciding what an HTTP status means.

    2xx succeed; 429 and 500/502/503/504 are transient; 401/403 mean the tokens are wrong
    or revoked, which no retry fixes; everything else (other 4xx, 501, an unfollowed 3xx)
    is an answer about this request.
    """
    if 200 <= status < 300:
        return Verdict.SUCCESS
    if status in RETRY_STATUSES:
        return Verdict.RETRY
    if status in FATAL_STATUSES:
        return Verdict.FATAL
    return Verdict.REJECTED


@dataclass(frozen=True)
class ApiResponse:
    """A final answer: success or rejected (retries and fatal answers raise instead)."""

    status: int
    body: Any
    headers: Mapping[str, str]
    from_cache: bool
    attempts: int


@dataclass
class ClientStats:
    """Counters for summary.json: every request sent, retried, throttled, answer lost."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    ambiguous: int = 0


@dataclass
class _Attempts:
    """One ``send`` call's bookkeeping across its attempts."""

    count: int = 0
    ambiguous: bool = False
    first_sent_at: float | None = None


class ApiClient:
    """An async context manager around one ``aiohttp.ClientSession``."""

    def __init__(
        self, settings: ApiSettings, *, pacer: Pacer | None = None, rng: random.Random | None = None
    ) -> None:
        self.settings = settings
        self.pacer = pacer if pacer is not None else Pacer()
        #: The run per second, for report.html's charts (``pipeline.api.timeline``).
        self.timeline = Timeline()
        #: How many writes may be in flight; ``pipeline.write.writer``'s workers take permits.
        self.window = Window(settings.window, timeline=self.timeline)
        self.stats = ClientStats()
        self._rng = rng if rng is not None else random.Random()
        self._session: aiohttp.ClientSession | None = None
        self._redactor = Redactor(s for s in settings.secrets() if s != PUBLIC_DEMO_TOKEN)

    async def __aenter__(self) -> ApiClient:
        app, agreement = self.settings.secrets()
        self._session = aiohttp.ClientSession(
            # TLS verification stays on (the connector's default); one connection per permit.
            connector=aiohttp.TCPConnector(limit=self.window.policy.max_limit),
            headers={
                APP_SECRET_HEADER: app,
                AGREEMENT_GRANT_HEADER: agreement,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            # No total: waiting for a free connection is our own queue, not a lost answer.
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=self.settings.timeout_s,
                sock_read=self.settings.timeout_s,
            ),
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        first_sent_at: float | None = None,
    ) -> ApiResponse:
        """Send one request, retrying transient failures with the same idempotency key.

        Returns successful and rejected responses. Raises ``AuthError`` on 401/403,
        ``ThrottledError`` / ``RetriableError`` when attempts run out, and
        ``AmbiguousWriteError`` when a write may have happened unseen and cannot be
        safely repeated any more: attempts ran out, or the key was first sent
        (``first_sent_at``, epoch seconds, e.g. from a journal) over ``key_ttl_s`` ago.
        """
        method = method.upper()
        key = idempotency_key if method != "GET" else None
        headers = {IDEMPOTENCY_HEADER: key} if key else None
        data = jsonlib.dumps(json).encode() if json is not None else None
        state = _Attempts(first_sent_at=first_sent_at)
        policy = self.settings.retry
        while True:
            if key is not None:
                self._check_key_age(state, method=method, path=path)
            failure = await self._attempt(method, path, data, params, headers, state)
            if isinstance(failure, ApiResponse):
                self._check_repeat_answer(failure, state, method=method, path=path)
                return failure
            if not policy.should_retry(state.count):
                raise self._final_error(failure, state, method=method, path=path)
            self.stats.retries += 1
            wait = policy.delay(state.count - 1, retry_after=failure.retry_after, rng=self._rng)
            await asyncio.sleep(wait)

    async def iter_collection(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        pagesize: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, page by page (``skippages``), until an empty page or
        one without ``nextPage`` (API-FACTS.md "Collections"). A 4xx is a ``ConfigError``
        (bad filter, wrong path): reading cannot go on without the data.
        """
        skip = 0
        while True:
            query = {**(params or {}), "pagesize": str(pagesize), "skippages": str(skip)}
            response = await self.send("GET", path, params=query)
            body = response.body if isinstance(response.body, dict) else {}
            if classify(response.status) is not Verdict.SUCCESS:
                message = body.get("message", "") if body else str(response.body)[:200]
                raise ConfigError(f"GET {path}: HTTP {response.status}: {self._redact(message)}")
            items = body.get("collection") or []
            for item in items:
                yield item
            if not items or not (body.get("pagination") or {}).get("nextPage"):
                return
            skip += 1

    async def _attempt(
        self,
        method: str,
        path: str,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        state: _Attempts,
    ) -> ApiResponse | RetriableError:
        """One paced attempt: the final response, or the error to retry on."""
        sent_at = await self.pacer.acquire(self.pacer.call_cost)
        state.count += 1
        self.stats.requests += 1
        self.timeline.call(budget_rate=self._calls_per_s())
        if state.first_sent_at is None:
            state.first_sent_at = time.time()
        try:
            status, body, resp_headers = await self._request(method, path, data, params, headers)
        except BaseException as exc:
            self.pacer.release()
            if not isinstance(exc, aiohttp.ClientError | TimeoutError):
                raise
            failure = self._transport_error(exc, method=method, path=path)
            state.ambiguous = state.ambiguous or isinstance(failure, AmbiguousWriteError)
            return failure
        self.pacer.observe(
            status=status,
            rate_header=resp_headers.get(RATE_HEADER),
            call_cost=resp_headers.get(CALL_COST_HEADER),
            sent_at=sent_at,
        )
        self.window.observe(
            status=status, latency_s=time.monotonic() - sent_at, rate_per_s=self._calls_per_s()
        )
        verdict = classify(status)
        if verdict is Verdict.FATAL:
            raise AuthError(self._status_message(method, path, status, body))
        if verdict is Verdict.RETRY:
            return self._status_error(method, path, status, body, resp_headers)
        from_cache = resp_headers.get(FROM_CACHE_HEADER, "").lower() == "true"
        return ApiResponse(status, body, resp_headers, from_cache, state.count)

    def _calls_per_s(self) -> float | None:
        """The budget's rate in calls (header: refill ÷ call cost; else the learnt rate)."""
        rate = self.pacer.rate
        if rate is None:
            return None
        return rate / self.pacer.call_cost if self.pacer.budget is not None else rate

    async def _request(
        self,
        method: str,
        path: str,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[int, Any, Mapping[str, str]]:
        if self._session is None:
            raise RuntimeError("ApiClient used outside 'async with'")
        url = self.settings.base_url + path
        # Redirects are not followed: the token headers must not travel to another host.
        async with self._session.request(
            method, url, data=data, params=params, headers=headers, allow_redirects=False
        ) as resp:
            raw = await resp.read()
            return resp.status, _decode(raw), resp.headers

    def _transport_error(
        self, exc: aiohttp.ClientError | TimeoutError, *, method: str, path: str
    ) -> RetriableError:
        """THE place aiohttp/asyncio errors are translated (raised or returned to retry)."""
        if isinstance(exc, aiohttp.ClientSSLError):
            raise ConfigError(f"TLS to {self.settings.base_url} failed: {exc}") from exc
        if isinstance(exc, aiohttp.InvalidURL):
            raise ConfigError(f"invalid URL {self.settings.base_url}{path}") from exc
        what = type(exc).__name__
        never_sent = isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)
        if method == "GET" or never_sent:
            error = RetriableError(f"{method} {path}: {what}: {self._redact(str(exc))}")
        else:
            self.stats.ambiguous += 1
            error = AmbiguousWriteError(
                f"{method} {path}: no answer ({what}); the write may or may not have happened"
            )
        error.__cause__ = exc
        return error

    def _status_error(
        self, method: str, path: str, status: int, body: Any, headers: Mapping[str, str]
    ) -> RetriableError:
        retry_after = parse_retry_after(headers.get(RETRY_AFTER_HEADER))
        message = self._status_message(method, path, status, body)
        if status == 429:
            self.stats.throttled += 1
            self.timeline.throttled()
            return ThrottledError(message, retry_after=retry_after)
        return RetriableError(message, retry_after=retry_after)

    def _final_error(
        self, last: RetriableError, state: _Attempts, *, method: str, path: str
    ) -> RetriableError:
        if state.ambiguous and not isinstance(last, AmbiguousWriteError):
            # An earlier attempt may have written; the last answer does not say otherwise.
            last = AmbiguousWriteError(f"{method} {path}: an earlier attempt got no answer; {last}")
        final = type(last)(
            f"{last} (gave up after {state.count} attempts)", retry_after=last.retry_after
        )
        final.__cause__ = last
        return final

    def _check_repeat_answer(
        self, response: ApiResponse, state: _Attempts, *, method: str, path: str
    ) -> None:
        """A refusal of a repeat that the API handled as a new request is no answer to the
        write: an earlier attempt got none, and the API did not replay that attempt's answer
        (no ``X-ResultFromCache``), so it no longer held the key (API-FACTS.md
        "Idempotency"). The earlier attempt may have written the record, and be the very
        thing this refusal is about (its customer number is taken). The caller must look
        the record up, as for any write in doubt."""
        if not state.ambiguous or response.from_cache:
            return
        if classify(response.status) is not Verdict.REJECTED:
            return
        detail = self._status_message(method, path, response.status, response.body)
        raise AmbiguousWriteError(
            f"{detail}, to a repeat of a write that got no answer and whose key the API no "
            "longer held: the first attempt may be what it refuses; look the record up"
        )

    def _check_key_age(self, state: _Attempts, *, method: str, path: str) -> None:
        if state.first_sent_at is None:
            return
        age = time.time() - state.first_sent_at
        if age > self.settings.key_ttl_s:
            raise AmbiguousWriteError(
                f"{method} {path}: its idempotency key was first sent {age:.0f} s ago and may "
                "have expired; look the record up before writing it again"
            )

    def _status_message(self, method: str, path: str, status: int, body: Any) -> str:
        detail = body.get("message") if isinstance(body, dict) else None
        text = f"{method} {path}: HTTP {status}" + (f": {detail}" if detail else "")
        return self._redact(text)

    def _redact(self, text: str) -> str:
        """Mask the tokens, should a server or library ever echo them back."""
        return self._redactor.redact(text)


def _decode(raw: bytes) -> Any:
    """The body as JSON when it parses, else as text; ``None`` when empty."""
    if not raw:
        return None
    try:
        return jsonlib.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
