"""The charts' JavaScript (Vega, Vega-Lite, Vega-Embed), to inline in report.html.

vl-convert ships the three libraries, bundled and matched to one Vega-Lite version, inside
its wheel: no npm, no CDN, nothing fetched at render time. Bundling takes about two
seconds, so the result is kept in a cache folder (named after the versions) and in
memory: a second report costs a file read, or nothing. The folder is
``$ECONOMIC_IMPORT_CACHE`` if set, else the state folder's ``cache/``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

#: The environment variable that moves the cache folder (the tests share one).
CACHE_ENV = "ECONOMIC_IMPORT_CACHE"
#: What the bundle runs: the three libraries as globals for the page's own script.
_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
#: Bundles built or read by this process, by file name.
_LOADED: dict[str, str] = {}
#: Reports are closed in threads (a fleet's agreements): one builds the bundle at a time.
_BUILDING = threading.Lock()


def default_cache() -> Path:
    """``$ECONOMIC_IMPORT_CACHE``, else the state folder's ``cache/``."""
    found = os.environ.get(CACHE_ENV, "")
    if found:
        return Path(found).expanduser()
    from pipeline.state import state_dir

    return state_dir() / "cache"


def vega_version() -> str:
    """The Vega-Lite version Altair writes its specs for (``v6.4``): the bundle's too."""
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.split(".")[:2])


def javascript_bundle(cache: Path | None = None) -> str:
    """Vega-Embed, Vega-Lite and Vega as one classic script that sets ``window.vegaEmbed``.

    ``cache`` is a folder to keep the bundle in between runs (None: only in memory).
    """
    import vl_convert as vlc

    version = vega_version()
    name = f"vega-{vlc.get_vega_version()}-lite-{version}-embed-{vlc.get_vega_embed_version()}.js"
    with _BUILDING:
        if name in _LOADED:
            return _LOADED[name]
        path = cache / name if cache is not None else None
        if path is not None and path.is_file():
            bundle = path.read_text(encoding="utf-8")
        else:
            bundle = vlc.javascript_bundle(_SNIPPET, vl_version=version)
            if path is not None:
                _keep(path, bundle)
        _LOADED[name] = bundle
        return bundle


def _keep(path: Path, bundle: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(bundle, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only folder only costs the next run two seconds
