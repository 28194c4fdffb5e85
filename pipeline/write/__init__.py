"""Deciding and writing: what each valid row needs, sent exactly once.

Takes in: a ``StepContext`` per input (its mapping, validator, parents, links, and the
``WriteContext``: client, journal, ledger, mode) and chunks of text.
Gives out: one ``RowResult`` per row, in input order (``outcome``); the run's ``Summary``;
the link phase's outcomes; a preview's planned changes (``changes``).

The flow inside: ``batch`` (map, validate, resolve names and parents) -> ``send``
(``recognise`` and ``matching``: what exists; ``decide``: the mode table; ``writer``:
the requests; ``reconcile``: writes in doubt) -> ``link_phase`` after the children.
``parents``, ``links``, ``renumber``, ``match_rules``, ``references`` and ``interrupt``
hold the rules they share.

Other stages use only the names in ``__init__.pyi``; the modules are private to the
stage, and each name loads its module on first use.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
