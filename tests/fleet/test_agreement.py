"""What one agreement needs where it runs (issue #20): its grant token and its steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.fleet import AgreementSpec, agreement_steps, load_manifest, resolve_grant_token
from pipeline.run import Step

TOKEN = "lzJFFAqDSLRHXlGVdwbaGtHzDq8aOIbRG1b0ofR0Evo1"


def agreement(tmp_path: Path, lines: str) -> AgreementSpec:
    """The one agreement of a manifest written in ``tmp_path``."""
    path = tmp_path / "manifest.toml"
    path.write_text(f'[[agreements]]\nname = "Bager Hansen ApS"\n{lines}', encoding="utf-8")
    (spec,) = load_manifest(path).agreements
    return spec


def by_env(tmp_path: Path) -> AgreementSpec:
    return agreement(tmp_path, 'grant_token_env = "GRANT_BAGER"\ninput = "a.csv"\n')


def by_file(tmp_path: Path) -> AgreementSpec:
    return agreement(tmp_path, 'grant_token_file = "secrets/bager.token"\ninput = "a.csv"\n')


def test_the_token_comes_from_the_variable_stripped(tmp_path: Path) -> None:
    assert resolve_grant_token(by_env(tmp_path), {"GRANT_BAGER": f" {TOKEN}\n"}) == TOKEN


def test_the_token_comes_from_the_file_stripped(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "bager.token").write_text(f"{TOKEN}\n", encoding="utf-8")
    assert resolve_grant_token(by_file(tmp_path), {}) == TOKEN


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({}, "agreement 'Bager Hansen ApS': GRANT_BAGER is not set", id="unset"),
        pytest.param(
            {"GRANT_BAGER": " \n"}, "agreement 'Bager Hansen ApS': GRANT_BAGER is empty", id="empty"
        ),
    ],
)
def test_a_missing_variable_says_which(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_grant_token(by_env(tmp_path), env)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("content", "said"),
    [
        pytest.param(None, "does not exist", id="missing"),
        pytest.param(b"\n  \n", "is empty", id="empty"),
        pytest.param(b"\xff\xfe", "is not UTF-8 text", id="not-text"),
        pytest.param("folder", "cannot be read", id="a-folder"),
    ],
)
def test_a_token_file_that_cannot_give_a_token_says_why(
    content: bytes | str | None, said: str, tmp_path: Path
) -> None:
    spec = by_file(tmp_path)
    file = tmp_path / "secrets" / "bager.token"
    if content == "folder":
        file.mkdir(parents=True)
    elif isinstance(content, bytes):
        file.parent.mkdir()
        file.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        resolve_grant_token(spec, {})
    where = "agreement 'Bager Hansen ApS'"
    expected = {
        "cannot be read": f"{where}: cannot read grant token file {file}: Is a directory",
    }.get(said, f"{where}: grant token file {file} {said}")
    assert str(caught.value) == expected


def test_an_input_agreement_is_one_step(tmp_path: Path) -> None:
    (tmp_path / "kunder.csv").write_text("Nummer;Navn\n1;Bager\n", encoding="utf-8")
    spec = agreement(
        tmp_path,
        'grant_token_env = "G"\ninput = "kunder.csv"\nentity = "contacts"\nsheet = "Ark1"\n'
        'mapping = "maps/c5.toml"\n',
    )
    assert agreement_steps(spec) == (
        Step(
            entity="contacts",
            input=tmp_path / "kunder.csv",
            sheet="Ark1",
            mapping=tmp_path / "maps" / "c5.toml",
        ),
    )


def test_a_job_agreement_has_its_job_file_s_steps(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (tmp_path / "groups.csv").write_text("Nummer;Navn\n1;Engros\n", encoding="utf-8")
    (tmp_path / "kunder.csv").write_text("Nummer;Navn;Gruppe\n1;Bager;1\n", encoding="utf-8")
    (jobs / "erp.toml").write_text(
        'description = "ERP"\n'
        '[[steps]]\nentity = "customers"\ninput = "../kunder.csv"\n'
        '[[steps]]\nentity = "customer-groups"\ninput = "../groups.csv"\n',
        encoding="utf-8",
    )
    spec = agreement(tmp_path, 'grant_token_env = "G"\njob = "jobs/erp.toml"\n')
    assert agreement_steps(spec) == (
        Step(entity="customer-groups", input=tmp_path / "groups.csv"),
        Step(entity="customers", input=tmp_path / "kunder.csv"),
    )


@pytest.mark.parametrize(
    ("job", "said"),
    [
        pytest.param(None, "job file {path} does not exist", id="missing"),
        pytest.param("[[steps]]\nentity = 1\n", "{path}: step 1: entity 1 is not one of", id="bad"),
    ],
)
def test_a_bad_job_file_names_the_agreement(job: str | None, said: str, tmp_path: Path) -> None:
    spec = agreement(tmp_path, 'grant_token_env = "G"\njob = "erp.toml"\n')
    path = tmp_path / "erp.toml"
    if job is not None:
        path.write_text(job, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        agreement_steps(spec)
    assert str(caught.value).startswith(
        "agreement 'Bager Hansen ApS': " + said.format(path=path)
    ), caught.value
