"""The API client: HTTP, pacing, retries and what a response means.

Takes in: ``ApiSettings`` (where the API is, the tokens, retry and window policies).
Gives out: an ``ApiClient`` that sends one request at a time through the pacer and the
adaptive window, retries what may be retried, and turns an error body into ``RowError``
records; the endpoint URLs of each entity; the time a run will take.

Modules: ``client``, ``settings``, ``ratelimit`` (pacing), ``concurrency`` and ``window``
(how many in flight), ``retry``, ``error_bodies``, ``endpoints``, ``plan_time``,
``timeline`` (the run per second, for report.html).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``ApiClient``, ``Verdict``, ``classify``, ``DEFAULT_MAX_CONCURRENCY``,
``DEFAULT_BLIND_LIMIT``, ``collection_url``, ``record_id``, ``record_url``,
``parse_error_body``, ``available_tokens``, ``estimate_seconds``, ``RateState``,
``ApiSettings``, ``settings_from_env``, ``TIMELINE_COLUMNS``, ``Timeline``, ``TimelineRow``,
``ENV_APP_SECRET``, ``ENV_AGREEMENT_GRANT``, ``ENV_BASE_URL``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
