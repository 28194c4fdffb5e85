"""Fleet manifests (issue #20): checked whole, every mistake one line, no token written in."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.fleet import AgreementSpec, ManifestError, load_manifest

#: What a pasted e-conomic token looks like: long, letters of both cases and digits.
PASTED = "lzJFFAqDSLRHXlGVdwbaGtHzDq8aOIbRG1b0ofR0Evo1"
VALID_AGREEMENT_KEYS = (
    "base_url, concurrency, entity, grant_token_env, grant_token_file, input, job, mapping, "
    "max_concurrency, mode, name, sheet"
)
#: One good agreement, for manifests whose mistake is elsewhere.
GOOD = '[[agreements]]\nname = "Good"\ngrant_token_env = "GRANT_GOOD"\ninput = "good.csv"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **options: str) -> list[str]:
    """The manifest's mistakes, each with the manifest's path taken off its front."""
    with pytest.raises(ManifestError) as caught:
        load_manifest(path, **options)
    assert str(caught.value) == "\n".join(caught.value.problems)
    prefix = f"{path}: "
    assert all(p.startswith(prefix) for p in caught.value.problems), caught.value.problems
    return [p.removeprefix(prefix) for p in caught.value.problems]


def test_defaults_apply_and_an_agreement_s_own_key_wins(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'base_url = "https://fleet.example"\n'
        'description = "Two bakeries"\n'
        '[defaults]\nentity = "customers"\nmode = "upsert"\nmapping = "maps/c5.toml"\n'
        "concurrency = 4\n"
        '[[agreements]]\nname = "Bager Hansen ApS"\ngrant_token_env = "GRANT_BAGER"\n'
        'input = "clients/bager/kunder.xlsx"\nsheet = "Kunder"\n'
        '[[agreements]]\nname = "Ærø Øl & Å-bageri"\ngrant_token_file = "secrets/aeroe.token"\n'
        'input = "/data/aeroe/contacts.csv"\nentity = "contacts"\nmode = "update"\n'
        'mapping = "maps/contacts.toml"\nbase_url = "http://127.0.0.1:8080"\n'
        "max_concurrency = 16\n",
    )
    manifest = load_manifest(path)
    assert manifest.path == path.resolve()
    assert manifest.agreements == (
        AgreementSpec(
            name="Bager Hansen ApS",
            slug="bager-hansen-aps",
            number=1,
            grant_token_env="GRANT_BAGER",
            grant_token_file=None,
            input=tmp_path / "clients" / "bager" / "kunder.xlsx",
            entity="customers",
            sheet="Kunder",
            mapping=tmp_path / "maps" / "c5.toml",
            job=None,
            mode="upsert",
            base_url="https://fleet.example",
            concurrency=4,
            max_concurrency=None,
        ),
        AgreementSpec(
            name="Ærø Øl & Å-bageri",
            slug="aeroe-oel-aa-bageri",
            number=2,
            grant_token_env=None,
            grant_token_file=tmp_path / "secrets" / "aeroe.token",
            input=Path("/data/aeroe/contacts.csv"),
            entity="contacts",
            sheet=None,
            mapping=tmp_path / "maps" / "contacts.toml",
            job=None,
            mode="update",
            base_url="http://127.0.0.1:8080",
            concurrency=4,
            max_concurrency=16,
        ),
    )
    # The specs go to Dask workers.
    assert pickle.loads(pickle.dumps(manifest)) == manifest


def test_paths_are_absolute_when_the_manifest_is_named_relative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fleet").mkdir()
    write(tmp_path / "fleet", GOOD)
    monkeypatch.chdir(tmp_path)
    manifest = load_manifest(Path("fleet/manifest.toml"))
    assert manifest.path == tmp_path / "fleet" / "manifest.toml"
    assert manifest.agreements[0].input == tmp_path / "fleet" / "good.csv"


def test_a_job_agreement_ignores_the_default_entity_mapping_and_sheet(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\nentity = "contacts"\nmapping = "m.toml"\nsheet = "S"\ninput = "d.csv"\n'
        '[[agreements]]\nname = "Migration"\ngrant_token_env = "G"\njob = "jobs/erp.toml"\n',
    )
    (spec,) = load_manifest(path).agreements
    assert spec.job == tmp_path / "jobs" / "erp.toml"
    assert (spec.input, spec.mapping, spec.sheet, spec.entity) == (None, None, None, "customers")


def test_an_agreement_s_input_overrides_a_default_job(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\njob = "all.toml"\n'
        '[[agreements]]\nname = "One"\ngrant_token_env = "G"\ninput = "one.csv"\n'
        '[[agreements]]\nname = "Two"\ngrant_token_env = "G"\n',
    )
    one, two = load_manifest(path).agreements
    assert (one.input, one.job) == (tmp_path / "one.csv", None)
    assert (two.input, two.job) == (None, tmp_path / "all.toml")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Bager Hansen ApS", "bager-hansen-aps"),
        ("  Ærø Øl & Å  ", "aeroe-oel-aa"),
        ("Café Müller / Søn", "cafe-muller-soen"),
        ("ÆBLEGÅRDEN", "aeblegaarden"),
        ("---", "agreement-1"),
        ("日本", "agreement-1"),
        ("a" * 59 + " b", "a" * 59),
    ],
    ids=["plain", "danish", "accents", "upper-danish", "punctuation", "no-ascii", "at-most-60"],
)
def test_the_slug_names_a_folder(name: str, slug: str, tmp_path: Path) -> None:
    path = write(tmp_path, f'[[agreements]]\nname = "{name}"\ngrant_token_env = "G"\njob = "j"\n')
    assert load_manifest(path).agreements[0].slug == slug


def test_mode_replaces_every_agreement_s_mode(tmp_path: Path) -> None:
    two = GOOD.replace('"Good"', '"A"') + GOOD.replace('"Good"', '"B"') + 'mode = "upsert"\n'
    path = write(tmp_path, '[defaults]\nmode = "create"\n' + two)
    assert [a.mode for a in load_manifest(path).agreements] == ["create", "upsert"]
    assert [a.mode for a in load_manifest(path, mode="update").agreements] == ["update"] * 2


def test_an_unknown_mode_lists_the_modes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_manifest(write(tmp_path, GOOD), mode="merge")
    assert str(caught.value) == "mode 'merge' is not one of: create, upsert, update"


#: One mistake in an otherwise good manifest, and the lines that report it (the manifest's
#: path taken off).
MISTAKES = [
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninptu = "a.csv"\n',
        [f"agreement 1 'A': unknown key 'inptu'; valid keys: {VALID_AGREEMENT_KEYS}",
         "agreement 1 'A': nothing to import: give input (a file, with entity, mapping, sheet) "
         "or job (a job file)"],
        id="typo-in-agreement-key",
    ),
    pytest.param(
        'titel = "x"\n' + GOOD,
        ["unknown key 'titel'; valid keys: agreements, base_url, defaults, description"],
        id="typo-in-top-key",
    ),
    pytest.param(
        '[defaults]\nshet = "x"\n' + GOOD,
        ["[defaults]: unknown key 'shet'; valid keys: base_url, concurrency, entity, input, "
         "job, mapping, max_concurrency, mode, sheet"],
        id="typo-in-default-key",
    ),
    pytest.param(
        '[defaults]\nname = "x"\n' + GOOD,
        ["[defaults]: 'name' cannot be a default: each agreement names itself"],
        id="default-name",
    ),
    pytest.param(
        '[defaults]\ngrant_token_file = "t"\n' + GOOD,
        ["[defaults]: 'grant_token_file' cannot be a default: each agreement names its own "
         "grant token"],
        id="default-token-file",
    ),
    pytest.param(
        "defaults = 3\n" + GOOD,
        ["[defaults]: 'defaults' must be a table ([defaults]), not a number"],
        id="defaults-not-a-table",
    ),
    pytest.param(
        '[defaults]\ninput = "a"\njob = "b"\n' + GOOD,
        ["[defaults]: give one of input or job, not both"],
        id="default-input-and-job",
    ),
    pytest.param("", ["a manifest needs at least one [[agreements]] table"], id="empty"),
    pytest.param(
        "agreements = []\n",
        ["a manifest needs at least one [[agreements]] table"],
        id="no-agreements",
    ),
    pytest.param(
        'agreements = ["x"]\n',
        ["agreement 1: expected a table ([[agreements]]), not text"],
        id="agreement-not-a-table",
    ),
    pytest.param(
        '[[agreements]]\ngrant_token_env = "G"\ninput = "a"\n',
        ["agreement 1: 'name' is missing (it names the report folder)"],
        id="no-name",
    ),
    pytest.param(
        '[[agreements]]\nname = " "\ngrant_token_env = "G"\ninput = "a"\n',
        ["agreement 1: 'name' must be a non-empty string (it names the report folder)"],
        id="blank-name",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ninput = "a"\n',
        ["agreement 1 'A': no grant token: give grant_token_env (an environment variable's "
         "name) or grant_token_file (a file holding the token)"],
        id="no-token",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ngrant_token_file = "t"\n'
        'input = "a"\n',
        ["agreement 1 'A': give one of grant_token_env or grant_token_file, not both"],
        id="two-tokens",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninput = "a"\njob = "j"\n',
        ["agreement 1 'A': give one of input or job, not both"],
        id="input-and-job",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\njob = "j"\nsheet = "S"\n',
        ["agreement 1 'A': 'sheet' does not go with job: the job file names each step's "
         "entity, input, sheet and mapping"],
        id="sheet-with-job",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninput = "a"\n'
        'entity = "products"\n',
        ["agreement 1 'A': entity 'products' is not one of: customer-groups, customers, "
         "contacts, delivery-locations"],
        id="unknown-entity",
    ),
    pytest.param(
        '[defaults]\nmode = "merge"\n' + GOOD,
        ["[defaults]: mode 'merge' is not one of: create, upsert, update"],
        id="unknown-default-mode",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninput = "a"\nconcurrency = 0\n',
        ["agreement 1 'A': 'concurrency' must be a positive whole number, not 0"],
        id="zero-concurrency",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninput = "a"\n'
        "max_concurrency = true\n",
        ["agreement 1 'A': 'max_concurrency' must be a positive whole number, not true/false"],
        id="boolean-max-concurrency",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninput = 7\n',
        ["agreement 1 'A': 'input' must be a file name"],
        id="input-not-text",
    ),
    pytest.param(
        '[[agreements]]\nname = "A"\ngrant_token_env = "G"\ninput = "a"\nsheet = 1\n',
        ["agreement 1 'A': 'sheet' must be text, not a number"],
        id="sheet-not-text",
    ),
    pytest.param(
        'base_url = "restapi.e-conomic.com"\n' + GOOD,
        ["'base_url' must start with https:// or http://, not 'restapi.e-conomic.com'"],
        id="base-url-without-scheme",
    ),
    pytest.param(
        GOOD + GOOD.replace('"Good"', '"GOOD"'),
        ["agreement 2 'GOOD': the name is already used by agreement 1 'Good'"],
        id="same-name-but-case",
    ),
    pytest.param(
        GOOD + GOOD.replace('"Good"', '"Good!"'),
        ["agreement 2 'Good!': its report folder 'good' is taken by agreement 1 'Good' (names "
         "that differ only in case, accents or punctuation give the same folder)"],
        id="same-slug",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "said"), MISTAKES)
def test_each_mistake_is_one_line_naming_where_it_is(
    text: str, said: list[str], tmp_path: Path
) -> None:
    assert problems(write(tmp_path, text)) == said


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[agreements]]\nname = "Bager Hansen ApS"\ngrant_token_env = "G"\ninput = "a"\n'
        'inptu = "b"\n'
        + GOOD
        + '[[agreements]]\nname = "Slagter Sørensen"\ninput = "s.csv"\n'
        + '[[agreements]]\nname = "Fisk & Co"\ngrant_token_env = "F"\ninput = "f.csv"\n'
        'mode = "merge"\n',
    )
    assert problems(path) == [
        f"agreement 1 'Bager Hansen ApS': unknown key 'inptu'; valid keys: {VALID_AGREEMENT_KEYS}",
        "agreement 3 'Slagter Sørensen': no grant token: give grant_token_env (an environment "
        "variable's name) or grant_token_file (a file holding the token)",
        "agreement 4 'Fisk & Co': mode 'merge' is not one of: create, upsert, update",
    ]


def test_a_line_break_in_a_name_stays_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[agreements]]\nname = "Two\\nlines"\ngrant_token_env = "G"\n')
    assert problems(path) == [
        "agreement 1 'Two\\nlines': nothing to import: give input (a file, with entity, "
        "mapping, sheet) or job (a job file)"
    ]


TOKEN_KEYS = [
    pytest.param(f'grant_token = "{PASTED}"\n' + GOOD, "", "grant_token", id="top-level"),
    pytest.param(
        f'[defaults]\nagreement_grant_token = "{PASTED}"\n' + GOOD,
        "[defaults]",
        "agreement_grant_token",
        id="in-defaults",
    ),
    pytest.param(
        GOOD + f'token = "{PASTED}"\n', "agreement 1 'Good'", "token", id="in-an-agreement"
    ),
    pytest.param(
        GOOD + f'"X-AgreementGrantToken" = "{PASTED}"\n',
        "agreement 1 'Good'",
        "X-AgreementGrantToken",
        id="as-a-header",
    ),
    pytest.param(
        GOOD + f'app_secret_token = "{PASTED}"\n',
        "agreement 1 'Good'",
        "app_secret_token",
        id="app-secret-token",
    ),
    pytest.param(
        GOOD + f'[agreements.auth]\nsecret = "{PASTED}"\n',
        "agreement 1 'Good'",
        "auth",
        id="in-a-table",
    ),
]


@pytest.mark.parametrize(("text", "where", "key"), TOKEN_KEYS)
def test_a_token_written_in_is_refused_without_its_value(
    text: str, where: str, key: str, tmp_path: Path
) -> None:
    (said,) = problems(write(tmp_path, text))
    assert PASTED not in said
    if key == "auth":  # a table under an unknown key: the key is unknown, nothing is quoted
        assert said == f"{where}: unknown key 'auth'; valid keys: {VALID_AGREEMENT_KEYS}"
        return
    assert said == (
        f"{where}: " * bool(where) + f"{key!r} is a token written into the manifest (the value "
        "is not shown); name the token with grant_token_env (an environment variable) or "
        "grant_token_file (a file holding it) instead"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("grant_token_env", PASTED),
        ("grant_token_env", "test-grant-token-Zr9"),
        ("grant_token_file", PASTED),
        ("entity", PASTED),
        ("mode", PASTED),
        ("base_url", PASTED),
    ],
    ids=["env-identifier-like", "env-with-dashes", "file", "entity", "mode", "base-url"],
)
def test_a_pasted_token_is_never_echoed(key: str, value: str, tmp_path: Path) -> None:
    text = f'[[agreements]]\nname = "A"\n{key} = "{value}"\n'
    text += "" if key.startswith("grant_token") else 'grant_token_env = "G"\n'
    text += 'input = "a"\n'
    said = problems(write(tmp_path, text))
    assert said, said
    assert all(value not in line for line in said), said
    wrong = [line for line in said if f"'{key}'" in line or f"{key} " in line]
    assert len(wrong) == 1 and "not shown" in wrong[0], said


def test_a_variable_s_name_in_grant_token_env_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("GRANT_GOOD", "GRANT_BAGER_2024_PRODUCTION"))
    assert load_manifest(path).agreements[0].grant_token_env == "GRANT_BAGER_2024_PRODUCTION"


def test_the_error_pickles_with_its_problems(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(write(tmp_path, ""))
    again = pickle.loads(pickle.dumps(caught.value))
    assert again.problems == caught.value.problems and str(again) == str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(None, "manifest {path} does not exist", id="missing"),
        pytest.param("agreements = [", "{path} is not valid TOML: ", id="bad-toml"),
    ],
)
def test_an_unreadable_manifest_is_one_line(text: str | None, message: str, tmp_path: Path) -> None:
    path = tmp_path / "manifest.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_manifest(path)
    assert not isinstance(caught.value, ManifestError)
    assert str(caught.value).startswith(message.format(path=path))


def test_a_folder_for_a_manifest_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_manifest(tmp_path)
    assert str(caught.value) == f"cannot read manifest {tmp_path}: Is a directory"
