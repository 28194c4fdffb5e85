"""The names other stages may use; the package loads each on first use."""

from .manifest import AgreementSpec as AgreementSpec
from .manifest import Manifest as Manifest
from .manifest import load_manifest as load_manifest
