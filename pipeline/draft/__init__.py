"""Drafting a mapping from a person's own file: ``econ-import map``.

Takes in: a file (through ``pipeline.read``) and the entity it holds.
Gives out: a draft (each column's property, transforms and how sure the match is), the
mapping file written from it, and the table ``map`` prints.

Modules: ``drafter`` (headers and values to a draft), ``profile`` (what a column's values
look like), ``render`` (the TOML file and the table).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``draft_mapping``, ``draft_summary``, ``draft_table``, ``write_draft``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
