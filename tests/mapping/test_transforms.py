"""Transforms: properties over arbitrary text, and the Danish number formats."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.mapping.transforms import (
    TRANSFORMS,
    TransformError,
    transform_cells,
    transform_column,
)

CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


# str.title() is not idempotent on a few letters whose title case adds a combining mark
# ('ǰ' -> 'J̌'), so it is held to that only on the Latin alphabets customer names use.
# The number transforms refuse text outside their convention (and '12,5' -> '12.5' is not
# decimal-comma any more): they are held to reading numbers exactly, below.
NUMBERS = {"decimal-comma", "decimal-point"}
IDEMPOTENT = sorted(set(TRANSFORMS) - {"title"} - NUMBERS)
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
    st.sampled_from(sorted(set(TRANSFORMS) - NUMBERS)),
)
def test_a_column_transforms_as_its_cells_do(cells: list[str], name: str) -> None:
    assert transform_column(name, list(cells)) == [TRANSFORMS[name](c) for c in cells]


@given(CELL)
def test_fast_paths_agree_with_the_plain_regex(text: str) -> None:
    assert TRANSFORMS["collapse-spaces"](text) == re.sub(r"\s+", " ", text)
    assert TRANSFORMS["digits-only"](text) == re.sub(r"[^0-9]", "", text)


# --- numbers: decimal-comma and decimal-point ---------------------------------------------

CONVENTIONS = {"decimal-comma": (",", ". \xa0"), "decimal-point": (".", ", \xa0")}
OTHER = {"decimal-comma": "decimal-point", "decimal-point": "decimal-comma"}


@st.composite
def written_number(draw: st.DrawFn, name: str, *, grouped: bool | None = None) -> tuple[str, str]:
    """A number as ``name`` writes it, and its exact value as plain text (Decimal syntax)."""
    mark, separators = CONVENTIONS[name]
    sign = draw(st.sampled_from(["", "-", "+"]))
    whole = draw(st.integers(min_value=0, max_value=10**15))
    decimals = draw(st.text(alphabet="0123456789", max_size=6))
    group = draw(st.booleans()) if grouped is None else grouped
    digits = str(whole)
    if group:
        separator = draw(st.sampled_from(separators))
        digits = f"{whole:,}".replace(",", separator)
    text = f"{sign}{digits}" + (f"{mark}{decimals}" if decimals else "")
    value = f"{sign}{whole}" + (f".{decimals}" if decimals else "")
    return text, value


def in_convention(text: str, name: str) -> bool:
    """An oracle without regexes: is ``text`` a number ``name`` reads?"""
    mark, separators = CONVENTIONS[name]
    body = text.strip()
    body = body[1:] if body[:1] in ("-", "+") else body
    whole, has_mark, decimals = body.partition(mark)
    if has_mark and not (decimals.isdigit() and decimals.isascii()):
        return False
    used = {c for c in whole if not c.isdigit()}
    if not used:
        return whole.isdigit() and whole.isascii()
    if len(used) > 1 or not used <= set(separators):
        return False
    groups = whole.split(used.pop())
    sizes_ok = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    return sizes_ok and all(g.isdigit() for g in groups)


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
@given(data=st.data())
def test_every_number_of_a_convention_reads_back_exactly(name: str, data: st.DataObject) -> None:
    text, value = data.draw(written_number(name))

    read = TRANSFORMS[name](text)

    assert Decimal(read) == Decimal(value)
    assert read == value  # not only equal: the digits as written, decimals kept


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
@given(
    sign=st.sampled_from(["", "-", "+"]),
    whole=st.integers(min_value=1000, max_value=10**15),
    decimals=st.text(alphabet="0123456789", min_size=1, max_size=6),
)
def test_the_other_conventions_grouped_decimals_are_refused(
    name: str, sign: str, whole: int, decimals: str
) -> None:
    # '1,234.5' for decimal-comma, '1.234,5' for decimal-point: the ambiguous reading of
    # the one as the other, which must never be guessed at.
    mark = CONVENTIONS[OTHER[name]][0]
    text = f"{sign}{whole:,}".replace(",", CONVENTIONS[name][0]) + mark + decimals

    with pytest.raises(TransformError, match=name):
        TRANSFORMS[name](text)


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
@given(st.text(alphabet="0123456789.,- \xa0+", max_size=14))
def test_a_string_is_read_exactly_when_it_is_in_the_convention(name: str, text: str) -> None:
    if not text.strip():
        assert TRANSFORMS[name](text) == text
        return
    if in_convention(text, name):
        assert Decimal(TRANSFORMS[name](text)) == Decimal(_plain(text.strip(), *CONVENTIONS[name]))
    else:
        with pytest.raises(TransformError, match=f"'{re.escape(text)}' is not a {name} number"):
            TRANSFORMS[name](text)


def _plain(text: str, mark: str, separators: str) -> str:
    for separator in separators:
        text = text.replace(separator, "")
    return text.replace(mark, ".")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("decimal-comma", "5.000", "5000"),
        ("decimal-comma", "1.234.567,89", "1234567.89"),
        ("decimal-comma", "12,5", "12.5"),
        ("decimal-comma", "-1.500,25", "-1500.25"),
        ("decimal-comma", "1 234,5", "1234.5"),
        ("decimal-comma", "1\xa0234\xa0567,5", "1234567.5"),
        ("decimal-comma", " 1.234 ", "1234"),
        ("decimal-comma", "1234", "1234"),
        ("decimal-comma", "", ""),
        ("decimal-point", "1,234.50", "1234.50"),
        ("decimal-point", "5,000", "5000"),
        ("decimal-point", "1.234", "1.234"),
        ("decimal-point", "-7.5", "-7.5"),
        ("decimal-point", "1 234 567.5", "1234567.5"),
    ],
)
def test_number_examples(name: str, text: str, expected: str) -> None:
    assert TRANSFORMS[name](text) == expected


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("decimal-comma", "5.00"),
        ("decimal-comma", "1,234.50"),
        ("decimal-comma", "12,345,6"),
        ("decimal-comma", "1.234 567"),  # two different separators
        ("decimal-comma", "12,"),
        ("decimal-comma", "1.23.456"),
        ("decimal-comma", "abc"),
        ("decimal-point", "1.234,50"),
        ("decimal-point", "1,23"),
        ("decimal-point", "1.2.3"),
    ],
)
def test_numbers_outside_the_convention_are_refused(name: str, text: str) -> None:
    with pytest.raises(TransformError) as refused:
        TRANSFORMS[name](text)

    assert str(refused.value).startswith(f"'{text}' is not a {name} number: the decimal mark")


def test_a_column_names_every_refused_cell() -> None:
    cells, refused = transform_cells("decimal-comma", ["5.000", "5.00", "", "12,5", "1,234.50"])

    assert cells == ["5000", "5.00", "", "12.5", "1,234.50"]  # a refused cell keeps its text
    assert sorted(refused) == [1, 4]
    assert "'5.00' is not a decimal-comma number" in refused[1]
