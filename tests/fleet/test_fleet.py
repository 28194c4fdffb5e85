"""A fleet of agreements on the sandbox (issue #20): run together, fail apart, twice.

Twelve agreements, each its own grant token (so its own agreement, bucket and ledger
scope on the sandbox), one naming an unset variable and one a damaged workbook: the ten
others are imported in full and at once, the two are reported with their reasons, the
fleet exits 2 and fleet.json holds all twelve; run again, it writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

import pipeline
from pipeline.errors import ConfigError
from tests.conftest import CliResult, SandboxHandle
from tests.report.browser import assert_drawn, render
from tests.runs import write_customers

ROWS = 30


def grant(number: int) -> str:
    return f"fleet-grant-{number:02d}-Qx"


def held(sandbox: SandboxHandle, token: str) -> int:
    """Customers the sandbox holds in the agreement of ``token``."""
    ident = hashlib.sha256(token.encode()).hexdigest()[:16]
    return int(sandbox.stats()["agreements"].get(ident, {}).get("customers", 0))


def write_fleet(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Twelve agreements: 1-10 good, 11 names an unset variable, 12 a damaged workbook."""
    lines = ['[defaults]\nentity = "customers"\nmode = "upsert"\n']
    for n in range(1, 13):
        source = folder / "clients" / f"c{n:02d}.csv"
        source.parent.mkdir(exist_ok=True)
        write_customers(source, range(n * 1000, n * 1000 + ROWS))
        variable = f"GRANT_CLIENT_{n:02d}"
        if n != 11:
            monkeypatch.setenv(variable, grant(n))
        else:
            monkeypatch.delenv(variable, raising=False)
        name = f"Klient {n:02d} ApS"
        where = f"clients/c{n:02d}.csv"
        if n == 12:
            where = "clients/damaged.xlsx"
            (folder / where).write_bytes(b"PK\x03\x04 not a workbook at all")
        lines.append(
            f'[[agreements]]\nname = "{name}"\ngrant_token_env = "{variable}"\ninput = "{where}"\n'
        )
    manifest = folder / "fleet.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest


def overlap(entries: list[dict[str, object]]) -> int:
    """The most agreements that were running at one moment (from their start and end)."""
    events = []
    for e in entries:
        events.append((datetime.fromisoformat(str(e["started_at"])), 1))
        events.append((datetime.fromisoformat(str(e["finished_at"])), -1))
    most = now = 0
    for _, step in sorted(events, key=lambda event: (event[0], event[1])):
        now += step
        most = max(most, now)
    return most


def test_a_fleet_of_twelve_runs_together_fails_apart_and_writes_nothing_twice(
    sandbox: SandboxHandle,
    tokens: object,
    cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manifest = write_fleet(tmp_path, monkeypatch)

    first = cli("fleet", manifest, "--base-url", sandbox.url, "--report", tmp_path / "r1",
                "--no-progress")  # fmt: skip

    assert first.code == 2, first.err
    fleet = json.loads((tmp_path / "r1" / "fleet.json").read_text())
    assert fleet["exit_code"] == 2 and len(fleet["agreements"]) == 12
    by_name = {a["name"]: a for a in fleet["agreements"]}
    assert list(by_name) == [f"Klient {n:02d} ApS" for n in range(1, 13)]  # manifest order
    good = [by_name[f"Klient {n:02d} ApS"] for n in range(1, 11)]
    for n, entry in enumerate(good, start=1):
        assert (entry["exit_code"], entry["rows"], entry["created"]) == (0, ROWS, ROWS), entry
        assert held(sandbox, grant(n)) == ROWS
        assert Path(entry["report"]) == tmp_path / "r1" / f"klient-{n:02d}-aps"
        assert json.loads((Path(entry["report"]) / "summary.json").read_text())["created"] == 30
    assert overlap(good) == 8  # --agreements' default: eight at once, all the time it could
    unset, damaged = by_name["Klient 11 ApS"], by_name["Klient 12 ApS"]
    assert unset["exit_code"] == damaged["exit_code"] == 2
    assert unset["error"] == "GRANT_CLIENT_11 is not set"
    assert "damaged.xlsx" in damaged["error"] and unset["report"] == damaged["report"] == ""
    # Both are named at once, before any request, and the table ends with the totals.
    assert "agreement 'Klient 11 ApS' cannot start: GRANT_CLIENT_11 is not set" in first.err
    assert "agreement 'Klient 12 ApS' cannot start" in first.err
    total = [line for line in first.out.splitlines() if line.startswith("total")]
    assert total and total[0].split()[1:4] == ["300", "300", "0"], first.out
    assert fleet["totals"]["created"] == 300 and fleet["totals"]["agreements"] == 12
    html = (tmp_path / "r1" / "fleet.html").read_text(encoding="utf-8")
    assert "Klient 01 ApS" in html and "klient-01-aps/report.html" in html
    rendered = render(tmp_path / "r1" / "fleet.html", tmp_path / "profile")  # headless chromium
    assert_drawn(rendered, ["fleet"])
    for name in ("rows", "created", "updated", "unchanged", "skipped", "failed"):
        assert rendered.value(f"total-{name}") == str(fleet["totals"][name]), name
    assert [r[0] for r in rendered.table_rows("fleet")] == list(by_name)
    shown = first.out + first.err + html + (tmp_path / "r1" / "fleet.json").read_text()
    assert not [n for n in range(1, 13) if grant(n) in shown]  # no token anywhere
    writes = sandbox.stats()["writes"]

    second = cli("fleet", manifest, "--base-url", sandbox.url, "--report", tmp_path / "r2",
                 "--no-progress")  # fmt: skip

    assert second.code == 2
    assert sandbox.stats()["writes"] == writes  # the second run wrote nothing
    again = json.loads((tmp_path / "r2" / "fleet.json").read_text())
    for entry in again["agreements"][:10]:
        assert (entry["exit_code"], entry["created"], entry["updated"]) == (0, 0, 0), entry
        assert entry["unchanged"] == ROWS
    for token in (grant(n) for n in range(1, 11)):
        assert held(sandbox, token) == ROWS
    # From a fresh state folder (another machine): the records are found by number.
    monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(tmp_path / "another-machine"))
    third = cli("fleet", manifest, "--base-url", sandbox.url, "--report", tmp_path / "r3",
                "--no-progress")  # fmt: skip
    assert third.code == 2 and sandbox.stats()["writes"] == writes
    fresh = json.loads((tmp_path / "r3" / "fleet.json").read_text())
    assert [e["unchanged"] for e in fresh["agreements"][:10]] == [ROWS] * 10


