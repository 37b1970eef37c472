"""Identifier, card number, PIN, account number and Zengin holder-name normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shunfuri import catalogue
from shunfuri.domain import normalise as n
from shunfuri.errors import ShunfuriError

CARD = "4539148803436467"  # a Luhn-valid 16-digit number


@pytest.mark.parametrize(
    "typed",
    [
        CARD,
        "4539-1488-0343-6467",
        "4539 1488 0343 6467",
        "４５３９１４８８０３４３６４６７",
        "４５３９－１４８８－０３４３－６４６７",
        "4539ー1488ー0343ー6467",  # katakana long-vowel mark typed as a dash
        "4539‐1488−0343–6467",  # hyphen, minus sign, en dash
        "4539\u30001488\u30000343\u30006467",  # ideographic (full-width) spaces
        " 4539 1488 0343 6467\t",
    ],
)
def test_card_number_forms_normalise(typed: str) -> None:
    assert n.normalise_card_number(typed) == CARD


@pytest.mark.parametrize(
    "typed",
    ["4539148803436468", "453914880343646", "45391488034364670", "4539x48803436467", "", "----"],
)
def test_malformed_card_number_is_a_validation_error(typed: str) -> None:
    with pytest.raises(ShunfuriError) as caught:
        n.normalise_card_number(typed)
    assert caught.value.code == "validation_error"
    assert caught.value.extra["errors"][0]["field"] == "card_number"
    # the value itself is never echoed back
    assert typed not in str(catalogue.problem(caught.value)) or typed in ("", "----")


def test_luhn_known_values() -> None:
    assert n.luhn_check_digit("7992739871") == "3"
    assert n.luhn_valid("79927398713")
    assert not n.luhn_valid("79927398710")


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_luhn_catches_every_single_digit_typo(payload: str) -> None:
    number = payload + n.luhn_check_digit(payload)
    assert n.luhn_valid(number)
    for i in range(len(number)):
        for d in "0123456789":
            if d != number[i]:
                assert not n.luhn_valid(number[:i] + d + number[i + 1 :])


def test_web_id_normalised() -> None:
    assert n.normalise_web_id("Ｔａｒｏ－Ｙａｍａｄａ") == "taroyamada"
    assert n.normalise_web_id(" taro.yamada ") == "taro.yamada"
    with pytest.raises(ShunfuriError):
        n.normalise_web_id("太郎")


@pytest.mark.parametrize("typed,pin", [("0000", "0000"), ("１２３４", "1234"), (" 4821 ", "4821")])
def test_pin(typed: str, pin: str) -> None:
    assert n.normalise_pin(typed) == pin


@pytest.mark.parametrize("typed", ["123", "12345", "12a4", "١٢٣٤x"])
def test_bad_pin(typed: str) -> None:
    with pytest.raises(ShunfuriError) as caught:
        n.normalise_pin(typed)
    assert caught.value.code == "validation_error"


@pytest.mark.parametrize(
    "typed,number", [("1234567", "1234567"), ("123", "0000123"), ("１２３４５", "0012345")]
)
def test_account_number(typed: str, number: str) -> None:
    assert n.normalise_account_number(typed) == number


@pytest.mark.parametrize("typed", ["12345678", "12-345", "abc", "", "12 34"])
def test_bad_account_number(typed: str) -> None:
    with pytest.raises(ShunfuriError) as caught:
        n.normalise_account_number(typed)
    assert caught.value.code == "validation_error"


@pytest.mark.parametrize(
    "typed,zengin",
    [
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # full-width space
        ("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # hiragana
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # already Zengin
        ("キャッシュ", "ｷﾔﾂｼﾕ"),  # small kana written full size
        ("ｷｬｯｼｭ", "ｷﾔﾂｼﾕ"),
        ("コーヒー", "ｺ-ﾋ-"),  # long-vowel mark -> '-'
        ("ヴァイオリン", "ｳﾞｱｲｵﾘﾝ"),
        ("パン", "ﾊﾟﾝ"),
        ("カ\u3099", "ｶﾞ"),  # decomposed dakuten
        ("yamada taro", "YAMADA TARO"),
        ("Ｙａｍａｄａ", "YAMADA"),
        ("カ）シュンフリ", "ｶ)ｼﾕﾝﾌﾘ"),
        ("（カ）ABC.1/2-3", "(ｶ)ABC.1/2-3"),
        ("  ヤマダ   タロウ  ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ヰヱヲ", "ｲｴｦ"),
    ],
)
def test_holder_name_to_zengin(typed: str, zengin: str) -> None:
    assert n.normalise_holder_name(typed) == zengin


@pytest.mark.parametrize(
    "typed,character,position",
    [
        ("山田 タロウ", "山", 1),
        ("ヤマダ・タロウ", "・", 4),
        ("YAMADA,TARO", ",", 7),
        ("ヤマダ タロウ♪", "♪", 8),
        ("MÜLLER", "Ü", 2),
        ("ヤマダ_タロウ", "_", 4),
    ],
)
def test_holder_name_refusal_names_the_character(typed: str, character: str, position: int) -> None:
    with pytest.raises(ShunfuriError) as caught:
        n.normalise_holder_name(typed)
    error = caught.value
    assert error.code == "invalid_holder_name"
    assert catalogue.status(error) == 422
    assert error.extra["character"] == character
    assert error.extra["position"] == position
    assert character in catalogue.words(error)[0]


def test_holder_name_empty_or_too_long() -> None:
    for typed in ("", "   ", "　"):
        with pytest.raises(ShunfuriError) as caught:
            n.normalise_holder_name(typed)
        assert caught.value.code == "validation_error"
    with pytest.raises(ShunfuriError) as caught:
        n.normalise_holder_name("ア" * 31)
    assert caught.value.code == "validation_error"


@given(st.text(max_size=40))
def test_holder_name_total(typed: str) -> None:
    """Any input gives either a Zengin-clean name or a catalogue refusal, never a crash."""
    try:
        name = n.normalise_holder_name(typed)
    except ShunfuriError as error:
        assert error.code in ("invalid_holder_name", "validation_error")
    else:
        assert all(n._zengin_allowed(ch) for ch in name)
        assert name == n.normalise_holder_name(name)  # idempotent


def test_unencodable_text_is_refused_not_crashed() -> None:
    with pytest.raises(ShunfuriError) as caught:
        n.normalise_password("abc\ud800def")
    assert caught.value.code == "validation_error"
    with pytest.raises(ShunfuriError) as caught:
        n.normalise_holder_name("ｱ\ud800")
    assert caught.value.extra["character"] == "U+D800"
    assert n.normalise_holder_name("ｱ\tｲ") == "ｱ ｲ"  # any space variant is a space
