"""The run: ties the stages together for one import, as functions a program calls.

Takes in: the steps (a file, a DataFrame, a job's inputs) and ``ImportOptions`` (the CLI's
flags as keywords); inside, ``RunSettings`` (the steps of a job, the mode, the report
folder, the state files) and ``ApiSettings``.
Gives out: an ``ImportOutcome`` (exit code, summary.json's dict, the report folder) around
a ``RunOutcome`` (summary, report paths, why it stopped), the plan and the summary on the
console, and ``export``'s files.

Modules: ``library`` (``import_steps``: the sequence every import follows, the CLI's
too; ``import_file``, ``import_frame``, ``import_job`` and their async twins),
``connect`` (where the requests go: a base URL and tokens, or the embedded sandbox),
``importer`` (``prepare`` every input first, then ``run_import``), ``inputs``
(open and read each input), ``history`` (the journal and the ledger, read-only in a
preview), ``stopping`` (every row accounted for when a run stops), ``link_report``,
``no_history`` (refuse to create what a fresh state cannot recognise), ``settings``,
``job``, ``console``, ``progress``, ``export``, ``lock`` (one run per agreement:
``hold_agreement``).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``print_outcome``, ``print_plan``, ``check_history``, ``export_entity``,
``EXIT_INTERRUPTED``, ``EXIT_NOT_STARTED``, ``run_import``, ``prepare``, ``load_job``,
``DEFAULT_CONCURRENCY``, ``DEFAULT_PROGRESS_INTERVAL_S``, ``DEFAULT_REPORT_ROOT``,
``ENV_PROGRESS_INTERVAL``, ``MODES``, ``RunSettings``, ``Step``, ``hold_agreement``,
``SANDBOX_TOKENS``, ``connect``, ``has_target``, ``ImportOptions``, ``ImportOutcome``,
``import_steps``, ``import_file``, ``import_frame``, ``import_job``, ``aimport_file``,
``aimport_frame``, ``aimport_job``, ``run_to_end``, ``read_toml``, ``Watch``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
