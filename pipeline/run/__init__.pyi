"""The names other stages may use; the package loads each on first use."""

from .console import print_outcome as print_outcome
from .console import print_plan as print_plan
from .export import export_entity as export_entity
from .importer import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from .importer import EXIT_NOT_STARTED as EXIT_NOT_STARTED
from .importer import run_import as run_import
from .inputs import prepare as prepare
from .job import load_job as load_job
from .lock import hold_agreement as hold_agreement
from .no_history import check_history as check_history
from .settings import DEFAULT_CONCURRENCY as DEFAULT_CONCURRENCY
from .settings import DEFAULT_PROGRESS_INTERVAL_S as DEFAULT_PROGRESS_INTERVAL_S
from .settings import DEFAULT_REPORT_ROOT as DEFAULT_REPORT_ROOT
from .settings import ENV_PROGRESS_INTERVAL as ENV_PROGRESS_INTERVAL
from .settings import MODES as MODES
from .settings import RunSettings as RunSettings
from .settings import Step as Step
