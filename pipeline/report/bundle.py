"""The charts' JavaScript (Vega, Vega-Lite, Vega-Embed), to inline in report.html.

vl-convert ships the three libraries, bundled and matched to one Vega-Lite version, inside
its wheel: no npm, no CDN, nothing fetched at render time. Bundling takes about two
seconds, so the result is kept in the state folder's ``cache/`` (named after the
versions), and a second report costs a file read.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


#: What the bundle runs: the three libraries as globals for the page's own script.
_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


def default_cache() -> Path:
    """The state folder's ``cache/`` (``$ECONOMIC_IMPORT_HOME`` moves it, as the state)."""
    from pipeline.state import state_dir

    return state_dir() / "cache"


def vega_version() -> str:
    """The Vega-Lite version Altair writes its specs for (``v6.4``): the bundle's too."""
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.split(".")[:2])


@functools.cache
def javascript_bundle(cache: Path | None = None) -> str:
    """Vega-Embed, Vega-Lite and Vega as one classic script that sets ``window.vegaEmbed``.

    ``cache`` is a folder to keep the bundle in between runs (None: build it every time).
    """
    import vl_convert as vlc

    version = vega_version()
    name = f"vega-{vlc.get_vega_version()}-lite-{version}-embed-{vlc.get_vega_embed_version()}.js"
    path = cache / name if cache is not None else None
    if path is not None and path.is_file():
        return path.read_text(encoding="utf-8")
    bundle: str = vlc.javascript_bundle(_SNIPPET, vl_version=version)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(bundle, encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            pass  # a read-only state folder only costs the next run two seconds
    return bundle
