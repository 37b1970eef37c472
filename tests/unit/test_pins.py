"""Guessable PINs (spec application.md, "Contract"): four equal digits, a run up or down,
the birth date's MMDD, DDMM and YYYY, the last four digits of the person's phones; the
refusal names the rule, and says why in Japanese."""

from __future__ import annotations

from datetime import date

import pytest

from shunfuri import catalogue
from shunfuri.domain.pins import REASONS, check_pin, guessable_reason
from shunfuri.errors import ShunfuriError

BORN = date(1987, 4, 23)
PHONES = ("090-1357-2468", "０３－５５５５－８６４２")  # applicant's mobile, employer


@pytest.mark.parametrize("pin", [str(d) * 4 for d in range(10)])
def test_four_equal_digits(pin: str) -> None:
    assert guessable_reason(pin) == "all_same"


@pytest.mark.parametrize("pin", ["0123", "1234", "2345", "3456", "4567", "5678", "6789"])
def test_runs_up(pin: str) -> None:
    assert guessable_reason(pin) == "run_up"


@pytest.mark.parametrize("pin", ["3210", "4321", "5432", "6543", "7654", "8765", "9876"])
def test_runs_down(pin: str) -> None:
    assert guessable_reason(pin) == "run_down"


@pytest.mark.parametrize(
    ("pin", "reason"),
    [("0423", "birth_mmdd"), ("2304", "birth_ddmm"), ("1987", "birth_year"),
     ("2468", "phone_last4"), ("8642", "phone_last4")],
)
def test_what_is_known_about_the_person(pin: str, reason: str) -> None:
    assert guessable_reason(pin, birth_date=BORN, phones=PHONES) == reason
    assert guessable_reason(pin) is None  # without the facts, the PIN is not refused for them


@pytest.mark.parametrize(
    "pin",
    ["8901", "9012", "1098", "0987", "2580", "1357", "0424", "0422", "2305", "1988", "0432",
     "1223", "4230", "7823"],
)
def test_near_misses_are_fine(pin: str) -> None:
    assert guessable_reason(pin, birth_date=BORN, phones=PHONES) is None


def test_a_birth_date_read_both_ways_the_same_is_named_once() -> None:
    assert guessable_reason("0101", birth_date=date(1990, 1, 1)) == "birth_mmdd"
    assert guessable_reason("1111", birth_date=date(1990, 11, 11)) == "all_same"
    assert guessable_reason("1234", birth_date=date(1234, 5, 6)) == "run_up"


def test_phones_are_read_through_full_width_and_separators_and_short_ones_ignored() -> None:
    assert guessable_reason("5678", phones=["＋８１ ９０ １２３４ ５６７８"]) == "run_up"
    assert guessable_reason("4680", phones=["(03) 1357-4680"]) == "phone_last4"
    assert guessable_reason("0123", phones=["123"]) == "run_up"
    assert guessable_reason("4680", phones=["680", ""]) is None


def test_check_pin_normalises_then_refuses_with_the_reason_and_why_in_japanese() -> None:
    assert check_pin("２５８０", birth_date=BORN, phones=PHONES) == "2580"
    with pytest.raises(ShunfuriError) as caught:
        check_pin(" ０４２３ ", birth_date=BORN, phones=PHONES, field="new_pin")
    error = caught.value
    assert error.code == "guessable_pin" and catalogue.status(error) == 422
    assert error.extra == {"field": "new_pin", "reason": "birth_mmdd"}
    assert catalogue.problem(error)["detail_ja"] == (
        "生年月日の月日と同じ数字は、推測されやすいためお使いいただけません。"
        "ほかの人に推測されにくい4桁の数字を設定してください。")
    assert "0423" not in str(catalogue.problem(error))


@pytest.mark.parametrize("raw", ["123", "12345", "12a4", ""])
def test_a_malformed_pin_is_a_validation_error_not_a_guessable_one(raw: str) -> None:
    with pytest.raises(ShunfuriError) as caught:
        check_pin(raw, birth_date=BORN)
    assert caught.value.code == "validation_error"


def test_every_reason_has_its_japanese() -> None:
    for reason in REASONS:
        text = catalogue.VARIANTS[f"guessable_pin:{reason}"].detail_ja
        assert text and "推測" in text and text.endswith("設定してください。")
