"""Open a page in a real headless browser (Debian's chromium) and read what it drew.

``--dump-dom`` prints the document after its scripts ran (``--virtual-time-budget`` lets
the page's promises settle without waiting in real time). The page writes every script
error, and every load its content policy blocked, into ``#script-errors``, so the dump
shows them. Chromium is started with no network features (no background fetches, no
component updates, no sync, no QUIC) and a throwaway profile; ``communicate`` drains both
pipes, and a generous timeout stops a hung browser.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Long enough for a cold start on a busy machine; a hung browser fails the test.
TIMEOUT_S = 90
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--virtual-time-budget=30000",
)


def chromium(page: Path, profile: Path, *extra: str) -> str:
    """Run chromium on ``page`` with ``extra`` flags; its stdout."""
    if not Path(CHROMIUM).exists():
        raise AssertionError("chromium is missing: `make install` installs it (apt-get)")
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@dataclass
class Rendered:
    """A page as the browser left it."""

    dom: str

    def script_errors(self) -> list[str]:
        """What the page wrote into ``#script-errors``."""
        found = re.search(r'<ul id="script-errors"[^>]*>(.*?)</ul>', self.dom, re.S)
        assert found, "the page has no #script-errors list"
        return re.findall(r"<li>(.*?)</li>", found[1], re.S)

    def chart(self, name: str) -> str:
        """The markup Vega drew into ``#chart-<name>``."""
        start = self.dom.find(f'id="chart-{name}"')
        assert start >= 0, f"no chart {name}"
        rest = self.dom[start + 1 :]
        ends = [i for i in (rest.find('id="chart-'), rest.find("</section>")) if i >= 0]
        return rest[: min(ends)] if ends else rest

    def charts_drawn(self) -> int:
        """How many charts Vega-Embed reported drawn (``data-charts`` on ``<body>``)."""
        found = re.search(r'<body[^>]*data-charts="(\d+)"', self.dom)
        return int(found[1]) if found else -1

    def value(self, card: str) -> str:
        """The exact number of a card (``total-created``)."""
        found = re.search(rf'id="{re.escape(card)}" data-value="([^"]*)"', self.dom)
        assert found, f"no card {card}"
        return found[1]

    def table_rows(self, table: str) -> list[list[str]]:
        """The text of each body row of ``<table id=table>``, cell by cell."""
        found = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', self.dom, re.S)
        assert found, f"no table {table}"
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", found[1], re.S)
        return [[_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]


def _text(cell: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", cell))


def render(page: Path, profile: Path) -> Rendered:
    """``page`` after its scripts ran."""
    return Rendered(chromium(page, profile, "--dump-dom"))


def assert_drawn(rendered: Rendered, charts: list[str]) -> None:
    """No script errors, and every chart drawn as SVG with marks in it."""
    assert rendered.script_errors() == []
    assert rendered.charts_drawn() == len(charts), rendered.charts_drawn()
    for name in charts:
        markup = rendered.chart(name)
        assert 'data-drawn="true"' in markup, name
        assert "<svg" in markup and 'class="mark-' in markup, name
