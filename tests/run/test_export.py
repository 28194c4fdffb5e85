"""Export (issue #4): the columns import takes, so export -> upsert sends no write."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.constraints import ENTITIES
from pipeline.read import open_table
from pipeline.run.export import export_paths
from tests.conftest import REPO, SandboxHandle

JOB = REPO / "mappings" / "legacy-erp.toml"


@pytest.fixture
def filled(sandbox: SandboxHandle, tokens: object, cli, tmp_path: Path) -> SandboxHandle:
    """A sandbox holding the sample migration."""
    cli("import", "--job", JOB, "--base-url", sandbox.url, "--report", tmp_path / "seed")
    return sandbox


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
@pytest.mark.parametrize("entity", list(ENTITIES))
def test_export_then_upsert_of_the_untouched_file_is_all_unchanged_with_no_writes(
    entity: str, suffix: str, filled: SandboxHandle, cli, tmp_path: Path
) -> None:
    out = tmp_path / f"export{suffix}"
    exported = cli("export", entity, "-o", out, "--base-url", filled.url)
    count = int(exported.out.split()[1])
    writes = filled.stats()["writes"]

    result = cli(
        "import",
        out,
        "--entity",
        entity,
        "--mode",
        "upsert",
        "--base-url",
        filled.url,
        "--report",
        tmp_path / "r",
    )
    with (tmp_path / "r" / "results.csv").open(encoding="utf-8", newline="") as handle:
        statuses = [row["status"] for row in csv.DictReader(handle)]

    assert exported.code == 0 and count > 0
    assert open_table(out).columns == export_paths(ENTITIES[entity])
    assert statuses == ["unchanged"] * count
    assert filled.stats()["writes"] == writes
    assert result.code == 0


def test_an_edited_export_updates_only_the_edited_row(
    filled: SandboxHandle, cli, tmp_path: Path
) -> None:
    out = tmp_path / "customers.csv"
    cli("export", "customers", "-o", out, "--base-url", filled.url)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([lines[0]]))
    first = next(csv.reader([lines[1]]))
    first[header.index("city")] = "Skagen"
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(first)
        writer.writerows(csv.reader(lines[2:]))

    cli("import", out, "--mode", "upsert", "--base-url", filled.url, "--report", tmp_path / "r")
    with (tmp_path / "r" / "results.csv").open(encoding="utf-8", newline="") as handle:
        statuses = [row["status"] for row in csv.DictReader(handle)]

    assert statuses[0] == "updated"
    assert set(statuses[1:]) == {"unchanged"}
