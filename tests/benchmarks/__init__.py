"""Benchmarks for issue #6: throughput at the API's budget, and big files in bounded memory.

Not run by ``make test`` (pytest ignores this folder); run them with ``make bench`` or
``python -m tests.benchmarks [NAME ...]``. Every figure comes from the real CLI in a
subprocess, against the sandbox in its own process where there is an API:

- ``budget`` / ``budget-adaptive``: share of a small bucket's refill rate a minute-long
  import achieves, with and without ``X-RateLimiting`` (``budget.py``);
- ``naive``: the importer against a one-request-at-a-time loop (``naive.py``);
- ``overhead``: calls per second with no limit and no latency (``overhead.py``);
- ``bigfiles``: ``validate`` over 1,000,000 CSV and 100,000 XLSX rows, time and peak memory
  (``bigfiles.py``).

Generated inputs are cached in ``reports/bench-cache/`` (``data.py``); the table is saved
in ``reports/bench.json``.
"""
