"""The fleet: one import per agreement, many agreements at once (issue #20).

Takes in: a manifest (TOML: ``[defaults]`` and ``[[agreements]]``, each naming its grant
token by environment variable or file, never the token itself), the fleet's settings
(report folder, agreements at once, mode, state, engine).
Gives out: a ``FleetOutcome`` (an entry per agreement: its exit code, counts, report
folder, the reason it did not start), ``fleet.json`` and ``fleet.html`` beside the
agreements' report folders, and the fleet's table on the console.

Modules: ``manifest`` (read and check the whole manifest before any request), ``keys``
(which keys are valid where, what each may hold, secrets refused), ``agreement`` (one
agreement's grant token and steps, read where it runs), ``task`` (one agreement checked,
then imported: an ``AgreementResult`` whatever happens), ``runner`` (``arun_fleet``: check
all, run up to N at once, fleet.json), ``console`` (a line or bar per running agreement,
the table), ``dask_engine`` (one Dask task per agreement), ``settings`` (the defaults).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``load_manifest``, ``Manifest``, ``AgreementSpec``, ``ManifestError``,
``resolve_grant_token``, ``agreement_steps``, ``DEFAULT_AGREEMENTS``, ``ENGINES``,
``FleetOutcome``, ``arun_fleet``, ``run_fleet``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
