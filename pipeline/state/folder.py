"""Where a person's import history lives: one state folder per user, shared by every run.

The journal (resuming an unfinished run) and the ledger (what each agreement already
holds) are kept there by default, so that a run from any working folder and with any
``--report`` sees the same history (issue #9). ``$ECONOMIC_IMPORT_HOME`` moves the folder
(the tests point it at a temporary one); else it is the platform's user state directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

#: The environment variable that moves the state folder.
HOME_ENV = "ECONOMIC_IMPORT_HOME"
APP_NAME = "econ-import"
JOURNAL_FILE = "journal.sqlite"
LEDGER_FILE = "ledger.sqlite"


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$ECONOMIC_IMPORT_HOME`` if set, else the platform's user state directory."""
    found = (os.environ if env is None else env).get(HOME_ENV, "")
    if found:
        return Path(found).expanduser()
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def default_journal(env: Mapping[str, str] | None = None) -> Path:
    """The journal's file in the state folder."""
    return state_dir(env) / JOURNAL_FILE


def default_ledger(env: Mapping[str, str] | None = None) -> Path:
    """The ledger's file in the state folder."""
    return state_dir(env) / LEDGER_FILE