def test_each_running_agreement_has_a_live_line(
    start_sandbox: Callable[..., SandboxHandle],
    tokens: object,
    cli: Callable[..., CliResult],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off a terminal: a line per running agreement every interval, and one as each ends."""
    sandbox = start_sandbox(bucket=100_000, window=60.0, latency_ms=20)
    monkeypatch.setenv("ECONOMIC_IMPORT_PROGRESS_INTERVAL", "0.1")
    lines = ["[defaults]\nconcurrency = 2\n"]
    for n in (1, 2):
        monkeypatch.setenv(f"GRANT_LIVE_{n}", grant(50 + n))
        source = write_customers(tmp_path / f"c{n}.csv", range(n * 100, n * 100 + 80))
        lines.append(f'[[agreements]]\nname = "Live {n}"\ngrant_token_env = "GRANT_LIVE_{n}"\n'
                     f'input = "{source.name}"\n')  # fmt: skip
    manifest = tmp_path / "fleet.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")

    done = cli("fleet", manifest, "--base-url", sandbox.url, "--report", tmp_path / "r")

    assert done.code == 0, done.err
    for n in (1, 2):
        live = [line for line in done.err.splitlines() if line.startswith(f"[Live {n}] ")]
        moving = [line for line in live if re.search(r"\] \d+/80 rows, 0 failed, \d+s$", line)]
        assert len(moving) >= 2, done.err  # it moved while it ran
        assert live[-1].startswith(f"[Live {n}] exit 0, 80 rows, 0 not succeeded ("), live


def test_a_token_written_into_the_manifest_refuses_the_whole_fleet(
    sandbox: SandboxHandle, tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    source = write_customers(tmp_path / "c.csv", range(1, 3))
    manifest = tmp_path / "fleet.toml"
    manifest.write_text(
        f'[[agreements]]\nname = "A"\ngrant_token = "Abc123Def456Ghi789Jkl0"\ninput = "{source}"\n'
    )
    done = cli("fleet", manifest, "--base-url", sandbox.url, "--report", tmp_path / "r")
    assert done.code == 2
    assert "'grant_token' is a token written into the manifest" in done.err
    assert "Abc123Def456Ghi789Jkl0" not in done.err + done.out
    assert sandbox.stats()["requests"] == 0 and not (tmp_path / "r").exists()


def test_the_dask_engine_refuses_a_local_state_before_anything_is_submitted(
    tokens: object, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    source = write_customers(tmp_path / "c.csv", range(1, 3))
    manifest = tmp_path / "fleet.toml"
    manifest.write_text(f'[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninput = "{source}"\n')
    done = cli("fleet", manifest, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9",
               "--state", tmp_path / "state")  # fmt: skip
    assert done.code == 2
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and "--engine dask needs a shared PostgreSQL state" in lines[0]


def test_run_fleet_and_arun_fleet_from_python(
    sandbox: SandboxHandle, tokens: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRANT_PY", grant(99))
    source = write_customers(tmp_path / "c.csv", range(1, 6))
    manifest = tmp_path / "fleet.toml"
    manifest.write_text(
        f'[[agreements]]\nname = "Py"\ngrant_token_env = "GRANT_PY"\ninput = "{source}"\n'
    )
    outcome = pipeline.run_fleet(manifest, base_url=sandbox.url, report=tmp_path / "r1")
    assert (outcome.exit_code, outcome.totals["created"]) == (0, 5)
    assert outcome.summary == json.loads((tmp_path / "r1" / "fleet.json").read_text())
    assert outcome.agreements[0].report == str(tmp_path / "r1" / "py")
    with pytest.raises(ConfigError, match="engine 'spark' is not one of: local, dask"):
        pipeline.run_fleet(manifest, engine="spark")


async def test_arun_fleet_inside_a_running_loop(
    sandbox: SandboxHandle, tokens: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRANT_PY", grant(98))
    source = write_customers(tmp_path / "c.csv", range(1, 4))
    manifest = tmp_path / "fleet.toml"
    manifest.write_text(
        f'[[agreements]]\nname = "Py"\ngrant_token_env = "GRANT_PY"\ninput = "{source}"\n'
    )
    outcome = await pipeline.arun_fleet(manifest, base_url=sandbox.url, report=tmp_path / "r")
    assert (outcome.exit_code, outcome.totals["created"]) == (0, 3)
    plain = pipeline.run_fleet(manifest, base_url=sandbox.url, report=tmp_path / "r2")
    assert (plain.exit_code, plain.totals["created"], plain.totals["skipped"]) == (0, 0, 3)
