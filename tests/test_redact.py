"""Secrets masked everywhere; formula-looking text defused and restored exactly."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.redact import RedactingFilter, Redactor, install_log_filter, neutralise, unneutralise

APP = "AppSecret-9f8e7d6c"
GRANT = "Grant.(x+y)*?-1234"  # regex metacharacters must be taken literally


def test_each_secret_is_masked_every_time_it_occurs():
    redactor = Redactor([APP, GRANT, ""])
    text = f"X-AppSecretToken: {APP}; grant={GRANT}; again {APP}"
    assert redactor.redact(text) == "X-AppSecretToken: ***; grant=***; again ***"


def test_a_secret_containing_another_is_masked_whole():
    assert Redactor(["abc", "abcdef"]).redact("xabcdefx") == "x***x"


def test_no_secrets_means_no_change():
    redactor = Redactor(["", ""])
    assert not redactor
    assert redactor.redact(f"token {APP}") == f"token {APP}"


def test_redact_mapping_walks_nested_values_and_keys():
    redactor = Redactor([APP])
    mapping = {"headers": {"X-AppSecretToken": APP}, "list": [f"a{APP}", 3], APP: None}
    assert redactor.redact_mapping(mapping) == {
        "headers": {"X-AppSecretToken": "***"},
        "list": ["a***", 3],
        "***": None,
    }


def test_log_filter_masks_message_arguments_and_traceback():
    stream = io.StringIO()
    logger = logging.getLogger("test_redact.filter")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        installed = install_log_filter(Redactor([APP, GRANT]), logger=logger)
        assert isinstance(installed, RedactingFilter)
        logger.warning("sending with %s", APP)
        try:
            raise RuntimeError(f"refused grant {GRANT}")
        except RuntimeError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert APP not in output and GRANT not in output
    assert "sending with ***" in output
    assert "RuntimeError: refused grant ***" in output


@pytest.mark.parametrize(
    ("text", "neutralised"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+45 12345678", "'+45 12345678"),
        ("-5", "'-5"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=already quoted", "''=already quoted"),
        ("'plain", "'plain"),
        ("Kunde ApS", "Kunde ApS"),
        ("", ""),
        ("a=b", "a=b"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "cr", "quoted-formula", "quoted-text",
         "plain", "empty", "inner-equals"],
)  # fmt: skip
def test_neutralise_table(text: str, neutralised: str):
    assert neutralise(text) == neutralised
    assert unneutralise(neutralised) == text


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab1 "), max_size=8) | st.text())
def test_unneutralise_inverts_neutralise_and_result_never_starts_a_formula(text: str):
    safe = neutralise(text)
    assert unneutralise(safe) == text
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
