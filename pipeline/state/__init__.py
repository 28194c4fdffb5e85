"""The journal and the ledger: what the importer remembers between requests and runs.

Takes in: the state store (``--state``, ``$ECONOMIC_IMPORT_STATE``: a PostgreSQL URL or a
folder; else the state folder, ``$ECONOMIC_IMPORT_HOME`` or the platform's), an input's
fingerprint, an agreement (hashed from its URL and grant token, never stored).
Gives out: the ``Journal`` (each sent row's state, key and answer within a run, for
resume) and the ``Ledger`` (each imported row's identity and record id, across runs);
for a preview, which starts no run, ``JournalKeys``: the journal's source keys of earlier
runs, read-only; the agreement's lock (``lock_for``: one run per agreement at a time).

Modules: ``journal`` and ``journal_store`` (its records), ``keys``, ``ledger``, ``folder``;
``store`` (the protocol both speak, and where the state is), ``sqlite_store`` and
``pg_store`` (its two implementations), ``lock`` (one run per agreement).

Other stages use only these names (typed in ``__init__.pyi``; each loads its module on
first use): ``default_journal``, ``default_ledger``, ``state_dir``, ``Journal``, ``target_id``,
``RowState``, ``SourceRef``, ``abandon_unfinished``, ``JournalKeys``, ``SourceKeys``,
``Ledger``, ``LedgerEntry``, ``forget``, ``row_digest``, ``row_identity``, ``STATE_ENV``,
``Where``, ``describe``, ``is_url``, ``mask_url``, ``state_password``, ``state_places``,
``url_password``, ``AgreementLock``, ``Holder``, ``lock_for``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
