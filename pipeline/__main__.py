"""``python -m pipeline`` is ``econ-import``."""

from pipeline.cli import main

raise SystemExit(main())
