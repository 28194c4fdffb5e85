"""Header words people use for each property: the data behind ``econ-import map``.

The words themselves are data, in ``synonyms.toml`` beside this module (one table per
entity, property path -> words; ``[keys]``: words for a source-system id column;
``[abbreviations]``, ``[suffixes]`` and ``[generic]``: how header words are read);
``pipeline.mapping.headers`` matches a header against them. Case, punctuation, spacing,
æ/ø/å and umlauts, and ``no``/``nr``/``number``/``nummer`` are folded, so one spelling
of a word is enough. To teach the drafter a new header, add the word to its property in
the TOML file (tests check every path is a property).

Where the words come from:

- e-conomic's own Danish labels in its web interface (Kundenr., Navn, Postnr., By, Land,
  CVR-nr., EAN-nr., Kundegruppe, Betalingsbetingelse, Momszone, Kreditmax, Spærret,
  Sælger, Layout, Leveringsbetingelser) and the meaning of each property in
  ``../shared/spec/001_b22641f37298d6ff.txt`` (corporateIdentificationNumber: "For
  example CVR in Denmark"; vatNumber: "Not to be mistaken for the danish CVR number";
  pNumber: "production unit (p-nummer)"; sortKey: "the delivery location number
  displayed in the e-conomic web interface");
- the project's samples and mappings (``samples/``, ``mappings/``);
- the column names of common ERP and CRM exports: Danish C5 and Navision/Dynamics NAV
  (Konto, Debitornr., Debitorgruppe, Telefax), Dynamics 365 / SAP / DATEV in German
  (Kundennummer, Name 1, Straße, PLZ, Ort, USt-IdNr., Zahlungsbedingung, Kreditlimit,
  Gesperrt), Swedish and Norwegian (Kundnummer, Postnummer, Ort/Sted,
  Organisationsnummer/Org.nr., Momsregistreringsnummer/MVA-nummer), and English CRM
  exports such as HubSpot's (Record ID, Company name, Postal Code, Country/Region);
- the field names of legacy databases' customer tables: Navision / Business Central
  (No_, Phone No_, VAT Registration No_, Customer Posting Group, Payment Terms Code),
  SAP Business One's OCRD (CardCode, CardName, ZipCode, LicTradNum, GroupNum, SlpCode),
  and German ERP column codes (KU_NUM, KU_RECH_NAM, KU_RECH_PLZ: the abbreviations).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

Terms = tuple[str, ...]

#: The data file (packaged with the module).
SYNONYMS_FILE = Path(__file__).with_name("synonyms.toml")


def _load() -> tuple[dict[str, dict[str, Terms]], dict[str, Terms], dict[str, Any]]:
    with SYNONYMS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    keys = {entity: tuple(terms) for entity, terms in data.pop("keys").items()}
    words = {name: data.pop(name) for name in ("abbreviations", "suffixes", "generic")}
    tables = {e: {path: tuple(terms) for path, terms in t.items()} for e, t in data.items()}
    return tables, keys, words


#: Entity name -> property path -> header words.
#: Entity name -> words for the column identifying a row in the source system (a
#: mapping's ``key``) when it is not the entity's own number: a code, an id, a record id.
SYNONYMS, KEY_TERMS, _WORDS = _load()

#: Whole words that mean the same, folded before matching (Danish, English, German,
#: Swedish, Norwegian, and the codes of legacy exports): ``Customer No`` = ``Customer
#: number`` = ``Customer #``; ``KU_RECH_NAM``'s ``NAM`` = ``Name``.
ABBREVIATIONS: dict[str, str] = dict(_WORDS["abbreviations"])

#: Word endings folded the same way, for compounds: ``Kundenummer`` = ``Kundenr``.
SUFFIXES: dict[str, str] = dict(_WORDS["suffixes"])

#: Words that alone name no property: never matched once the words before them are dropped.
GENERIC_WORDS: frozenset[str] = frozenset(_WORDS["generic"]["words"])

#: Cell words that mean yes or no, for boolean columns (``Spærret``: ``Ja``/``Nej``).
TRUE_WORDS = frozenset(("ja", "j", "yes", "y", "true", "sand", "wahr", "x", "1"))
FALSE_WORDS = frozenset(("nej", "nein", "nei", "n", "no", "false", "falsk", "falsch", "0"))
