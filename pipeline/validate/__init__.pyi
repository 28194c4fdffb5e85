"""The names other stages may use; the package loads each on first use."""

from .validator import ChunkValidation as ChunkValidation
from .validator import Validator as Validator
