"""econ-import: bulk import of customer lists into the e-conomic REST API.

The flow, one package per stage; a stage imports only from the stages before it:

    read -> mapping -> validate -> (api, state) -> write -> report, tied together by run

``constraints`` (the documented rules), ``errors`` (the one exception tree) and
``redact`` are shared by all; ``draft`` drafts a mapping from a person's file; ``cli`` is
the command line; ``sandbox`` is the local stand-in for the API.
"""

__version__ = "0.1.0"
