"""The first row of each value across the chunks of one file, in memory that stays small.

``pipeline.validate.Validator`` finds repeated customer numbers and source keys across a
whole file. A dict of every value costs some 100-150 bytes an entry, hundreds of MB at a
million rows; ``FirstSeen`` keeps 12 bytes an entry for numbers and number-like texts
and 20 for other texts, in sorted numpy runs of (key, check, first row), one set of runs
per kind of key:

- a whole number that fits in 64 bits is its own key, exactly (``2``, ``2.0`` and
  ``True`` are one key, as they are one dict key);
- a text of up to 18 ASCII digits without a leading zero (``"100042"``) is its number,
  exactly, in runs of its own (so it never meets the number 100042);
- any other text is keyed by two 64-bit hashes: Python's (SipHash) of the text, and of the
  text behind a NUL. Two different texts would have to agree in both to be taken for one,
  which at a million keys has a chance of about one in 10^26;
- anything else (a huge integer, a float, two texts whose first hashes collide) is kept in
  a plain dict, exactly.

A new chunk's values are looked up in every run with ``searchsorted``; the values seen for
the first time become a new run, and runs are merged like a binary counter (a run joins
the one before it when that one is not larger, up to ``MAX_RUN`` entries), so a chunk is
looked up in a few runs and each entry is copied a few times at most.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

_SALT = "\x00"
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT32_MAX = 2**31 - 1
#: Entries in the largest run: merging stops there (see ``_Runs.add``).
MAX_RUN = 1 << 18

#: Kinds of key, each with its runs; ``EXACT`` values live in a dict.
NUMBER, DIGITS, HASHED, EXACT = 0, 1, 2, -1


def _digests(values: list[object]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, checks, kinds) for ``values`` (see the module docstring)."""
    n = len(values)
    types = set(map(type, values))
    if types <= {str}:
        return _text_digests(values)  # type: ignore[arg-type]
    if types <= {int}:
        numbers: list[int] = values  # type: ignore[assignment]
        if min(numbers) >= _INT64_MIN and max(numbers) <= _INT64_MAX:
            keys = np.fromiter(numbers, dtype=np.int64, count=n)
            return keys, np.zeros(n, dtype=np.int64), np.full(n, NUMBER, dtype=np.int8)
    keys, checks = np.zeros(n, np.int64), np.zeros(n, np.int64)
    kinds = np.full(n, EXACT, dtype=np.int8)
    for i, value in enumerate(values):
        if type(value) is str:
            k, c, kind = _text_digests([value])
            keys[i], checks[i], kinds[i] = k[0], c[0], kind[0]
        elif (whole := _whole_number(value)) is not None:
            keys[i], kinds[i] = whole, NUMBER
    return keys, checks, kinds


