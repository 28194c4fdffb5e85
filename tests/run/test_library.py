"""The Python API (issue #20): every function, sync and async, against a real sandbox.

``pipeline.import_file``, ``import_frame``, ``import_job`` and their async twins return an
outcome (exit code, summary.json's dict, report folder); tokens come from the keywords or
the environment; a mistake raises the project's exception with the CLI's message.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pipeline
from pipeline.errors import ConfigError, InputError
from tests.conftest import APP_TOKEN, GRANT_TOKEN, REPO, SandboxHandle, api_get
from tests.runs import HEADERS, write_customers

MAPPINGS = REPO / "mappings"


def customers_frame(numbers: range, *, nameless: tuple[int, ...] = ()) -> pd.DataFrame:
    """A query result as pandas gives it: int and float columns, None for a missing name."""
    return pd.DataFrame(
        {
            "customerNumber": list(numbers),
            "name": [None if n in nameless else f"Kunde {n} ApS" for n in numbers],
            "currency": "DKK",
            "customerGroup.customerGroupNumber": 1,
            "paymentTerms.paymentTermsNumber": 1.0,  # a float column, as SQL NULLs leave it
            "vatZone.vatZoneNumber": 1,
            "email": [f"k{n}@example.dk" for n in numbers],
        }
    )


def held(sandbox: SandboxHandle) -> list[int]:
    return numbers(asyncio.run(api_get(sandbox.url, "/customers?pagesize=1000")))


def numbers(found: dict[str, list[dict[str, int]]]) -> list[int]:
    return sorted(c["customerNumber"] for c in found["collection"])


def test_import_file_twice_writes_nothing_the_second_time(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    source = write_customers(tmp_path / "kunder.csv", range(1, 21))
    keywords = {"base_url": sandbox.url, "app_secret_token": APP_TOKEN,
                "agreement_grant_token": GRANT_TOKEN, "mode": "upsert"}  # fmt: skip
    first = pipeline.import_file(source, report=tmp_path / "r1", **keywords)  # type: ignore[arg-type]
    assert (first.exit_code, first.ok, first.report_dir) == (0, True, tmp_path / "r1")
    assert first.summary["created"] == 20 and first.summary["rows"] == 20
    assert first.summary == json.loads((tmp_path / "r1" / "summary.json").read_text())
    assert held(sandbox) == list(range(1, 21))
    posts = sandbox.stats()["writes"]
    second = pipeline.import_file(source, report=tmp_path / "r2", **keywords)  # type: ignore[arg-type]
    assert second.exit_code == 0
    assert (second.summary["created"], second.summary["updated"]) == (0, 0)
    assert second.summary["unchanged"] == 20
    assert sandbox.stats()["writes"] == posts  # nothing written the second time
    for folder in (tmp_path / "r1", tmp_path / "r2"):  # the tokens are nowhere in a report
        for path in folder.iterdir():
            if path.suffix in (".csv", ".json", ".jsonl", ".html"):
                text = path.read_text(encoding="utf-8")
                assert APP_TOKEN not in text and GRANT_TOKEN not in text, path


def test_import_frame_into_the_embedded_sandbox(tmp_path: Path) -> None:
    frame = customers_frame(range(101, 111), nameless=(105,))
    outcome = pipeline.import_frame(frame, name="erp-query", sandbox=True, report=tmp_path / "r")
    assert outcome.exit_code == 1  # one row has no name
    assert (outcome.summary["created"], outcome.summary["invalid"]) == (9, 1)
    results = pd.read_csv(tmp_path / "r" / "results.csv", dtype=str)
    bad = results[results["status"] != "created"]
    # Row 6 is the frame's fifth row, numbered as a sheet's (the header is row 1).
    assert bad[["source", "row", "status"]].values.tolist() == [["erp-query", "6", "invalid"]]
    assert "name" in bad["errors"].iloc[0]
    errors = pd.read_csv(tmp_path / "r" / "errors.csv", dtype=str, keep_default_na=False)
    # The errors file holds the row as typed: 1.0 is written as the whole number it is.
    assert errors.loc[0, "customerNumber"] == "105"
    assert errors.loc[0, "paymentTerms.paymentTermsNumber"] == "1"


def test_import_frame_dry_run_sends_nothing_and_checks_every_row(tmp_path: Path) -> None:
    frame = customers_frame(range(1, 6), nameless=(2, 4))
    outcome = pipeline.import_frame(frame, dry_run=True, report=tmp_path / "r")
    assert outcome.exit_code == 1
    assert outcome.summary["dry_run"] is True
    assert (outcome.summary["valid"], outcome.summary["invalid"]) == (3, 2)
    assert outcome.summary["requests"] == 0
    assert any("no target" in line for line in outcome.summary["warnings"])


def test_import_frame_with_a_mapping_and_the_same_frame_again(
    sandbox: SandboxHandle, tmp_path: Path, tokens: tuple[str, str]
) -> None:
    """Source columns through a mapping; tokens from the environment; run twice: the same
    frame is the same input to the journal and the ledger, so nothing is created twice."""
    legacy = pd.DataFrame(
        {
            "Kundenr": [7001, 7002, 7003],
            "Navn": ["Alfa ApS", "Beta A/S", "Gamma I/S"],
            "Valuta": ["DKK", "DKK", "EUR"],
        }
    )
    mapping = tmp_path / "erp.toml"
    mapping.write_text(
        'entity = "customers"\nkey = "Kundenr"\n[columns]\nKundenr = "customerNumber"\n'
        'Navn = "name"\nValuta = "currency"\n[defaults]\n'
        '"customerGroup.customerGroupNumber" = 1\n"paymentTerms.paymentTermsNumber" = 1\n'
        '"vatZone.vatZoneNumber" = 1\n',
        encoding="utf-8",
    )
    first = pipeline.import_frame(legacy, mapping=mapping, base_url=sandbox.url,
                                  report=tmp_path / "r1")  # fmt: skip
    assert (first.exit_code, first.summary["created"]) == (0, 3), first.summary
    again = pipeline.import_frame(legacy, mapping=mapping, base_url=sandbox.url,
                                  report=tmp_path / "r2")  # fmt: skip
    assert again.exit_code == 0 and again.summary["created"] == 0
    assert again.summary["skipped"] == 3  # create mode: a record that exists is skipped
    assert held(sandbox) == [7001, 7002, 7003]


def test_import_job_runs_the_steps_in_dependency_order(tmp_path: Path) -> None:
    outcome = pipeline.import_job(MAPPINGS / "demo.toml", sandbox=True, report=tmp_path / "r")
    assert outcome.exit_code == 1  # the samples hold bad rows on purpose
    assert outcome.summary["created"] > 0
    assert list(outcome.summary["by_entity"]) == [
        "customer-groups", "customers", "contacts", "delivery-locations"
    ]  # fmt: skip


async def test_the_async_twins_run_inside_a_running_loop(
    sandbox: SandboxHandle, tmp_path: Path, tokens: tuple[str, str]
) -> None:
    asyncio.get_running_loop()  # this test is a coroutine: a loop runs, as in a notebook
    source = write_customers(tmp_path / "a.csv", range(1, 6))
    by_file = await pipeline.aimport_file(source, base_url=sandbox.url, report=tmp_path / "f")
    assert (by_file.exit_code, by_file.summary["created"]) == (0, 5)
    by_frame = await pipeline.aimport_frame(
        customers_frame(range(6, 9)), name="q", base_url=sandbox.url, report=tmp_path / "q"
    )
    assert (by_frame.exit_code, by_frame.summary["created"]) == (0, 3)
    job = tmp_path / "job.toml"
    job.write_text(f'[[steps]]\nentity = "customers"\ninput = "{source.name}"\n')
    by_job = await pipeline.aimport_job(job, base_url=sandbox.url, report=tmp_path / "j")
    assert (by_job.exit_code, by_job.summary["created"], by_job.summary["skipped"]) == (0, 0, 5)
    # The plain function, called where a loop already runs, runs in a thread of its own.
    plain = pipeline.import_file(source, dry_run=True, report=tmp_path / "d")
    assert (plain.exit_code, plain.summary["valid"]) == (0, 5)
    assert numbers(await api_get(sandbox.url, "/customers?pagesize=1000")) == list(range(1, 9))


def test_a_dry_run_with_a_target_previews_and_offline_sends_nothing(
    sandbox: SandboxHandle, tmp_path: Path, tokens: tuple[str, str]
) -> None:
    source = write_customers(tmp_path / "a.csv", range(1, 4))
    preview = pipeline.import_file(
        source, dry_run=True, base_url=sandbox.url, report=tmp_path / "p"
    )
    assert preview.summary["changes"]["create"] == 3, preview.summary
    before = sandbox.stats()["requests"]
    offline = pipeline.import_file(
        source, dry_run=True, offline=True, base_url=sandbox.url, report=tmp_path / "o"
    )
    assert offline.exit_code == 0 and "changes" not in offline.summary
    assert sandbox.stats()["requests"] == before


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda p: pipeline.import_file(p, base_url="http://127.0.0.1:9"),
            ConfigError,
            "environment variable ECONOMIC_APP_SECRET_TOKEN and ECONOMIC_AGREEMENT_GRANT_TOKEN "
            "not set",
            id="no-tokens",
        ),
        pytest.param(
            lambda p: pipeline.import_file(p.parent / "missing.csv", sandbox=True),
            InputError,
            "missing.csv",
            id="missing-file",
        ),
        pytest.param(
            lambda p: pipeline.import_file(p, mode="merge", sandbox=True),
            ConfigError,
            "mode 'merge' is not one of: create, upsert, update",
            id="bad-mode",
        ),
        pytest.param(
            lambda p: pipeline.import_file(p, entity="invoices", sandbox=True),
            ConfigError,
            "entity 'invoices' is not one of: customer-groups, customers, contacts",
            id="bad-entity",
        ),
        pytest.param(
            lambda p: pipeline.import_frame([1, 2], sandbox=True),
            InputError,
            "frame: expected a pandas DataFrame, got list",
            id="not-a-frame",
        ),
    ],
)
def test_mistakes_raise_the_projects_exceptions_before_any_request(
    call, error: type[Exception], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for name in ("ECONOMIC_APP_SECRET_TOKEN", "ECONOMIC_AGREEMENT_GRANT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    source = write_customers(tmp_path / "a.csv", range(1, 3))
    with pytest.raises(error) as raised:
        call(source)
    assert message in str(raised.value)


def test_the_cli_prints_the_librarys_message(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    for name in ("ECONOMIC_APP_SECRET_TOKEN", "ECONOMIC_AGREEMENT_GRANT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    source = write_customers(tmp_path / "a.csv", range(1, 3))
    with pytest.raises(ConfigError) as raised:
        pipeline.import_file(source, base_url="http://127.0.0.1:9", report=tmp_path / "r")
    done = cli("import", source, "--base-url", "http://127.0.0.1:9", "--report", tmp_path / "c")
    assert done.code == 2 and done.err.strip() == f"econ-import: {raised.value}"


def test_import_pipeline_loads_no_heavy_library() -> None:
    probe = (
        "import sys, pipeline\n"
        "heavy = {'pandas', 'pandera', 'aiohttp', 'numpy', 'altair'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
        "pipeline.import_frame, pipeline.arun_fleet\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["[]", "True"]
    assert set(HEADERS) <= set(customers_frame(range(1, 2)).columns)


def test_imports_in_the_same_second_get_report_folders_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = write_customers(tmp_path / "a.csv", range(1, 3))
    folders = [pipeline.import_file(source, dry_run=True).report_dir for _ in range(3)]
    assert len(set(folders)) == 3, folders
    assert all((tmp_path / f / "summary.json").exists() for f in folders)
