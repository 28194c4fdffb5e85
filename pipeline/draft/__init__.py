"""Drafting a mapping from a person's own file: ``econ-import map``.

Takes in: a file (through ``pipeline.read``), the entity it holds and, with a target,
the agreement's reference names (through ``pipeline.api``).
Gives out: a draft (each column's property, transforms and how sure the match is), the
mapping file written from it, and the table ``map`` prints.

Modules: ``drafter`` (headers and values to a draft), ``profile`` (what a column's values
look like), ``identity`` (the key and the match rule), ``values`` (reference values matched
to names), ``agreement`` (the target's names, read with GETs), ``model`` (the draft's
dataclasses), ``render`` (the TOML file and the table).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``draft_mapping``, ``draft_summary``, ``draft_table``, ``draft_notes``,
``write_draft``, ``Agreement``, ``read_agreement``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
