"""Which property a column header names: the synonym table (``pipeline.mapping.synonyms``)
matched with rapidfuzz, tolerant of case, punctuation, spacing and abbreviations.

Both ``econ-import map`` (``pipeline.draft``) and the importer's "did you mean" hints
(``pipeline.mapping``) ask here, so a header gets the same answer from both.

A header is split into words (``header_words``: at separators, camelCase and digits;
lower case, æ/ø/å and umlauts spelt out; each word through the abbreviations of
``synonyms.toml``, so ``no``/``number``/``nummer``/``NUM`` are ``nr`` and ``NAM`` is
``name``), then joined into one compact key (``normalise``). Equal keys score 100;
otherwise rapidfuzz's ``ratio`` (an edit distance in 0..100) must reach
``MATCH_THRESHOLD``. Keys of three characters or fewer (``By``, ``PLZ``, ``EAN``) match
only exactly: one edit is a third of such a word. Then, a little lower each:

- a trailing index (``Adresse 2``, ``EMAIL_01``) is matched without it, so that of two
  address columns the first wins;
- the last words alone, when the leading ones say nothing the table knows
  (``Rech Name``, ``Bestätigung E-Mail``): in compounds the head word comes last. A
  generic word alone (``nr``, ``code``, ``id``: ``[generic]``) never counts, so ``Fax
  No`` is not the customer number;
- a header without the prefix most of a file's headers share (``shared_prefix``: the
  ``KU`` of ``KU_NUM``, ``KU_RECH_NAM``, ``KU_RECH_PLZ``), which the drafter passes in.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from pipeline.constraints import ENTITIES

from .synonyms import ABBREVIATIONS, GENERIC_WORDS, KEY_TERMS, SUFFIXES, SYNONYMS

#: The least rapidfuzz ratio (0..100) at which a header is taken to name a property.
MATCH_THRESHOLD = 85
#: Compact keys this short match only exactly.
SHORTEST_FUZZY = 3
#: What a trailing index costs, per unit (at most ``MAX_INDEX``), and each leading word
#: dropped to match the last words alone.
INDEX_COST = 3
MAX_INDEX = 9
DROPPED_WORD_COST = 5
#: A prefix is shared when more than this share of at least ``PREFIX_MIN_HEADERS``
#: headers start with it.
PREFIX_SHARE = 0.5
PREFIX_MIN_HEADERS = 3

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGIT_EDGE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_E_MAIL = re.compile(r"\be[\s_-]?mail\b")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
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


def header_words(header: str) -> list[str]:
    """A header as folded words: ``'KU_RECH_NAM'`` -> ``['ku', 'rech', 'name']``,
    ``'CustomerNo'`` -> ``['customer', 'nr']``, ``'Phone1'`` -> ``['phone', '1']``."""
    text = _CAMEL.sub(" ", header).lower().translate(_FOLD).replace("#", " nr ")
    text = unicodedata.normalize("NFKD", _E_MAIL.sub("email", text))
    text = _DIGIT_EDGE.sub(" ", "".join(c for c in text if not unicodedata.combining(c)))
    return [ABBREVIATIONS.get(w, w) for w in _NOT_WORD.split(text) if w]


def normalise(header: str) -> str:
    """The compact key a header is compared by: ``'Post nr.'`` and ``'POSTNUMMER'`` both
    give ``'postnr'``, ``'CustomerNo'`` gives ``'customernr'``."""
    return _compact(header_words(header))


def _compact(words: Sequence[str]) -> str:
    return "".join(_fold_suffix(w) for w in words)


def _fold_suffix(word: str) -> str:
    for suffix, short in SUFFIXES.items():
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)] + short
    return word


def shared_prefix(headers: Sequence[str]) -> str | None:
    """The first word that most of ``headers`` start with and go on after (``ku`` of
    ``KU_NUM``, ``KU_RECH_NAM``…): a table's name, not a word of the column's."""
    firsts = Counter(w[0] for w in map(header_words, headers) if len(w) > 1)
    if len(headers) < PREFIX_MIN_HEADERS or not firsts:
        return None
    word, count = firsts.most_common(1)[0]
    return word if count > PREFIX_SHARE * len(headers) and not word.isdigit() else None


def match_header(entity: str, header: str, *, prefix: str | None = None) -> HeaderMatch | None:
    """The property ``header`` most likely names in ``entity``, or None below the threshold;
    ``prefix`` (``shared_prefix`` of the file's headers) may be dropped from its front."""
    return _best(_choices(entity), header_words(header), prefix=prefix, head_words=True)


def match_key_header(entity: str, header: str, *, prefix: str | None = None) -> HeaderMatch | None:
    """A match when ``header`` reads like a source-system identifier (``Kundekode``, ``ID``)."""
    return _best(_key_choices(entity), header_words(header), prefix=prefix, head_words=False)


def _best(
    choices: tuple[_Choice, ...], words: list[str], *, prefix: str | None, head_words: bool
) -> HeaderMatch | None:
    variants = [words]
    if prefix is not None and len(words) > 1 and words[0] == prefix:
        variants.append(words[1:])
    found = [m for m in (_match_words(choices, v, head_words) for v in variants) if m]
    return max(found, key=lambda m: m.score) if found else None  # the first of equals


def _match_words(
    choices: tuple[_Choice, ...], words: list[str], head_words: bool
) -> HeaderMatch | None:
    if not words:
        return None
    found = _lookup(choices, _compact(words))
    if found is not None:
        return found
    cost, base = 0, list(words)
    while base and base[-1].isdigit():
        cost = INDEX_COST * min(int(base.pop()), MAX_INDEX)  # 'Adresse 1' 97, 'Adresse 2' 94
    if cost and base:
        found = _lookup(choices, _compact(base))
        if found is not None:
            return replace(found, score=found.score - cost)
    for dropped in range(1, len(base) if head_words else 0):
        rest = base[dropped:]
        if all(w in GENERIC_WORDS or w.isdigit() for w in rest):
            break  # the shorter tails are generic too
        found = _lookup(choices, _compact(rest))
        if found is not None:
            return replace(found, score=found.score - cost - DROPPED_WORD_COST * dropped)
    return None


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
