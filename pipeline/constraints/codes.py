"""Error codes of the documented constraints, shared by local validation and the sandbox."""

from __future__ import annotations

#: Error codes for the documented constraints. The live server's codes for these are not
#: published (API-FACTS.md names only E04300, E07080, E07140, E04810); the sandbox and the
#: local validator share these so that a local and an API error read the same.
CODE_REQUIRED = "E04310"
CODE_TYPE = "E04320"
CODE_MAX_LENGTH = "E04330"
CODE_MIN_LENGTH = "E04340"
CODE_MINIMUM = "E04350"
CODE_MAXIMUM = "E04360"
CODE_ENUM = "E04370"
CODE_UNIQUE_ITEMS = "E04380"
CODE_NULL = "E04390"
CODE_DUPLICATE = "E04400"
CODE_NOT_FOUND = "E04410"
#: A number outside its column's convention (``decimal-comma``, ``decimal-point``): local only.
CODE_NUMBER_FORMAT = "E04420"
CODE_VALIDATION_FAILED = "E04300"
CODE_PAGESIZE = "E04810"
