"""The command line's contract: commands, exit codes and one-line reasons (issue #3)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.constraints import ENTITIES
from pipeline.read import open_table
from tests.conftest import REPO, SandboxHandle

SAMPLES = REPO / "samples"
MAPPINGS = REPO / "mappings"
HEADER = (
    "customerNumber,name,currency,customerGroup.customerGroupNumber,"
    "paymentTerms.paymentTermsNumber,vatZone.vatZoneNumber\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def assert_one_line_reason(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("econ-import: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


def test_validate_sends_nothing_and_exits_0_when_every_row_is_valid(cli, tmp_path: Path) -> None:
    source = write(tmp_path / "ok.csv", HEADER + "1,Alfa ApS,DKK,1,1,1\n2,Beta A/S,EUR,2,3,2\n")
    result = cli("validate", source, "--report", tmp_path / "r")

    assert result.code == 0, result.err
    rows = list(csv.DictReader((tmp_path / "r" / "results.csv").open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["valid", "valid"]
    assert "Plan:" not in result.out  # no network in a dry run


def test_validate_exits_1_when_a_row_is_invalid(cli, tmp_path: Path) -> None:
    source = write(tmp_path / "bad.csv", HEADER + "1,Alfa ApS,DK,1,1,1\n")
    result = cli("validate", source, "--report", tmp_path / "r")
    assert result.code == 1
    assert re.search(r"^\s+invalid\s+1$", result.out, re.MULTILINE), result.out


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        pytest.param(["missing.csv"], ["missing.csv"], id="missing-input"),
        pytest.param(["{ok}", "--mapping", "nope.toml"], ["nope.toml"], id="missing-mapping"),
        pytest.param(["{ok}", "--mapping", "{badmap}"], ["nmae", "name"], id="unknown-property"),
        pytest.param(["{unknown_col}"], ["Navn"], id="unknown-column-without-mapping"),
        pytest.param(["{ok}", "--sheet", "Ark1"], [], id="sheet-on-a-csv"),
        pytest.param(["{ok}", "--job", "{job}"], ["--job"], id="input-and-job"),
        pytest.param([], ["input"], id="no-input"),
    ],
)
def test_configuration_mistakes_exit_2_with_a_one_line_reason(
    args: list[str], needles: list[str], cli, tmp_path: Path
) -> None:
    files = {
        "ok": write(tmp_path / "ok.csv", HEADER + "1,Alfa ApS,DKK,1,1,1\n"),
        "badmap": write(tmp_path / "bad.toml", 'entity = "customers"\n[columns]\n"x" = "nmae"\n'),
        "unknown_col": write(tmp_path / "u.csv", "Navn,currency\nAlfa,DKK\n"),
        "job": write(tmp_path / "job.toml", '[[steps]]\nentity = "customers"\ninput = "ok.csv"\n'),
    }
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    result = cli("validate", *argv, "--report", tmp_path / "r")

    assert result.code == 2, result.out
    assert_one_line_reason(result.err, *needles)


def test_a_missing_token_stops_the_run_before_any_request(
    sandbox: SandboxHandle, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECONOMIC_APP_SECRET_TOKEN", raising=False)
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", "grant-token-present")
    source = write(tmp_path / "ok.csv", HEADER + "1,Alfa ApS,DKK,1,1,1\n")
    before = sandbox.stats()["requests"]
    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "r")

    assert result.code == 2
    assert_one_line_reason(result.err, "ECONOMIC_APP_SECRET_TOKEN")
    assert sandbox.stats()["requests"] == before


def test_a_wrong_token_exits_2_without_showing_it(
    sandbox: SandboxHandle, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECONOMIC_APP_SECRET_TOKEN", "app-secret-abcdef")
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", "demo")  # read-only agreement
    source = write(tmp_path / "ok.csv", HEADER + "777,Alfa ApS,DKK,1,1,1\n")
    result = cli("import", source, "--base-url", sandbox.url, "--report", tmp_path / "r")

    assert result.code == 2, result.out
    assert "app-secret-abcdef" not in result.out + result.err
    rows = list(csv.DictReader((tmp_path / "r" / "results.csv").open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["failed"]  # the row is still accounted for


@pytest.mark.parametrize("entity", list(ENTITIES))
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_template_writes_every_writable_property_as_a_header(
    entity: str, suffix: str, cli, tmp_path: Path
) -> None:
    out = tmp_path / f"template{suffix}"
    result = cli("template", entity, "-o", out)

    assert result.code == 0
    assert open_table(out).columns == ENTITIES[entity].writable_paths()


def test_the_console_script_and_python_m_pipeline_are_the_same_program(tmp_path: Path) -> None:
    for command in (
        [str(Path(sys.executable).parent / "econ-import")],
        [sys.executable, "-m", "pipeline"],
    ):
        done = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False)
        assert done.returncode == 0
        for name in ("import", "validate", "template", "export", "forget", "sandbox"):
            assert name in done.stdout


def test_import_with_the_embedded_sandbox_needs_no_tokens(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECONOMIC_APP_SECRET_TOKEN", raising=False)
    monkeypatch.delenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", raising=False)
    result = cli(
        "import",
        SAMPLES / "customers.csv",
        "--mapping",
        MAPPINGS / "customers.toml",
        "--sandbox",
        "--report",
        tmp_path / "r",
    )

    assert result.code == 1  # the sample has bad rows on purpose
    assert re.search(r"^\s+created\s+51$", result.out, re.MULTILINE), result.out
    assert str(tmp_path / "r" / "results.csv") in result.out
