"""econ-import: bulk import of customer lists into the e-conomic REST API.

The flow, one module each: readers -> mapping -> validate -> payload -> writer -> report,
with the journal beside the writer and the sandbox as the local stand-in for the API.
"""

__version__ = "0.1.0"
