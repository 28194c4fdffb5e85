"""The package shows the flow (issue #10): stage packages, one-way imports, a fast CLI.

These read the source with ``ast``, relative imports resolved (and run the CLI once), so a
change that climbs back up the flow, reaches into another stage's private module or makes
``--help`` load pandas fails here with the file and line to look at.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"

#: The stages in the order the data goes through them; a stage may import only from the
#: stages before it and from the shared modules.
STAGES = (
    "read", "mapping", "validate", "api", "state", "write", "report", "draft", "run", "fleet",
)  # fmt: skip
#: The stages that may start the embedded sandbox (``pipeline.run.connect``).
SANDBOX_USERS = ("run", "fleet")
#: What every stage shares: the exception tree, the redactor and the constraints table.
SHARED = ("errors", "redact", "constraints")
#: The entry points, which may use every stage.
ENTRY = ("cli", "cli_parts", "__main__")
MAX_LINES = 400
HEAVY = ("pandas", "pandera", "aiohttp", "numpy", "altair", "vl_convert")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def unit_of(path: Path) -> str:
    """The stage, shared module or entry point a file belongs to."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def module_name(path: Path) -> tuple[str, bool]:
    """``("pipeline.run.console", False)``: a file's dotted name, and whether it is a
    package's ``__init__`` (relative imports count from the package itself then)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _resolve(node: ast.ImportFrom, *, module: str, is_package: bool) -> str | None:
    """The absolute module a ``from`` import names; ``None`` past the top of the tree."""
    if node.level == 0:
        return node.module
    package = module.split(".") if is_package else module.split(".")[:-1]
    if node.level - 1 >= len(package):
        return None
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(
    source: str, *, module: str, is_package: bool = False
) -> list[tuple[int, str, list[str], bool]]:
    """``(line, module, names, relative)`` for every import of ``pipeline`` in ``source``,
    the file ``module``: relative imports resolved (``from ..write import x`` in
    ``pipeline.api.client`` is ``pipeline.write``), and ``from pipeline import api`` or
    ``from .. import api`` read as an import of the module ``pipeline.api``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            target = _resolve(node, module=module, is_package=is_package)
            relative = node.level > 0
            if target is None:
                found.append((node.lineno, "." * node.level + (node.module or ""), [], True))
                continue
            if target.split(".")[0] != "pipeline":
                continue
            names = [a.name for a in node.names]
            # From the top, a name is a unit (``from .. import write``); deeper, a name is
            # checked against what the package offers, submodule or not.
            top = target == "pipeline"
            submodules = [n for n in names if top and _is_module(f"{target}.{n}")]
            for name in submodules:
                found.append((node.lineno, f"{target}.{name}", [], relative))
            if rest := [n for n in names if n not in submodules]:
                found.append((node.lineno, target, rest, relative))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "pipeline":
                    found.append((node.lineno, alias.name, [], False))
    return found


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def public_names(package: str) -> set[str]:
    """What a package's ``__init__.pyi`` offers the other stages."""
    stub = PACKAGE / package / "__init__.pyi"
    names = set()
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def allowed(unit: str) -> set[str]:
    """The units ``unit`` may import from."""
    if unit in ENTRY or unit == "__init__":
        return {*STAGES, *SHARED, *ENTRY, "sandbox", "__init__"}
    if unit in STAGES:
        earlier = {*STAGES[: STAGES.index(unit)], *SHARED}
        # From the run on, a stage may start the embedded sandbox (``--sandbox``), the
        # API's stand-in that needs only the shared modules.
        return earlier | {"sandbox"} if unit in SANDBOX_USERS else earlier
    if unit == "constraints":
        return {"errors"}
    if unit == "sandbox":
        return {*SHARED}
    return set()  # errors, redact: the standard library only


