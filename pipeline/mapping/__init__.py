"""Mapping columns: source headers and cells onto the API's property paths.

Takes in: a mapping file (TOML) or, without one, the headers themselves; chunks of text
from ``pipeline.read``.
Gives out: a checked ``Mapping`` (every mistake found before a row is read), mapped
chunks (property path -> text) with the cells a transform refused, and the payload
helpers that turn a mapped row into the JSON body and a record back into cells.

Modules: ``parse`` (the file), ``rules`` (the model and applying it), ``transforms``,
``headers`` and ``synonyms`` (which property a header names), ``payload``, ``template``.

Other stages use only the names in ``__init__.pyi``; the modules are private to the
stage, and each name loads its module on first use.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
