"""Mapping columns: source headers and cells onto the API's property paths.

Takes in: a mapping file (TOML) or, without one, the headers themselves; chunks of text
from ``pipeline.read``.
Gives out: a checked ``Mapping`` (every mistake found before a row is read), mapped
chunks (property path -> text) with the cells a transform refused, and the payload
helpers that turn a mapped row into the JSON body and a record back into cells.

Modules: ``parse`` (the file), ``rules`` (the model and applying it), ``transforms``,
``headers`` and ``synonyms`` (which property a header names), ``reference_names`` (the
standard names of VAT zones and payment term types, in five languages), ``payload``,
``template``.

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``HeaderMatch``, ``match_header``, ``match_key_header``, ``shared_prefix``,
``identity_mapping``, ``load_mapping``, ``build_payload``, ``flatten``, ``PARENT_KEY``,
``Mapping``, ``apply_mapping``, ``map_chunk``, ``FALSE_WORDS``, ``TRUE_WORDS``,
``write_template``, ``DECIMAL_COMMA``, ``ReferenceRecord``, ``reference_record``,
``find_standard``, ``standard_numbers``, ``VAT_ZONES``, ``PAYMENT_TERMS``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
