"""The report: what became of every row, in files a person can fix and import again.

Takes in: ``RowResult``s with each row's original cells, the ``Summary``, a preview's
changes, the run per second (``pipeline.api.Timeline``'s rows); a fleet's fleet.json.
Gives out: results.csv, errors.jsonl, warnings.jsonl, errors.csv/xlsx per input,
summary.json, changes.csv/xlsx, timeline.csv and report.html (fleet.html beside a
fleet.json); every cell through the run's ``Redactor``.

Modules: ``writer`` (``ReportWriter``), ``inputs`` (each input's errors files), ``xlsx``,
``changes``, ``files`` (whole files written atomically), ``folder`` (the folder checked
before the first request; a failed write as one ``ReportError`` line), ``tally`` (what
the page counts as rows go by), ``page`` (report.html), ``charts`` (its Vega-Lite specs,
by Altair), ``html_parts``, ``bundle`` (the inlined Vega JavaScript), ``fleet``
(fleet.html).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``ChangeLog``, ``ReportPaths``, ``ReportWriter``, ``ERRORS_COLUMN``,
``prepare_folder``, ``writing``, ``write_fleet_html``, ``write_fleet_report``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
