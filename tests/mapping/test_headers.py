"""Header matching (pipeline.mapping.headers) and the synonym table it reads (synonyms)."""

from __future__ import annotations

import pytest

from pipeline.constraints import ENTITIES
from pipeline.mapping.headers import (
    MATCH_THRESHOLD,
    header_words,
    match_header,
    match_key_header,
    normalise,
    shared_prefix,
)
from pipeline.mapping.rules import PARENT_KEY, valid_properties
from pipeline.mapping.synonyms import KEY_TERMS, SYNONYMS


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Postnr.", "postnr"),
        ("Post nr", "postnr"),
        ("POSTNUMMER", "postnr"),
        ("Postal Code", "postalcode"),
        ("CVR-nr.", "cvrnr"),
        ("CVR nummer", "cvrnr"),
        ("USt-IdNr.", "ustidnr"),
        ("CustomerNo", "customernr"),
        ("Customer #", "customernr"),
        ("Customer Number", "customernr"),
        ("E-mail", "email"),
        ("Kreditgrænse", "kreditgraense"),
        ("Straße", "strasse"),
        ("Tlf.", "telefon"),
        ("  Navn  ", "navn"),
    ],
)
def test_normalise_folds_case_punctuation_spacing_and_abbreviations(header, key) -> None:
    assert normalise(header) == key


@pytest.mark.parametrize(
    ("entity", "header", "path", "score"),
    [
        ("customers", "Postnr.", "zip", 100),
        ("customers", "Post nr", "zip", 100),
        ("customers", "Postal Code", "zip", 100),
        ("customers", "PLZ", "zip", 100),
        ("customers", "CVR-nr.", "corporateIdentificationNumber", 100),
        ("customers", "Org.nr.", "corporateIdentificationNumber", 100),
        ("customers", "USt-IdNr.", "vatNumber", 100),
        ("customers", "MVA-nummer", "vatNumber", 100),
        ("customers", "Kreditmax", "creditLimit", 100),
        ("customers", "Debitorgruppe", "customerGroup.customerGroupNumber", 100),
        ("customers", "Kundnummer", "customerNumber", 100),
        ("customers", "Betalningsvillkor", "paymentTerms.paymentTermsNumber", 100),
        ("customers", "vatZone", "vatZone.vatZoneNumber", 100),
        ("customers", "Kreditgrense", "creditLimit", 96),  # one letter from "Kredittgrense"
        ("customers", "Adresse 2", "address", 93),  # an index costs a little
        ("delivery-locations", "Postnr", "postalCode", 100),
        ("contacts", "Telefon", "phone", 100),
        ("customer-groups", "Samlekonto", "account.accountNumber", 100),
    ],
)
def test_headers_match_their_property(entity, header, path, score) -> None:
    match = match_header(entity, header)
    assert match is not None
    assert (match.property, match.score) == (path, score)


@pytest.mark.parametrize("header", ["Søgenavn", "Industry", "Create Date", "Bu", "XYZ", ""])
def test_unknown_headers_match_nothing(header: str) -> None:
    assert match_header("customers", header) is None


def test_a_match_describes_itself() -> None:
    match = match_header("customers", "Postnr.")
    assert match is not None
    assert match.describe("Postnr.") == "header 'Postnr.' ~ zip (synonym 'Postnr', 100)"


def test_key_words() -> None:
    assert match_key_header("customers", "Record ID") is not None
    assert match_key_header("contacts", "Kontaktnr.") is not None
    assert match_key_header("customers", "Navn") is None


@pytest.mark.parametrize("entity", list(SYNONYMS))
def test_every_synonym_names_a_property_of_its_entity(entity: str) -> None:
    valid = set(valid_properties(ENTITIES[entity]))
    assert set(SYNONYMS[entity]) <= valid
    assert set(SYNONYMS) == set(ENTITIES) == set(KEY_TERMS)
    if ENTITIES[entity].parent:
        assert PARENT_KEY in SYNONYMS[entity]


@pytest.mark.parametrize("entity", list(SYNONYMS))
def test_no_word_stands_for_two_properties_of_one_entity(entity: str) -> None:
    seen: dict[str, str] = {}
    for path, terms in SYNONYMS[entity].items():
        for term in terms:
            key = normalise(term)
            assert seen.setdefault(key, path) == path, (term, path, seen[key])
            # every word is found as itself, at full score
            match = match_header(entity, term)
            assert match is not None and match.property == path and match.score == 100


def test_the_threshold_is_a_score() -> None:
    assert 50 < MATCH_THRESHOLD <= 100


