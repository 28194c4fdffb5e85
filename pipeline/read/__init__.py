"""Reading files: the first stage. CSV and workbooks (XLSX, XLS, ODS, XLSB) as text.

Takes in: a path (or a DataFrame), and which sheet and how many lines above the header row.
Gives out: a ``Table`` (its headers, the row numbers people see, and chunks of text cells,
never a guessed type) and the file's ``fingerprint``, which the journal keys runs by.

Modules: ``readers`` (open a file, sniff CSV), ``xlsx`` (workbooks, with
python-calamine), ``table`` (a table's shape and records to DataFrame chunks), ``frames`` (a
pandas DataFrame read as an input).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``fingerprint``, ``open_table``, ``Table``, ``frame_records``,
``open_frame``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
