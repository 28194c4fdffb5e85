"""The README is the user's manual: every command, every option and the sections that
issues and scripts point people to stay in it (a rewrite once dropped two thirds of it)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pipeline.cli import build_parser

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")

#: Sections other documents and issues refer to by name.
SECTIONS = (
    "How it works",
    "Usage",
    "Exit codes",
    "Input files",
    "Mappings",
    "Drafting a mapping",
    "The report",
    "Resuming, and exactly once",
    "Sandbox",
    "Tests",
    "Benchmarks",
)


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _options() -> list[tuple[str, str]]:
    """(command, its option strings joined by '/'), for every option but --help."""
    return sorted(
        {
            (command, "/".join(action.option_strings))
            for command, sub in _commands().items()
            for action in sub._actions
            if action.option_strings and "--help" not in action.option_strings
        }
    )


@pytest.mark.parametrize("title", SECTIONS)
def test_the_section_is_there(title: str) -> None:
    assert re.search(rf"^#+ {re.escape(title)}$", README, flags=re.MULTILINE), title


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_is_documented(command: str) -> None:
    assert f"econ-import {command}" in README


@pytest.mark.parametrize(("command", "option"), _options())
def test_every_option_is_documented(command: str, option: str) -> None:
    spellings = "|".join(re.escape(o) for o in option.split("/"))
    assert re.search(rf"(?<![\w-])({spellings})(?![\w-])", README), f"{command} {option}"


@pytest.mark.parametrize("code", ["0", "1", "2", "3"])
def test_every_exit_code_is_explained(code: str) -> None:
    exit_codes = README.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    assert re.search(rf"\b{code}\b", exit_codes)
