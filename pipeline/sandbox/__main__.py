"""``python -m pipeline.sandbox [flags]``: the sandbox without the rest of the CLI."""

from __future__ import annotations

import argparse

from pipeline.errors import ConfigError
from pipeline.sandbox import add_sandbox_arguments, config_from_args, serve_forever


def main(argv: list[str] | None = None) -> int:
    """Parse the sandbox flags and serve until stopped; 2 on a bad setting."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.sandbox", description="Run the local e-conomic API sandbox."
    )
    add_sandbox_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        parser.error(str(exc))
    serve_forever(config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
