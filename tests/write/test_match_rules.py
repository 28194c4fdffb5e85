"""Match rules (issue #9): filter texts, escaping, batching and the checks at load time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.constraints import CONTACTS, CUSTOMERS, check_match
from pipeline.sandbox.filtering import Junction, Predicate, parse_filter
from pipeline.write.match_rules import (
    IN_FILTER_MAX,
    OR_FILTER_MAX_CHARS,
    escape,
    filters,
    fold,
    row_values,
)


@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() == t and t))
def test_an_escaped_value_reads_back_as_itself(value: str) -> None:
    # API-FACTS.md "Collections": $$ $( $) $* $, escape the filter language's characters.
    parsed = parse_filter(f"name$eq:{escape(value)}", CUSTOMERS.filterable)
    assert isinstance(parsed, Predicate) and parsed.value == value


def test_escape_marks_exactly_the_special_characters() -> None:
    assert escape("A$B (C), D*") == "A$$B $(C$)$, D$*"


def test_one_numeric_property_is_looked_up_with_in_at_most_200_at_a_time() -> None:
    rows = [{"customerNumber": str(n)} for n in range(1, 451)] + [{"customerNumber": ""}]
    texts = filters(CUSTOMERS, ("customerNumber",), rows)
    assert len(texts) == 3 and texts[0].startswith("customerNumber$in:[1,2,")
    assert [t.count(",") + 1 for t in texts] == [IN_FILTER_MAX, IN_FILTER_MAX, 50]


def test_text_properties_are_eq_terms_joined_by_or_in_bounded_batches() -> None:
    rows = [{"name": f"Kunde {n} (A/S)", "zip": "8000" if n % 2 else ""} for n in range(300)]
    texts = filters(CUSTOMERS, ("name", "zip"), rows)
    assert all(len(t) <= OR_FILTER_MAX_CHARS + 100 for t in texts) and len(texts) > 1
    assert texts[0].startswith("name$eq:Kunde 0 $(A/S$)$or:(name$eq:Kunde 1 $(A/S$)$and:zip")
    for text in texts:
        parsed = parse_filter(text, CUSTOMERS.filterable)
        assert isinstance(parsed, Junction) and not parsed.all


def test_values_fold_case_and_spaces() -> None:
    assert fold("  ACME   ApS ") == fold("acme aps") == "acme aps"
    assert row_values(("name", "zip"), {"name": "Ab  C"}) == ("ab c", "")


@pytest.mark.parametrize(
    ("entity", "value", "produced", "message"),
    [
        (CUSTOMERS, ["mobilePhone"], ["mobilePhone"], "'mobilePhone' is not a filterable"),
        (CUSTOMERS, ["zip"], ["name"], "'zip' is not produced by the mapping"),
        (CUSTOMERS, [], [], "must be a list of property names"),
        (CUSTOMERS, ["name", "name"], ["name"], "names a property twice"),
        (CONTACTS, ["customer.customerNumber"], [], "not a filterable contact property"),
    ],
    ids=["not-filterable", "not-produced", "empty", "twice", "the-parent"],
)
def test_a_bad_rule_names_the_valid_properties(
    entity: object, value: list[str], produced: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match="match") as info:
        check_match(entity, value, produced=produced, where="match")  # type: ignore[arg-type]
    assert message in str(info.value)


def test_a_good_rule_is_kept_in_order() -> None:
    rule = check_match(CUSTOMERS, ["zip", "name"], produced=["name", "zip"], where="match")
    assert rule == ("zip", "name")
