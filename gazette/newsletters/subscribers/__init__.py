"""Managing the list of subscribers as a whole: importing it from CSV (``importing``, which
reads the file with ``reading``), exporting it or one subscriber's data (``exporting``), and
erasing a subscriber on request (``erasure``). Re-exported here; the management command and
the admin call these."""

from .erasure import Erasure, erase_subscriber
from .exporting import export_csv, subscriber_data
from .importing import ImportFileError, ImportReport, Problem, import_csv

__all__ = [
    "Erasure",
    "ImportFileError",
    "ImportReport",
    "Problem",
    "erase_subscriber",
    "export_csv",
    "import_csv",
    "subscriber_data",
]
