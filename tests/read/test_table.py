"""Table helpers: chunk records exactly as pandas would give them."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from pipeline.read import frame_records

NAMES = st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=5, unique=True)


@given(NAMES.flatmap(lambda names: st.tuples(
    st.just(names),
    st.lists(st.lists(st.text(max_size=5), min_size=len(names), max_size=len(names)),
             max_size=20),
)))  # fmt: skip
def test_frame_records_is_to_dict_records(table: tuple[list[str], list[list[str]]]) -> None:
    names, rows = table
    frame = pd.DataFrame(rows, columns=names, index=range(2, 2 + len(rows)), dtype=str)

    assert frame_records(frame) == frame.to_dict("records")
