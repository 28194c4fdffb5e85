"""The names other stages may use; the package loads each on first use."""

from .folder import default_journal as default_journal
from .folder import default_ledger as default_ledger
from .folder import state_dir as state_dir
from .journal import Journal as Journal
from .journal import target_id as target_id
from .journal_store import RowState as RowState
from .journal_store import SourceRef as SourceRef
from .journal_store import abandon_unfinished as abandon_unfinished
from .keys import JournalKeys as JournalKeys
from .keys import SourceKeys as SourceKeys
from .ledger import Ledger as Ledger
from .ledger import LedgerEntry as LedgerEntry
from .ledger import forget as forget
from .ledger import row_digest as row_digest
from .ledger import row_identity as row_identity
from .lock import AgreementLock as AgreementLock
from .lock import Holder as Holder
from .lock import lock_for as lock_for
from .store import STATE_ENV as STATE_ENV
from .store import Where as Where
from .store import describe as describe
from .store import is_url as is_url
from .store import mask_url as mask_url
from .store import state_password as state_password
from .store import state_places as state_places
from .store import url_password as url_password
