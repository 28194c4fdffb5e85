"""No history is no excuse (issue #19.3): the nightly container, with an empty state each run.

One CRM export (no e-conomic numbers), imported three nights in a row, each night with a
fresh ``ECONOMIC_IMPORT_HOME``: with a match rule the second and third nights write
nothing; without one the second night stops before any write (exit 2) and says why and
the ways out; with ``match = []`` it creates, as the mapping says. The real CLI against the
real sandbox on loopback.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, SandboxHandle, api_get

HEADERS = ["CRM-id", "Firmanavn", "Adresse", "Postnr.", "By", "E-mail", "CVR-nummer"]
ROWS = 40


def crm_export(path: Path, rows: int = ROWS) -> Path:
    """A CRM export: its own ids, names, addresses, e-mails and CVR numbers; no numbers."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        for i in range(1, rows + 1):
            writer.writerow(
                [
                    f"CRM-{i:05d}",
                    f"Kunde {i} ApS",
                    f"Vej {i}",
                    f"{8000 + i}",
                    "Aarhus",
                    f"kunde{i}@example.dk",
                    f"{30000000 + i}",
                ]
            )
    return path


def mapping(path: Path, match: str | None) -> Path:
    """The CRM export's mapping, with ``match`` as given (None: no match line at all)."""
    lines = ['entity = "customers"', 'key = "CRM-id"']
    if match is not None:
        lines.append(f"match = {match}")
    lines += [
        "[columns]",
        '"CRM-id" = false',
        '"Firmanavn" = "name"',
        '"Adresse" = "address"',
        '"Postnr." = "zip"',
        '"By" = "city"',
        '"E-mail" = "email"',
        '"CVR-nummer" = "corporateIdentificationNumber"',
        "[constants]",
        '"currency" = "DKK"',
        '"customerGroup.customerGroupNumber" = 1',
        '"paymentTerms.paymentTermsNumber" = 1',
        '"vatZone.vatZoneNumber" = 1',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def customers_on_server(sandbox: SandboxHandle) -> int:
    body = sandbox.call(lambda: api_get(sandbox.url, "/customers?pagesize=1"))
    return int(body["pagination"]["results"])


class Nights:
    """One night of the container: a fresh state folder, the same command."""

    def __init__(
        self,
        cli: Any,
        sandbox: SandboxHandle,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        mapping_file: Path,
    ) -> None:
        self.cli, self.sandbox, self.tmp, self.monkeypatch = cli, sandbox, tmp_path, monkeypatch
        self.source = crm_export(tmp_path / "crm.csv")
        self.mapping = mapping_file
        self.night = 0

    def run(self, *, fresh: bool = True) -> tuple[CliResult, Path, int]:
        """Run the import (in a new state folder unless ``fresh`` is false); the result,
        the report folder and the writes the sandbox saw during it."""
        self.night += 1
        if fresh:
            home = self.tmp / f"home-{self.night}"
            self.monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(home))
        report = self.tmp / f"night-{self.night}"
        before = int(self.sandbox.stats()["writes"])
        result = self.cli(
            "import", self.source, "--mapping", self.mapping, "--base-url", self.sandbox.url,
            "--report", report, "--no-progress",
        )  # fmt: skip
        return result, report, int(self.sandbox.stats()["writes"]) - before


@pytest.fixture
def nights(
    sandbox: SandboxHandle,
    tokens: object,
    cli: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Any:
    def make(match: str | None) -> Nights:
        return Nights(cli, sandbox, tmp_path, monkeypatch, mapping(tmp_path / "m.toml", match))

    return make


def test_with_a_match_rule_the_second_and_third_nights_write_nothing(
    nights: Any, sandbox: SandboxHandle
) -> None:
    container = nights('["corporateIdentificationNumber"]')
    first, _, wrote = container.run()
    assert first.code == 0, first.out + first.err
    assert wrote == ROWS
    for _ in range(2):
        again, report, wrote = container.run()
        assert again.code == 0, again.out + again.err
        assert wrote == 0
        summary = json.loads((report / "summary.json").read_text("utf-8"))
        assert summary["created"] == 0 and summary["skipped"] == ROWS
        assert summary["warnings"] == []
    assert customers_on_server(sandbox) == ROWS


def test_without_a_match_rule_the_second_night_stops_before_any_write(
    nights: Any, sandbox: SandboxHandle
) -> None:
    container = nights(None)
    first, report, wrote = container.run()  # an empty agreement: no reason to stop
    assert first.code == 0, first.out + first.err
    assert wrote == ROWS
    summary = json.loads((report / "summary.json").read_text("utf-8"))
    # The plan's note is in summary.json, for monitoring of an unattended run.
    assert any("only this machine's ledger recognises them" in w for w in summary["warnings"])

    second, report, wrote = container.run()
    assert second.code == 2, second.out + second.err
    assert wrote == 0
    assert not (report / "results.csv").exists()  # stopped before the run began
    message = second.err.strip().splitlines()[-1]
    assert f"{ROWS} row(s) have no customerNumber and no match values" in message
    assert f"already holds {ROWS} customer record(s)" in message
    for way_out in ("match rule", "--state", "match = []"):
        assert way_out in message
    assert "Traceback" not in second.err

    # The same state folder again: its ledger knows the rows, nothing is refused or sent.
    container.monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(container.tmp / "home-1"))
    third, _, wrote = container.run(fresh=False)
    assert third.code == 0, third.out + third.err
    assert wrote == 0
    assert customers_on_server(sandbox) == ROWS


def test_match_empty_list_says_rows_without_a_number_are_new(
    nights: Any, sandbox: SandboxHandle
) -> None:
    container = nights("[]")
    first, _, wrote = container.run()
    assert first.code == 0, first.out + first.err
    second, report, wrote = container.run()
    assert second.code == 0, second.out + second.err
    assert wrote == ROWS  # created again, as match = [] asks
    assert "the mapping says match = []" in second.out
    summary = json.loads((report / "summary.json").read_text("utf-8"))
    assert any("match = []" in w for w in summary["warnings"])
    assert customers_on_server(sandbox) == 2 * ROWS


def test_a_dry_run_is_never_refused(nights: Any, sandbox: SandboxHandle) -> None:
    container = nights(None)
    assert container.run()[0].code == 0
    container.monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(container.tmp / "elsewhere"))
    preview = container.cli(
        "import", container.source, "--mapping", container.mapping, "--base-url",
        sandbox.url, "--report", container.tmp / "preview", "--dry-run", "--no-progress",
    )  # fmt: skip
    assert preview.code == 0, preview.out + preview.err
    assert f"{ROWS} to create" in preview.out  # a preview shows it; only an import refuses
