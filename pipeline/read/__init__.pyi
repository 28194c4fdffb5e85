"""The names other stages may use; the package loads each on first use."""

from .frames import open_frame as open_frame
from .readers import fingerprint as fingerprint
from .readers import open_table as open_table
from .table import Table as Table
from .table import frame_records as frame_records
