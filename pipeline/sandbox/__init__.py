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

from __future__ import annotations

from pipeline.sandbox.app import make_app
from pipeline.sandbox.config import SandboxConfig, add_sandbox_arguments, config_from_args
from pipeline.sandbox.server import RunningSandbox, run_sandbox, serve_forever
from pipeline.sandbox.validation import validate_body

__all__ = [
    "RunningSandbox",
    "SandboxConfig",
    "add_sandbox_arguments",
    "config_from_args",
    "make_app",
    "run_sandbox",
    "serve_forever",
    "validate_body",
]
