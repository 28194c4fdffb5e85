"""Validating: every mapped row checked against the documented constraints.

Takes in: mapped chunks (text per property path) and the entity's constraints table.
Gives out: a ``ChunkValidation`` per chunk: the valid rows converted, each invalid row's
errors (property, code, message, value), the warnings, and duplicates across the file.

Modules: ``validator`` (the pandera schemas and ``Validator``), ``checks`` (vectorised
column checks), ``warnings`` (accepted but probably wrong), ``first_seen`` (the first row
of a value across chunks).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``ChunkValidation``, ``Validator``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
