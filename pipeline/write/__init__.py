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

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``originals``, ``process_batch``, ``CHANGE_COLUMNS``, ``CREATE``,
``UPDATE``, ``ChangesReport``, ``Line``, ``RowPlace``, ``change_counts``,
``STOP_INTERRUPTED``, ``STOPPED_CODE``, ``uncancel``, ``LinkSettings``,
``account_for_unlinked``, ``run_links``, ``LINK_COLUMNS``, ``LINKS_FAILED``,
``LinkBook``, ``LinkRequest``, ``can_match``, ``row_values``, ``ExistingRecords``,
``CODE_EXISTS``, ``LINK_FIELDS``, ``RESULT_COLUMNS``, ``SUCCEEDED``,
``SUMMARY_FIELDS``, ``RowResult``, ``Status``, ``Summary``, ``is_success``,
``ParentIndex``, ``can_be_recognised``, ``NameResolver``,
``CURRENT_NUMBER``, ``RENUMBER_MODES``, ``RowWork``, ``StepContext``, ``WriteContext``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
