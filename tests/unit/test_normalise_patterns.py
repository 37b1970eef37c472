"""The OpenAPI patterns say what the normalisers accept: every string a pattern matches is
accepted (but for what a pattern cannot say, named in each test), and every string the
normaliser accepts matches it."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shunfuri.domain import normalise as n
from shunfuri.domain.instants import parse_instant
from shunfuri.errors import ShunfuriError
from shunfuri.services.transfers.availability import AT_PATTERN, quote_json
from tests.examples import examples

ACCEPT = settings(max_examples=examples(100), deadline=None)


def accepts(function, typed: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        function(typed)
    except ShunfuriError:
        return False
    return True


def matching(pattern: str):  # type: ignore[no-untyped-def]
    # Python's `$` also matches before a final newline, as JSON Schema validators built on
    # `re.search` do; the normalisers strip or drop that newline too.
    return st.from_regex(re.compile(pattern), fullmatch=True)


@ACCEPT
@given(matching(n.PIN_PATTERN))
def test_every_pin_the_pattern_allows_is_accepted(typed: str) -> None:
    assert accepts(n.normalise_pin, typed)


@ACCEPT
@given(matching(n.WEB_ID_PATTERN))
def test_every_web_id_the_pattern_allows_is_accepted(typed: str) -> None:
    assert accepts(n.normalise_web_id, typed)


@ACCEPT
@given(matching(n.ACCOUNT_NUMBER_PATTERN))
def test_every_account_number_the_pattern_allows_is_accepted(typed: str) -> None:
    assert accepts(n.normalise_account_number, typed)


@ACCEPT
@given(matching(n.BANK_CODE_PATTERN), matching(n.BRANCH_CODE_PATTERN))
def test_every_code_the_patterns_allow_is_accepted(bank: str, branch: str) -> None:
    assert accepts(lambda t: n.normalise_code(t, 4, "bank_code"), bank)
    assert accepts(lambda t: n.normalise_code(t, 3, "branch_code"), branch)


@ACCEPT
@given(matching(n.CARD_NUMBER_PATTERN))
def test_a_card_number_the_pattern_allows_fails_at_most_its_check_digit(typed: str) -> None:
    try:
        n.normalise_card_number(typed)
    except ShunfuriError as exc:
        assert "check digit" in exc.extra["errors"][0]["message"]


@ACCEPT
@given(matching(n.holder_name_pattern()))
def test_a_holder_name_the_pattern_allows_fails_at_most_its_converted_length(typed: str) -> None:
    try:
        n.normalise_holder_name(typed)
    except ShunfuriError as exc:
        assert "once converted" in exc.extra["errors"][0]["message"]


@pytest.mark.parametrize(("pattern", "function", "typed"), [
    (n.PIN_PATTERN, n.normalise_pin, ["2580", " ２５８０\u3000", "0000\n"]),
    (n.WEB_ID_PATTERN, n.normalise_web_id, ["taro.yamada", "Ｔａｒｏ－ｙ", "a b-c@d_e"]),
    (n.CARD_NUMBER_PATTERN, n.normalise_card_number,
     ["4539148803436467", "４５３９－１４８８－０３４３－６４６７", " 4539ー1488 0343 6467\t"]),
    (n.ACCOUNT_NUMBER_PATTERN, n.normalise_account_number, ["1234567", "１２", " 7 ", "²"]),
    (n.holder_name_pattern(), n.normalise_holder_name, ["ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ　たろう", "(ｶ)ABC-1/2."]),
])
def test_what_the_normaliser_accepts_matches_the_pattern(pattern, function, typed) -> None:  # type: ignore[no-untyped-def]
    for text in typed:
        assert accepts(function, text), text
        assert re.search(pattern, text), text


# What a pattern can speak of: BMP characters that NFKC leaves one character (see
# `normalise._typed_as`: no escape reaches beyond the BMP, and ﬀ or ⑩ cannot be counted).
COUNTABLE = st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]).filter(
    lambda ch: len(unicodedata.normalize("NFKC", ch)) == 1)


@ACCEPT
@given(st.text(COUNTABLE, max_size=24))
def test_what_the_patterns_refuse_the_normalisers_refuse(typed: str) -> None:
    for pattern, function in [
        (n.PIN_PATTERN, n.normalise_pin), (n.WEB_ID_PATTERN, n.normalise_web_id),
        (n.ACCOUNT_NUMBER_PATTERN, n.normalise_account_number),
        (n.CARD_NUMBER_PATTERN, n.normalise_card_number),
        (n.holder_name_pattern(), n.normalise_holder_name),
    ]:
        if not re.search(pattern, typed):
            assert not accepts(function, typed), (pattern[:20], typed)


@ACCEPT
@given(matching(AT_PATTERN))
def test_every_instant_the_availability_pattern_allows_is_quoted(typed: str) -> None:
    quote_json("0009", parse_instant(typed))  # raises on an instant it cannot quote


def test_an_instant_past_the_calendar_is_refused_not_an_overflow() -> None:
    with pytest.raises(ShunfuriError):
        quote_json("0009", parse_instant("9999-12-31T23:59:59Z"))
