"""FirstSeen: the first row of every value across chunks, as a plain dict would say."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.validate.first_seen import FirstSeen

VALUES = st.one_of(
    st.text(max_size=4),
    st.from_regex(r"[0+-]?[0-9]{1,3}", fullmatch=True),  # "12" is not 12, nor "012"
    st.integers(min_value=-5, max_value=30),
    st.integers(min_value=2**63 - 3, max_value=2**64),  # past int64: kept exactly
    st.sampled_from([1.5, 2.0, True, None]),
)


def dict_repeats(chunks: list[list[object]]) -> list[tuple[int, object, int]]:
    """The reference: one dict of every value ever seen."""
    first: dict[object, int] = {}
    out = []
    row = 2
    for chunk in chunks:
        for value in chunk:
            seen = first.setdefault(value, row)
            if seen != row:
                out.append((row, value, seen))
            row += 1
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(VALUES, max_size=12), max_size=12))
def test_repeats_agree_with_a_dict(chunks: list[list[object]]) -> None:
    seen = FirstSeen()
    got = []
    row = 2
    for chunk in chunks:
        rows = list(range(row, row + len(chunk)))
        got += list(seen.repeats(rows, chunk))
        row += len(chunk)

    assert got == dict_repeats(chunks)
    assert len(seen) == len({v for chunk in chunks for v in chunk})


# Chunks of digits only take a column-wide fast path: leading zeros, "0", blanks, and
# texts too long for 64 bits must still be told apart exactly.
DIGIT_TEXTS = st.one_of(
    st.from_regex(r"0{0,2}[0-9]{0,3}", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{16,19}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(DIGIT_TEXTS, max_size=12), max_size=8))
def test_repeats_of_digit_texts_agree_with_a_dict(chunks: list[list[object]]) -> None:
    seen = FirstSeen()
    got = []
    row = 2
    for chunk in chunks:
        got += list(seen.repeats(list(range(row, row + len(chunk))), chunk))
        row += len(chunk)

    assert got == dict_repeats(chunks)


def test_texts_take_twenty_bytes_and_numbers_twelve() -> None:
    seen = FirstSeen()
    for start in range(0, 200_000, 5000):
        keys = [f"K-{n:07d}" for n in range(start, start + 5000)]
        assert list(seen.repeats(list(range(start, start + 5000)), keys)) == []
    assert seen.nbytes == 20 * 200_000  # two 64-bit hashes and a 32-bit row
    assert list(seen.repeats([300_000], ["K-0000042"])) == [(300_000, "K-0000042", 42)]

    numbers = FirstSeen()
    assert list(numbers.repeats(list(range(2, 50_002)), list(range(50_000)))) == []
    assert numbers.nbytes == 12 * 50_000

    number_texts = FirstSeen()  # source keys such as "100042" are stored as numbers too
    texts = [str(n) for n in range(100_000, 150_000)]
    assert list(number_texts.repeats(list(range(2, 50_002)), texts)) == []
    assert number_texts.nbytes == 12 * 50_000
    assert list(number_texts.repeats([60_000, 60_001], ["0100000", "100000"])) == [
        (60_001, "100000", 2)
    ]
