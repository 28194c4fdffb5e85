"""The names other stages may use; the package loads each on first use."""

from .changes import ChangeLog as ChangeLog
from .fleet import write_fleet_html as write_fleet_html
from .fleet import write_fleet_report as write_fleet_report
from .folder import prepare_folder as prepare_folder
from .folder import writing as writing
from .writer import ReportPaths as ReportPaths
from .writer import ReportWriter as ReportWriter
from .xlsx import ERRORS_COLUMN as ERRORS_COLUMN
