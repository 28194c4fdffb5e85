"""Job files (issue #4): checked completely, steps put in dependency order."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.run import load_job
from tests.conftest import REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "job.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_steps_run_parents_first_whatever_their_order_in_the_file(tmp_path: Path) -> None:
    job = write(
        tmp_path,
        "".join(
            f'[[steps]]\nentity = "{e}"\ninput = "{e}.csv"\n'
            for e in ("delivery-locations", "contacts", "customers", "customer-groups")
        ),
    )
    steps = load_job(job)
    assert [s.entity for s in steps] == [
        "customer-groups",
        "customers",
        "contacts",
        "delivery-locations",
    ]
    assert steps[0].input == (tmp_path / "customer-groups.csv").resolve()


def test_the_sample_job_names_files_that_exist() -> None:
    steps = load_job(REPO / "mappings" / "legacy-erp.toml")
    assert [s.sheet for s in steps] == [
        "CustomerGroups",
        "Customers",
        "Contacts",
        "DeliveryLocations",
    ]
    assert all(s.input.exists() and s.mapping and s.mapping.exists() for s in steps)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "at least one [[steps]]", id="no-steps"),
        pytest.param(
            '[[steps]]\nentity = "products"\ninput = "a.csv"\n',
            "customer-groups, customers, contacts, delivery-locations",
            id="bad-entity",
        ),
        pytest.param('[[steps]]\nentity = "customers"\n', "'input'", id="no-input"),
        pytest.param(
            '[[steps]]\nentity = "customers"\ninput = "a.csv"\nshet = "x"\n',
            "unknown key(s) shet; valid keys: entity, input, mapping, sheet",
            id="typo-in-key",
        ),
        pytest.param("nonsense = [", "is not valid TOML", id="bad-toml"),
    ],
)
def test_job_mistakes_name_the_valid_choices(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_job(write(tmp_path, text))
    assert message in str(caught.value)