def _text_digests(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(texts)
    digits = _number_texts(texts)
    keys = np.zeros(n, dtype=np.int64)
    checks = np.zeros(n, dtype=np.int64)
    if digits.all():
        keys[:] = np.fromiter(map(int, texts), dtype=np.int64, count=n)
    else:
        for i in np.flatnonzero(digits):
            keys[i] = int(texts[i])
        other = np.flatnonzero(~digits)
        rest = [texts[i] for i in other]
        keys[other] = np.fromiter(map(hash, rest), dtype=np.int64, count=len(rest))
        salted = map(hash, map(_SALT.__add__, rest))
        checks[other] = np.fromiter(salted, dtype=np.int64, count=len(rest))
    return keys, checks, np.where(digits, DIGITS, HASHED).astype(np.int8)


def _number_texts(texts: list[str]) -> np.ndarray:
    """``_is_number_text`` of each text; for a column of plain digits, a few C-level passes."""
    n = len(texts)
    joined = "".join(texts)
    if not (joined.isascii() and joined.isdigit()):
        return np.fromiter(map(_is_number_text, texts), dtype=bool, count=n)
    # Every text is ASCII digits or empty.
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    zero_led = np.fromiter(map(str.startswith, texts, itertools.repeat("0")), bool, count=n)
    return (lengths >= 1) & (lengths <= 18) & (~zero_led | (lengths == 1))


def _is_number_text(text: str) -> bool:
    # One text per number: no sign, no leading zero, and within 64 bits.
    return (text.isdigit() and text.isascii() and len(text) <= 18 and text[0] != "0") or text == "0"


def _whole_number(value: object) -> int | None:
    """``value`` as a 64-bit integer when a dict takes it for one (``2``, ``2.0``, ``True``)."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        whole = int(value)
    else:
        return None
    return whole if _INT64_MIN <= whole <= _INT64_MAX else None


@dataclass(frozen=True)
class _Run:
    """Entries sorted by key; ``checks`` is None when every check is 0 (integer keys)."""

    keys: np.ndarray
    checks: np.ndarray | None
    rows: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray, checks: np.ndarray, rows: np.ndarray) -> _Run:
        order = np.argsort(keys, kind="stable")
        narrow = np.int32 if len(rows) and rows.max() <= _INT32_MAX else np.int64
        return cls(
            keys[order],
            checks[order] if checks.any() else None,
            rows[order].astype(narrow, copy=False),
        )

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        extra = 0 if self.checks is None else self.checks.nbytes
        return self.keys.nbytes + self.rows.nbytes + extra

    def all_checks(self) -> np.ndarray:
        return np.zeros(len(self), np.int64) if self.checks is None else self.checks

    def find(
        self, keys: np.ndarray, checks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(where, same, hit): ``where`` into this run, ``hit`` where the keys agree and
        ``same`` where the checks agree too."""
        where = np.searchsorted(self.keys, keys)
        where[where == len(self.keys)] = 0
        hit = self.keys[where] == keys
        run_checks = 0 if self.checks is None else self.checks[where]
        return where, hit & (run_checks == checks), hit

    def merge(self, other: _Run) -> _Run:
        return _Run.of(
            np.concatenate((self.keys, other.keys)),
            np.concatenate((self.all_checks(), other.all_checks())),
            np.concatenate((self.rows, other.rows)).astype(np.int64),
        )


class _Runs:
    """The sorted runs of one kind of key, merged like a binary counter."""

    def __init__(self) -> None:
        self.runs: list[_Run] = []

    def find(self, keys: np.ndarray, checks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first rows, -1 where not found; True where a first hash collides)."""
        found = np.full(len(keys), -1, dtype=np.int64)
        clash = np.zeros(len(keys), dtype=bool)
        for run in self.runs:
            where, same, hit = run.find(keys, checks)
            found[same] = run.rows[where[same]]
            clash |= hit & ~same
        return found, clash

    def add(self, run: _Run) -> None:
        self.runs.append(run)
        # Merge up to MAX_RUN entries: a merge copies both runs, and the copies of bigger
        # ones would outweigh what merging saves in searching.
        while (
            len(self.runs) > 1
            and len(self.runs[-2]) <= len(self.runs[-1])
            and len(self.runs[-2]) + len(self.runs[-1]) <= MAX_RUN
        ):
            last = self.runs.pop()
            self.runs[-1] = self.runs[-1].merge(last)


class FirstSeen:
    """Remembers the first row of every value it is shown (see the module docstring)."""

    def __init__(self) -> None:
        self._kinds = {kind: _Runs() for kind in (NUMBER, DIGITS, HASHED)}
        self._exact: dict[object, int] = {}

    def __len__(self) -> int:
        runs = [run for kind in self._kinds.values() for run in kind.runs]
        return sum(len(run) for run in runs) + len(self._exact)

    @property
    def nbytes(self) -> int:
        """The bytes held in the runs (the dict of exact values aside)."""
        return sum(run.nbytes for kind in self._kinds.values() for run in kind.runs)

    def repeats(
        self, rows: Sequence[int], values: Sequence[object]
    ) -> Iterator[tuple[int, object, int]]:
        """(row, value, first row) for every row whose value an earlier row had.

        ``rows`` must come in file order, chunk after chunk; every value is remembered
        with the row where it first appeared.
        """
        if len(set(values)) == len(values):  # the usual chunk: no value twice in it
            first_of = self._remember(list(values), list(rows))
        else:
            # The first row of each distinct value within this chunk: the dict is built
            # from the end, so an earlier row overwrites a later one.
            firsts = dict(zip(reversed(values), reversed(rows), strict=True))
            distinct = list(firsts)
            first_of = {**firsts, **self._remember(distinct, [firsts[v] for v in distinct])}
        if not first_of:
            return  # nothing repeats
        for row, value in zip(rows, values, strict=True):
            first = first_of.get(value, row)
            if first != row:
                yield row, value, first

    def _remember(self, values: list[object], rows: list[int]) -> dict[object, int]:
        """The first row of each of ``values`` seen in an earlier chunk; keep the rest."""
        keys, checks, kinds = _digests(values)
        found = np.full(len(values), -1, dtype=np.int64)
        loose = kinds == EXACT
        positions = np.asarray(rows, dtype=np.int64)
        for kind, runs in self._kinds.items():
            at = np.flatnonzero(kinds == kind)
            if not len(at):
                continue
            found[at], clash = runs.find(keys[at], checks[at])
            loose[at[clash]] = True  # a first-hash collision: that value goes exact
            new = at[(found[at] < 0) & ~clash]
            # Two new values sharing a first hash: all but the first go exact.
            order = np.argsort(keys[new], kind="stable")
            twin = np.zeros(len(new), dtype=bool)
            twin[order[1:]] = keys[new][order][1:] == keys[new][order][:-1]
            loose[new[twin]] = True
            new = new[~twin]
            if len(new):
                runs.add(_Run.of(keys[new], checks[new], positions[new]))
        earlier = {values[i]: int(found[i]) for i in np.flatnonzero(found >= 0)}
        for i in np.flatnonzero(loose):
            first = self._exact.setdefault(values[i], rows[i])
            if first != rows[i]:
                earlier[values[i]] = first
        return earlier
