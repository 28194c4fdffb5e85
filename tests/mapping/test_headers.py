"""Header matching (pipeline.mapping.headers) and the synonym table it reads (synonyms)."""

from __future__ import annotations

import pytest

from pipeline.constraints import ENTITIES
from pipeline.mapping.headers import MATCH_THRESHOLD, match_header, match_key_header, normalise
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
