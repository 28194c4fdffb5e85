"""Which property a column header names: the synonym table (``pipeline.mapping.synonyms``) matched
with rapidfuzz, tolerant of case, punctuation, spacing and abbreviations.

Both ``econ-import map`` (``pipeline.draft``) and the importer's "did you mean" hints
(``pipeline.mapping``) ask here, so a header gets the same answer from both.

A header and every synonym are folded to one compact key (``normalise``): camelCase split,
lower case, æ/ø/å and umlauts spelt out, punctuation and spaces gone, ``no``/``number``/
``nummer`` as ``nr``. Equal keys score 100; otherwise rapidfuzz's ``ratio`` (an edit
distance in 0..100) must reach ``MATCH_THRESHOLD``. Keys of three characters or fewer
(``By``, ``PLZ``, ``EAN``) match only exactly: one edit is a third of such a word. A
trailing index (``Adresse 2``) is matched without it, a little lower, so that of two
address columns the first wins.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from pipeline.constraints import ENTITIES

from .synonyms import ABBREVIATIONS, KEY_TERMS, SUFFIXES, SYNONYMS

#: The least rapidfuzz ratio (0..100) at which a header is taken to name a property.
MATCH_THRESHOLD = 85
#: Compact keys this short match only exactly.
SHORTEST_FUZZY = 3

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_E_MAIL = re.compile(r"\be[\s_-]?mail\b")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_INDEX = re.compile(r"(.*[a-z])(\d)")
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue",
                       "ß": "ss"})  # fmt: skip


@dataclass(frozen=True)
class HeaderMatch:
    """A header taken to name ``property``: by which word (``term``), how, how well."""

    property: str
    term: str
    score: int
    how: str  # "synonym", "property name" or "key word"

    def describe(self, header: str) -> str:
        """``header 'Postnr.' ~ zip (synonym 'Postnr', 100)``."""
        return f"header '{header}' ~ {self.property} ({self.how} '{self.term}', {self.score})"


@dataclass(frozen=True)
class _Choice:
    compact: str
    property: str
    term: str
    how: str


def normalise(header: str) -> str:
    """The compact key a header is compared by: ``'Post nr.'`` and ``'POSTNUMMER'`` both
    give ``'postnr'``, ``'CustomerNo'`` gives ``'customernr'``."""
    text = _CAMEL.sub(" ", header).lower().translate(_FOLD).replace("#", " nr ")
    text = unicodedata.normalize("NFKD", _E_MAIL.sub("email", text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = [ABBREVIATIONS.get(w, w) for w in _NOT_WORD.split(text) if w]
    return "".join(_fold_suffix(w) for w in words)


def _fold_suffix(word: str) -> str:
    for suffix, short in SUFFIXES.items():
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)] + short
    return word


def match_header(entity: str, header: str) -> HeaderMatch | None:
    """The property ``header`` most likely names in ``entity``, or None below the threshold."""
    return _best(_choices(entity), header)


def match_key_header(entity: str, header: str) -> HeaderMatch | None:
    """A match when ``header`` reads like a source-system identifier (``Kundekode``, ``ID``)."""
    return _best(_key_choices(entity), header)


def _best(choices: tuple[_Choice, ...], header: str) -> HeaderMatch | None:
    key = normalise(header)
    if not key:
        return None
    found = _lookup(choices, key)
    indexed = _INDEX.fullmatch(key)
    if found is None and indexed:
        found = _lookup(choices, indexed[1])
        if found is not None:  # 'Adresse 1' 97, 'Adresse 2' 94
            found = HeaderMatch(found.property, found.term, found.score - 3 * int(indexed[2]),
                                found.how)  # fmt: skip
    return found


def _lookup(choices: tuple[_Choice, ...], key: str) -> HeaderMatch | None:
    for choice in choices:
        if choice.compact == key:
            return HeaderMatch(choice.property, choice.term, 100, choice.how)
    if len(key) <= SHORTEST_FUZZY:
        return None
    fuzzy = [c for c in choices if len(c.compact) > SHORTEST_FUZZY]
    best = process.extractOne(
        key, [c.compact for c in fuzzy], scorer=fuzz.ratio, score_cutoff=MATCH_THRESHOLD
    )
    if best is None:
        return None
    choice = fuzzy[best[2]]
    return HeaderMatch(choice.property, choice.term, round(best[1]), choice.how)


@functools.cache
def _choices(entity: str) -> tuple[_Choice, ...]:
    """The property paths themselves (``zip``, ``vatZone``), then the synonyms."""
    out = []
    for f in (f for f in ENTITIES[entity].fields if f.on_create):
        names = dict.fromkeys((f.path, f.path.split(".")[0]))
        out += [_Choice(normalise(n), f.path, n, "property name") for n in names]
    out += [
        _Choice(normalise(term), path, term, "synonym")
        for path, terms in SYNONYMS[entity].items()
        for term in terms
    ]
    return tuple(out)


@functools.cache
def _key_choices(entity: str) -> tuple[_Choice, ...]:
    return tuple(_Choice(normalise(t), "key", t, "key word") for t in KEY_TERMS[entity])
