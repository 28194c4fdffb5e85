"""Transforms: properties over arbitrary text, and the Danish number formats."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.transforms import TRANSFORMS, decimal_comma, transform_column

CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


# str.title() is not idempotent on a few letters whose title case adds a combining mark
# ('ǰ' -> 'J̌'), so it is held to that only on the Latin alphabets customer names use.
IDEMPOTENT = sorted(set(TRANSFORMS) - {"title"})
# The names a Danish customer list holds: ASCII letters, æøå and a few accented letters.
# (Python's str.title is not idempotent on every Latin letter, e.g. dotted capital I.)
LATIN = st.text(alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzæøåéüö ABCÆØÅ-'&.")))


@given(st.lists(CELL, min_size=1, max_size=10), st.sampled_from(IDEMPOTENT))
def test_transforms_are_idempotent(cells: list[str], name: str) -> None:
    once = [TRANSFORMS[name](c) for c in cells]

    assert [TRANSFORMS[name](c) for c in once] == once


@given(st.lists(LATIN, min_size=1, max_size=10))
def test_title_is_idempotent_on_latin_text(cells: list[str]) -> None:
    title = TRANSFORMS["title"]
    once = [title(c) for c in cells]

    assert [title(c) for c in once] == once


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_keep_empty_cells_empty(name: str) -> None:
    assert TRANSFORMS[name]("") == ""


@given(
    st.lists(st.one_of(CELL, st.from_regex(r"[0-9]{0,4}", fullmatch=True)), max_size=8),
    st.sampled_from(sorted(TRANSFORMS)),
)
def test_a_column_transforms_as_its_cells_do(cells: list[str], name: str) -> None:
    assert transform_column(name, list(cells)) == [TRANSFORMS[name](c) for c in cells]


@given(CELL)
def test_fast_paths_agree_with_the_plain_regex(text: str) -> None:
    assert TRANSFORMS["collapse-spaces"](text) == re.sub(r"\s+", " ", text)
    assert TRANSFORMS["digits-only"](text) == re.sub(r"[^0-9]", "", text)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_decimal_comma_reads_danish_numbers(value: Decimal) -> None:
    english = f"{value:,.2f}"  # -1,234,567.50
    danish = english.replace(",", " ").replace(".", ",").replace(" ", ".")  # -1.234.567,50

    assert Decimal(decimal_comma(danish)) == value
    assert Decimal(decimal_comma(english)) == value
    assert decimal_comma(f"{value:.2f}") == f"{value:.2f}"  # already a plain number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,50", "1234.50"),
        ("1234,5", "1234.5"),
        ("1234.50", "1234.50"),
        ("1 234,5", "1234.5"),
        ("1,234.50", "1234.50"),
        ("1.234.567", "1234567"),
        ("1.234", "1.234"),
        ("", ""),
        ("1,234,567", "1234567"),
        ("-7,5", "-7.5"),
    ],
)
def test_decimal_comma_examples(text: str, expected: str) -> None:
    assert decimal_comma(text) == expected
    assert decimal_comma(expected) == expected
