"""Drafted mappings that are safe to repeat (issue #19 point 4): ``econ-import map`` on a
file without the entity's number proposes a ``match`` rule (CVR, else e-mail, else EAN,
else name with zip; filled in nearly every row and unique) and takes a source-id header
(``CRM-id``) as the key; imported twice, each time with a fresh state folder, into the same
sandbox, the second run writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.mapping import load_mapping
from tests.conftest import SandboxHandle
from tests.draft.test_draft import run_map, write_csv

CRM_HEADER = ["CRM-id", "Firmanavn", "Adresse", "Postnr.", "By", "Telefon", "E-mail",
              "CVR-nummer", "EAN-nummer", "Valuta", "Kundegruppe", "Betalingsbetingelser",
              "Momszone"]  # fmt: skip


def crm_rows(count: int = 40, **overrides: list[str]) -> list[list[str]]:
    """A CRM export without e-conomic numbers; ``overrides`` replaces whole columns."""
    zones = ["Indenlandsk", "EU", "Udland"]
    rows = [CRM_HEADER]
    for n in range(1, count + 1):
        rows.append([
            f"CRM-{n:05d}", f"Kunde {n} ApS", f"Vestergade {n}", f"{8000 + n % 9}", "Aarhus C",
            f"+45 86 12 {n:02d} 00", f"kontakt{n}@kunde{n}.dk", f"{31000000 + 17 * n}", "", "DKK",
            "1", "Netto 14 dage", zones[n % 3],
        ])  # fmt: skip
    for column, cells in overrides.items():
        at = CRM_HEADER.index(column)
        for row, cell in zip(rows[1:], cells, strict=True):
            row[at] = cell
    return rows


def summary(report: Path) -> dict[str, int]:
    return json.loads((report / "summary.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_a_crm_export_gets_a_cvr_match_and_its_crm_id_as_key(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "crm.csv", crm_rows(), sep=";")
    mapping, commented, out = run_map(cli, source, tmp_path / "crm.toml")

    assert mapping.match == ("corporateIdentificationNumber",)
    assert mapping.key == "CRM-id"
    assert not commented
    text = (tmp_path / "crm.toml").read_text(encoding="utf-8")
    why = (
        "no column for customerNumber: a row is found by corporateIdentificationNumber "
        "('CVR-nummer': filled in 40 of 40 rows and unique), so a second run on any machine "
        "writes nothing"
    )
    assert f'match = ["corporateIdentificationNumber"]  # {why}' in text  # written
    assert f"match = ['corporateIdentificationNumber']: {why}" in out  # and printed
    assert 'key = "CRM-id"  # unique and filled in every row; reads like a source id' in text


@pytest.mark.parametrize(
    ("overrides", "match", "passed_over"),
    [
        pytest.param(
            {"CVR-nummer": ["12345678"] * 2 + [f"{40000000 + n}" for n in range(38)]},
            ("email",),
            "corporateIdentificationNumber ('CVR-nummer'): 1 values repeat",
            id="cvr-repeats-so-email",
        ),
        pytest.param(
            {
                "CVR-nummer": [""] * 10 + [f"{40000000 + n}" for n in range(30)],
                "E-mail": ["info@kæden.dk"] * 40,
                "EAN-nummer": [f"{5790000000000 + n}" for n in range(40)],
            },
            ("ean",),
            "email ('E-mail'): 39 values repeat",
            id="cvr-gaps-email-repeats-so-ean",
        ),
        pytest.param(
            {"CVR-nummer": [""] * 40, "E-mail": [""] * 40},
            ("name", "zip"),
            "ean ('EAN-nummer'): 'EAN-nummer' is empty in 40 of 40 rows",
            id="nothing-but-name-with-zip",
        ),
    ],
)
def test_the_first_column_that_is_filled_and_unique_is_proposed(
    cli, tmp_path: Path, overrides: dict[str, list[str]], match: tuple[str, ...], passed_over: str
) -> None:
    source = write_csv(tmp_path / "crm.csv", crm_rows(**overrides), sep=";")
    mapping, _, out = run_map(cli, source, tmp_path / "crm.toml")

    assert mapping.match == match
    assert passed_over in out


def test_without_a_unique_column_no_match_is_proposed_and_the_comment_says_why(
    cli, tmp_path: Path
) -> None:
    rows = crm_rows(
        4,
        **{"CVR-nummer": ["", "", "", ""], "E-mail": ["a@b.dk"] * 4, "Firmanavn": ["Et"] * 4,
           "Postnr.": ["8000"] * 4},
    )  # fmt: skip
    source = write_csv(tmp_path / "crm.csv", rows, sep=";")
    mapping, _, out = run_map(cli, source, tmp_path / "crm.toml")

    assert mapping.match == ()
    text = (tmp_path / "crm.toml").read_text(encoding="utf-8")
    assert "# match = [...]  # no column for customerNumber, and no match column" in text
    assert "only this machine's ledger would recognise these rows" in out


def test_a_file_with_the_number_needs_no_match(cli, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "k.csv", [["Kundenr", "Navn", "CVR"], ["1", "Et", "12345678"]])
    mapping, _, out = run_map(cli, source, tmp_path / "k.toml")
    assert mapping.match == () and "match" not in (tmp_path / "k.toml").read_text(encoding="utf-8")
    assert "match" not in out


@pytest.mark.parametrize(
    "header", ["CRM-id", "Id", "Kunde-ID", "Ekstern ID", "External ID", "Record ID", "HubSpot ID"]
)
def test_source_id_headers_are_the_key(cli, tmp_path: Path, header: str) -> None:
    rows = [[header, "Navn", "E-mail"]] + [[f"X{n}", f"Et {n}", f"{n}@x.dk"] for n in range(5)]
    mapping, commented, _ = run_map(cli, write_csv(tmp_path / "k.csv", rows), tmp_path / "k.toml")
    assert mapping.key == header
    assert mapping.match == ("email",)
    assert not commented


def test_the_drafted_mapping_imported_three_nights_with_fresh_state_writes_only_the_first(
    cli, sandbox: SandboxHandle, tokens: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "crm.csv", crm_rows(), sep=";")
    run_map(cli, source, tmp_path / "crm.toml")
    assert load_mapping(tmp_path / "crm.toml").match == ("corporateIdentificationNumber",)

    reports = []
    for night in (1, 2, 3):  # a nightly container: a new, empty state folder every time
        home = tmp_path / f"home-{night}"
        monkeypatch.setenv("ECONOMIC_IMPORT_HOME", str(home))
        writes_before = sandbox.stats()["writes"]
        report = tmp_path / f"night-{night}"
        result = cli("import", source, "--mapping", tmp_path / "crm.toml", "--base-url",
                     sandbox.url, "--report", report, "--no-progress")  # fmt: skip
        assert result.code == 0, result.out + result.err
        reports.append(
            (summary(tmp_path / f"night-{night}"), sandbox.stats()["writes"] - writes_before)
        )

    (first, first_writes), *later = reports
    assert first["created"] == 40 and first_writes == 40
    for again, writes in later:
        assert again["created"] == 0 and again["updated"] == 0 and again["skipped"] == 40
        assert writes == 0
