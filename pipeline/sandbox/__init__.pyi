"""The sandbox's public names; the package loads each on first use."""

from .app import make_app as make_app
from .config import SandboxConfig as SandboxConfig
from .config import add_sandbox_arguments as add_sandbox_arguments
from .config import config_from_args as config_from_args
from .server import RunningSandbox as RunningSandbox
from .server import run_sandbox as run_sandbox
from .server import serve_forever as serve_forever
from .validation import validate_body as validate_body
