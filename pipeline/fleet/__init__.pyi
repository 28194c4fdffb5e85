"""The names other stages may use; the package loads each on first use."""

from .agreement import agreement_steps as agreement_steps
from .agreement import resolve_grant_token as resolve_grant_token
from .manifest import AgreementSpec as AgreementSpec
from .manifest import Manifest as Manifest
from .manifest import ManifestError as ManifestError
from .manifest import load_manifest as load_manifest
from .runner import FleetOutcome as FleetOutcome
from .runner import arun_fleet as arun_fleet
from .runner import run_fleet as run_fleet
from .settings import DEFAULT_AGREEMENTS as DEFAULT_AGREEMENTS
from .settings import ENGINES as ENGINES
