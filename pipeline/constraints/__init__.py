"""The one table of documented API constraints, shared by every stage and the sandbox.

The entities (``CUSTOMERS``, ``CONTACTS``, ``DELIVERY_LOCATIONS``, ``CUSTOMER_GROUPS``)
with their properties' types, lengths, ranges, enums and references (``table``); the
checks one value or record is held to (``checks``); turning text into a property's value
(``convert``); which properties can be filtered on (``match_check``); the error codes
(``codes``). The pandera schemas (``pipeline.validate``) and the sandbox's validator are
both built from it.

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``convert``, ``Violation``, ``check_value``, ``missing_required``,
``required_message``, ``CODE_DUPLICATE``, ``CODE_NOT_FOUND``, ``CODE_NULL``,
``CODE_NUMBER_FORMAT``, ``CODE_PAGESIZE``, ``CODE_REQUIRED``, ``CODE_TYPE``,
``CODE_VALIDATION_FAILED``, ``ConversionError``, ``convert_cell``, ``MatchRule``,
``check_match``, ``CONTACTS``, ``CURRENT_CUSTOMER_NUMBER``, ``CUSTOMER_GROUPS``,
``CUSTOMERS``, ``DELIVERY_LOCATIONS``, ``ENTITIES``, ``LAYOUT_REF``, ``MAX_NUMBER``,
``Entity``, ``Field``, ``Link``, ``Reference``, ``entity``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
