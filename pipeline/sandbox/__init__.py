"""A local stand-in for the e-conomic REST API (issue #2): ``econ-import sandbox``.

Customers, contacts, delivery locations and customer groups with the live validation,
error bodies, paging, filtering, sorting, token-bucket rate limit and idempotency replay,
plus seeded read-only collections and fault injection. Modules, one concept each:

- ``config``: ``SandboxConfig`` and the command-line flags;
- ``app``: the application and the middleware (auth, rate limit, idempotency, faults);
- ``customers``, ``children``: the handlers; ``render``: records as the API shows them;
- ``validation``: the request validator, built from ``pipeline.constraints``;
- ``listing``, ``filtering``: collection envelope, paging, ``filter`` and ``sort``;
- ``store``, ``persistence``: agreements in memory, SQLite with ``--db``;
- ``ratelimit``, ``idempotency``, ``faults``, ``errors``, ``seed``;
- ``server``: ``run_sandbox`` (in-process) and ``serve_forever`` (the CLI).
"""

import lazy_loader as lazy

# The public names are in __init__.pyi; each loads on first use, so that the CLI can add
# the sandbox's flags without importing aiohttp.
__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
