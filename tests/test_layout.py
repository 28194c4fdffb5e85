"""The package shows the flow (issue #10): stage packages, one-way imports, a fast CLI.

These read the source with ``ast`` (and run the CLI once), so a change that climbs back up
the flow, reaches into another stage's private module or makes ``--help`` load pandas
fails here with the file and line to look at.
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
STAGES = ("read", "mapping", "validate", "api", "state", "write", "report", "draft", "run")
#: What every stage shares: the exception tree, the redactor and the constraints table.
SHARED = ("errors", "redact", "constraints")
#: The entry points, which may use every stage.
ENTRY = ("cli", "__main__")
MAX_LINES = 400
HEAVY = ("pandas", "pandera", "aiohttp", "numpy", "altair", "vl_convert")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def unit_of(path: Path) -> str:
    """The stage, shared module or entry point a file belongs to."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(line, module, names)`` for every absolute import of ``pipeline``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "pipeline":
                found.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "pipeline":
                    found.append((node.lineno, alias.name, []))
    return found


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
        return {*STAGES[: STAGES.index(unit)], *SHARED}
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


def test_data_flows_one_way_and_only_through_public_names() -> None:
    wrong = []
    for path in modules():
        unit = unit_of(path)
        where = path.relative_to(PACKAGE)
        for line, module, names in imports(path):
            parts = module.split(".")
            target = parts[1] if len(parts) > 1 else "__init__"
            if target == unit:
                if unit not in ENTRY and unit != "sandbox":
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
    assert wrong == []


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
