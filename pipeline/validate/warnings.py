"""Warnings: values the API accepts but that are probably wrong. They never stop a row.

- customers ``email``: not e-mail addresses separated by spaces (spec/001, customers
  ``email``: "you can specify multiple email addresses in this field, separated by a
  space"); contacts ``email``: not one e-mail address;
- customers ``currency``: not an ISO 4217 code (the API only checks its length, 3);
- customers ``corporateIdentificationNumber`` when ``country`` is Denmark: not 8 digits
  (a CVR number has 8).

A cell that already has an error gets no warning on top.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.constraints import Entity
from pipeline.errors import RowError

#: Active ISO 4217 codes (list one, 2025), less XTS (testing) and XXX (no currency).
_ISO_4217_TEXT = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW
    ZWG
"""
ISO_4217 = frozenset(_ISO_4217_TEXT.split())

WARN_EMAIL = "W001"
WARN_CURRENCY = "W002"
WARN_CVR = "W003"

_ADDRESS = r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+"
_ONE_ADDRESS = re.compile(rf"\s*{_ADDRESS}\s*")
_ADDRESSES = re.compile(rf"\s*{_ADDRESS}(?:\s+{_ADDRESS})*\s*")
_DENMARK = frozenset({"denmark", "danmark", "dk"})
_CVR = re.compile(r"\s*\d{8}\s*", re.ASCII)

#: (chunk, positions of the rule's filled cells) -> True where a cell deserves a warning.
Mask = Callable[[pd.DataFrame, np.ndarray], np.ndarray]


def _texts(chunk: pd.DataFrame, path: str, at: np.ndarray) -> np.ndarray:
    return chunk[path].to_numpy(dtype=object)[at]


def _not_matching(path: str, pattern: re.Pattern[str]) -> Mask:
    """Cells of ``path`` that ``pattern`` does not match as a whole."""
    fullmatch = pattern.fullmatch

    def suspect(chunk: pd.DataFrame, at: np.ndarray) -> np.ndarray:
        texts = _texts(chunk, path, at)
        return np.fromiter((fullmatch(t) is None for t in texts), dtype=bool, count=len(texts))

    return suspect


def _not_in(path: str, allowed: frozenset[str]) -> Mask:
    """Cells of ``path`` that are none of ``allowed``."""
    return lambda chunk, at: ~chunk[path].isin(allowed).to_numpy(dtype=bool)[at]


def _not_danish_cvr(chunk: pd.DataFrame, at: np.ndarray) -> np.ndarray:
    suspect = np.zeros(len(at), dtype=bool)
    if "country" not in chunk.columns:
        return suspect
    countries = chunk["country"]
    # Few distinct countries: test each once, then match the column against the Danish ones.
    danish = {c for c in pd.unique(countries) if str(c).strip().casefold() in _DENMARK}
    where = np.flatnonzero(countries.isin(danish).to_numpy(dtype=bool)[at])
    texts = _texts(chunk, "corporateIdentificationNumber", at[where])
    suspect[where] = [_CVR.fullmatch(t) is None for t in texts]
    return suspect


@dataclass(frozen=True)
class _WarningRule:
    entity: str
    path: str
    code: str
    suspect: Mask  # True where the (non-empty) cell deserves a warning
    message: Callable[[str], str]


_WARNING_RULES = (
    _WarningRule(
        "customers", "email", WARN_EMAIL,
        _not_matching("email", _ADDRESSES),
        lambda t: f"'{t}' does not look like e-mail addresses separated by spaces",
    ),
    _WarningRule(
        "contacts", "email", WARN_EMAIL,
        _not_matching("email", _ONE_ADDRESS),
        lambda t: f"'{t}' does not look like an e-mail address",
    ),
    _WarningRule(
        "customers", "currency", WARN_CURRENCY,
        _not_in("currency", ISO_4217),
        lambda t: f"'{t}' is not an ISO 4217 currency code (such as DKK or EUR)",
    ),
    _WarningRule(
        "customers", "corporateIdentificationNumber", WARN_CVR,
        _not_danish_cvr,
        lambda t: f"a Danish CVR number has 8 digits, got '{t}'",
    ),
)  # fmt: skip


def find_warnings(
    entity: Entity, chunk: pd.DataFrame, *, skip: set[tuple[int, str]]
) -> dict[int, list[RowError]]:
    """Warnings per row for ``chunk``; cells in ``skip`` (row, path) already have errors."""
    out: dict[int, list[RowError]] = {}
    for rule in _WARNING_RULES:
        if rule.entity != entity.name or rule.path not in chunk.columns:
            continue
        cells = chunk[rule.path]
        filled = cells.to_numpy(dtype=object) != ""
        if cells.hasnans:  # missing cells get no warning (nor, from pandera, an error)
            filled &= cells.notna().to_numpy(dtype=bool)
        at = np.flatnonzero(filled)
        at = at[rule.suspect(chunk, at)]
        flagged = cells.iloc[at]
        for row, text in zip(flagged.index.tolist(), flagged.tolist(), strict=True):
            if (row, rule.path) not in skip:
                warning = RowError(row, rule.path, rule.code, rule.message(text), text)
                out.setdefault(row, []).append(warning)
    return dict(sorted(out.items()))
