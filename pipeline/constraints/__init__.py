"""The one table of documented API constraints, shared by every stage and the sandbox.

The entities (``CUSTOMERS``, ``CONTACTS``, ``DELIVERY_LOCATIONS``, ``CUSTOMER_GROUPS``)
with their properties' types, lengths, ranges, enums and references (``table``); the
checks one value or record is held to (``checks``); turning text into a property's value
(``convert``); which properties can be filtered on (``match_check``); the error codes
(``codes``). The pandera schemas (``pipeline.validate``) and the sandbox's validator are
both built from it.

The names in ``__init__.pyi`` are what the other stages use; each loads on first use.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