def test_the_top_holds_the_entry_points_and_at_most_four_shared_modules() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert len(top) <= 4, sorted(top)
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == {*STAGES, "constraints", "sandbox"}


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def check_imports(
    where: str, unit: str, found: list[tuple[int, str, list[str], bool]]
) -> list[str]:
    """What is wrong with the imports ``found`` in file ``where`` of ``unit``."""
    wrong = []
    for line, module, names, relative in found:
        parts = module.split(".")
        if parts[0] != "pipeline":
            wrong.append(f"{where}:{line}: {module} climbs past the top of the package")
            continue
        target = parts[1] if len(parts) > 1 else "__init__"
        if target == unit:
            if not relative and unit not in ENTRY and unit != "sandbox":
                wrong.append(f"{where}:{line}: use a relative import inside {unit}")
            continue
        if target not in allowed(unit):
            wrong.append(f"{where}:{line}: {unit} must not import {module} (later stage)")
        elif len(parts) > 2 and (PACKAGE / target / "__init__.pyi").exists():
            wrong.append(f"{where}:{line}: {module} is private to {target}")
        elif (PACKAGE / target / "__init__.pyi").exists():
            private = sorted(set(names) - public_names(target))
            if private:
                wrong.append(f"{where}:{line}: {target} does not offer {private}")
    return wrong


def test_data_flows_one_way_and_only_through_public_names() -> None:
    wrong = []
    for path in modules():
        module, is_package = module_name(path)
        source = path.read_text(encoding="utf-8")
        found = imports(source, module=module, is_package=is_package)
        wrong += check_imports(str(path.relative_to(PACKAGE)), unit_of(path), found)
    assert wrong == []


#: Imports planted in a file of ``api`` (``pipeline/api/client.py``), and what the check
#: says of each: relative imports are resolved before the rules apply.
PLANTED = [
    ("from ..write import run_writes", ["write (later stage)"]),
    ("from ..run.console import plan_lines", ["run.console (later stage)"]),
    ("from .. import write", ["pipeline.write (later stage)"]),
    ("from ..read.readers import open_table", ["pipeline.read.readers is private to read"]),
    ("from ..read import not_offered", ["read does not offer ['not_offered']"]),
    ("from ..read import readers", ["read does not offer ['readers']"]),
    ("from ...elsewhere import x", ["climbs past the top"]),
    ("from pipeline.api.retry import RetryPolicy", ["use a relative import inside api"]),
    ("from ..read import open_table", []),
    ("from .. import errors", []),
    ("from ..errors import ConfigError", []),
    ("from .retry import RetryPolicy", []),
]


@pytest.mark.parametrize(("line", "said"), PLANTED, ids=[line for line, _ in PLANTED])
def test_the_import_check_resolves_relative_imports(line: str, said: list[str]) -> None:
    found = imports(line + "\n", module="pipeline.api.client")
    wrong = check_imports("api/client.py", "api", found)
    assert len(wrong) == len(said), wrong
    for message, part in zip(wrong, said, strict=True):
        assert message.startswith("api/client.py:1: ") and part in message, message


def test_relative_imports_in_a_package_init_count_from_the_package() -> None:
    found = imports("from .. import run\nfrom .client import x\n", module="pipeline.api",
                    is_package=True)  # fmt: skip
    assert [(m, r) for _, m, _, r in found] == [
        ("pipeline.run", True),
        ("pipeline.api.client", True),
    ]
    wrong = check_imports("api/__init__.py", "api", found)
    assert len(wrong) == 1 and "api must not import pipeline.run (later stage)" in wrong[0]


@pytest.mark.parametrize("package", [*STAGES, "constraints", "sandbox"])
def test_each_package_says_what_it_takes_in_and_gives_out(package: str) -> None:
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    assert doc, f"pipeline/{package}/__init__.py has no docstring"
    if package in STAGES:
        assert "Takes in" in doc and "Gives out" in doc, package
    if package != "sandbox":  # the docstring names exactly what the stub offers
        offered = doc.split("Other stages use only these names")[-1]
        assert set(re.findall(r"``(\w+)``", offered)) == public_names(package), package
    module = importlib.import_module(f"pipeline.{package}")
    for name in public_names(package):  # every public name is real, and loads
        getattr(module, name)


@pytest.mark.parametrize("arguments", [["--version"], ["--help"], ["import", "--help"]])
def test_the_cli_answers_help_and_version_without_the_heavy_libraries(
    arguments: list[str],
) -> None:
    probe = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "try:\n"
        f"    main({arguments!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
