"""econ-import: bulk import of customer lists into the e-conomic REST API.

The flow, one package per stage; a stage imports only from the stages before it:

    read -> mapping -> validate -> (api, state) -> write -> report, tied together by run,
    and fleet: one run per agreement, many at once

``constraints`` (the documented rules), ``errors`` (the one exception tree) and
``redact`` are shared by all; ``draft`` drafts a mapping from a person's file; ``cli`` is
the command line; ``sandbox`` is the local stand-in for the API.

The Python API (issue #20), what the CLI calls too: ``import_file``, ``import_frame``,
``import_job`` and ``run_fleet``, with their async twins ``aimport_file``,
``aimport_frame``, ``aimport_job`` and ``arun_fleet``. ``import pipeline`` stays cheap:
each loads its stage on first use, and pandas and aiohttp with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public function, and the stage that holds it.
_PUBLIC = {
    "import_file": "pipeline.run",
    "import_frame": "pipeline.run",
    "import_job": "pipeline.run",
    "aimport_file": "pipeline.run",
    "aimport_frame": "pipeline.run",
    "aimport_job": "pipeline.run",
    "ImportOutcome": "pipeline.run",
    "run_fleet": "pipeline.fleet",
    "arun_fleet": "pipeline.fleet",
    "FleetOutcome": "pipeline.fleet",
}
__all__ = ["__version__", *_PUBLIC]

if TYPE_CHECKING:
    from pipeline.fleet import FleetOutcome as FleetOutcome
    from pipeline.fleet import arun_fleet as arun_fleet
    from pipeline.fleet import run_fleet as run_fleet
    from pipeline.run import ImportOutcome as ImportOutcome
    from pipeline.run import aimport_file as aimport_file
    from pipeline.run import aimport_frame as aimport_frame
    from pipeline.run import aimport_job as aimport_job
    from pipeline.run import import_file as import_file
    from pipeline.run import import_frame as import_frame
    from pipeline.run import import_job as import_job


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
