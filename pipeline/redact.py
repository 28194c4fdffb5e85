"""Make text safe to write: secrets masked, spreadsheet formulas defused.

The API tokens "must never appear in logs, reports, journals or error messages"
(reference/API-FACTS.md, "Base URL and authentication"). A ``Redactor`` knows the
secrets of one run and replaces each occurrence with ``***``; the report writer passes
every text cell through it, and ``RedactingFilter`` does the same for log records.

A report cell must never run as a formula when opened in a spreadsheet (OWASP, "CSV
Injection"): ``neutralise`` prefixes text starting with ``= + - @``, tab or carriage
return with ``'``, and ``unneutralise`` undoes exactly that, so that an errors.csv that was
fixed by hand imports the original text again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence

MASK = "***"

#: Leading characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


_SUSPECT_FIRST = frozenset((*FORMULA_START, QUOTE))


def _formula_like(text: str) -> bool:
    # Leading quotes are skipped so that text which already starts with a quote before a
    # formula character is quoted once more: that keeps ``unneutralise`` exact.
    if text[:1] not in _SUSPECT_FIRST:  # the common case, decided by one lookup
        return False
    return text.lstrip(QUOTE).startswith(FORMULA_START)


def neutralise(text: str) -> str:
    """``text`` with a ``'`` in front when a spreadsheet could run it as a formula."""
    return QUOTE + text if _formula_like(text) else text


def unneutralise(text: str) -> str:
    """The inverse of ``neutralise``: ``unneutralise(neutralise(t)) == t`` for every t.

    For reading back a report's CSV (errors.csv): drops one leading ``'`` when what
    follows, past any further quotes, starts with ``= + - @``, tab or carriage return.
    """
    return text[1:] if text.startswith(QUOTE) and _formula_like(text) else text


#: Shorter "secrets" are not masked: every real e-conomic token is far longer, the public
#: demo token ("demo") is no secret, and masking a one-letter value would garble every
#: message and report cell that happens to contain that letter.
MIN_SECRET_LENGTH = 6


class Redactor:
    """Replaces every occurrence of any of ``secrets`` in a text with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        kept = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        self._secrets = tuple(sorted(kept, key=len, reverse=True))
        alternatives = "|".join(re.escape(s) for s in self._secrets)
        self._pattern = re.compile(alternatives) if self._secrets else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def redact(self, text: str) -> str:
        """``text`` with each secret replaced by ``***``."""
        # ``in`` is far cheaper than a regex search, and reports pass millions of cells.
        if self._pattern is None or not any(s in text for s in self._secrets):
            return text
        return self._pattern.sub(MASK, text)

    def redact_all(self, texts: Sequence[str]) -> list[str]:
        """Each of ``texts`` redacted; one search over them all when none holds a secret."""
        if self._pattern is not None:
            joined = "\x00".join(texts)
            if any(s in joined for s in self._secrets):
                return [self.redact(text) for text in texts]
        return list(texts)

    def redact_value(self, value: object) -> object:
        """``value`` with every string inside it (dicts, lists, tuples) redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return self.redact_mapping(value)
        if isinstance(value, (list, tuple)):
            return [self.redact_value(item) for item in value]
        return value

    def redact_mapping(self, mapping: Mapping[str, object]) -> dict[str, object]:
        """A copy of ``mapping`` with its keys and every string value redacted."""
        return {self.redact(str(k)): self.redact_value(v) for k, v in mapping.items()}


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the message, its arguments and traceback.

    Attach it to handlers (``install_log_filter``): a filter on a logger does not see
    records propagated from its child loggers.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place so that no secret survives formatting; keep it."""
        record.msg = self.redactor.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True


def install_log_filter(
    redactor: Redactor, *, logger: logging.Logger | None = None
) -> RedactingFilter:
    """Add a ``RedactingFilter`` to every handler of ``logger`` (default: the root)."""
    redacting = RedactingFilter(redactor)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(redacting)
    return redacting