@pytest.mark.parametrize(
    ("header", "path"),
    [
        # Swedish
        ("Kundnummer", "customerNumber"),
        ("Företagsnamn", "name"),
        ("Postnummer", "zip"),
        ("Ort", "city"),
        ("Organisationsnummer", "corporateIdentificationNumber"),
        ("Momsregistreringsnummer", "vatNumber"),
        ("Betalningsvillkor", "paymentTerms.paymentTermsNumber"),
        ("Kreditgräns", "creditLimit"),
        ("Spärrad", "barred"),
        ("Hemsida", "website"),
        # Norwegian
        ("Bedriftsnavn", "name"),
        ("Poststed", "city"),
        ("Org.nr.", "corporateIdentificationNumber"),
        ("MVA-nummer", "vatNumber"),
        ("Betalingsvilkår", "paymentTerms.paymentTermsNumber"),
        ("Kredittgrense", "creditLimit"),
        ("Sperret", "barred"),
        ("E-post", "email"),
    ],
)
def test_swedish_and_norwegian_headers(header: str, path: str) -> None:
    match = match_header("customers", header)
    assert match is not None and match.property == path


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("KU_RECH_NAM", ["ku", "rech", "name"]),  # separators; NAM is Name
        ("CustomerNo", ["customer", "nr"]),  # camelCase
        ("LicTradNum", ["lic", "trad", "nr"]),
        ("VATRegistrationNo", ["vat", "registration", "nr"]),  # an acronym before a word
        ("Phone1", ["phone", "1"]),  # digits
        ("KU_BESTAETIGUNG_EMAIL_01", ["ku", "bestaetigung", "email", "01"]),
        ("No_", ["nr"]),
        ("Tlf.", ["telefon"]),
    ],
)
def test_a_header_is_split_into_words(header: str, words: list[str]) -> None:
    assert header_words(header) == words


def test_the_prefix_most_headers_share() -> None:
    assert shared_prefix(["KU_NUM", "KU_RECH_NAM", "KU_RECH_PLZ", "ANLAGE"]) == "ku"
    assert shared_prefix(["KU_NUM", "Navn", "Adresse", "Postnr"]) is None  # one of four
    assert shared_prefix(["KU_NUM", "KU_NAM"]) is None  # too few headers to tell
    assert shared_prefix(["Name", "Name 2", "City"]) is None  # no words after it


@pytest.mark.parametrize(
    ("header", "prefix", "path", "score"),
    [
        ("KU_NUM", "ku", "customerNumber", 100),  # without the prefix: NUM = Nr
        ("KU_RECH_NAM", "ku", "name", 95),  # the head word, one leading word dropped
        ("KU_RECH_STR", "ku", "address", 95),
        ("KU_RECH_PLZ", "ku", "zip", 95),
        ("KU_RECH_ORT", "ku", "city", 95),
        ("KU_NORM_Z_KOND", "ku", "paymentTerms.paymentTermsNumber", 95),
        ("KU_BESTAETIGUNG_EMAIL_01", "ku", "email", 92),  # and an index
        ("No_", None, "customerNumber", 100),
        ("Phone No_", None, "telephoneAndFaxNumber", 100),
        ("VAT Registration No_", None, "vatNumber", 100),
        ("Payment Terms Code", None, "paymentTerms.paymentTermsNumber", 100),
        ("CardName", None, "name", 100),
        ("ZipCode", None, "zip", 100),
        ("LicTradNum", None, "corporateIdentificationNumber", 100),
    ],
)
def test_legacy_codes_match_their_property(
    header: str, prefix: str | None, path: str, score: int
) -> None:
    match = match_header("customers", header, prefix=prefix)
    assert match is not None
    assert (match.property, match.score) == (path, score)


@pytest.mark.parametrize("header", ["Language Code", "KU_SPRACHE", "CardType", "Customer Code"])
def test_a_generic_word_alone_names_no_property(header: str) -> None:
    assert match_header("customers", header, prefix="ku") is None


@pytest.mark.parametrize("header", ["Fax No_", "Sprache Nr", "Ansprechpartner ID"])
def test_a_trailing_generic_word_does_not_make_the_number(header: str) -> None:
    match = match_header("customers", header)
    assert match is None or match.property != "customerNumber"


@pytest.mark.parametrize("header", ["CRM-id", "Ekstern ID", "HubSpot ID", "CardCode", "Id"])
def test_source_id_headers_are_key_words(header: str) -> None:
    assert match_key_header("customers", header) is not None
