"""A repayment (spec/repayment.md, "Repayment"): interest first, then principal; never
above the full payoff; "Any amount ≥ ¥1,000 (or the full payoff, whatever its yen)"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shunfuri import catalogue
from shunfuri.domain.repayment import allocate, check_repayment_amount, payoff
from shunfuri.errors import ShunfuriError


def test_interest_first_then_principal() -> None:
    split = allocate(10_000, interest_due=2_412, principal=150_000)
    assert (split.interest, split.principal) == (2_412, 7_588)
    small = allocate(1_000, interest_due=2_412, principal=150_000)
    assert (small.interest, small.principal) == (1_000, 0)


def test_the_full_payoff_clears_both_balances() -> None:
    owed = payoff(principal=150_000, interest_due=2_412)
    assert owed == 152_412
    split = allocate(owed, 2_412, 150_000)
    assert (split.interest, split.principal) == (2_412, 150_000)


def test_allocating_more_than_the_payoff_is_a_broken_caller() -> None:
    with pytest.raises(ValueError):
        allocate(152_413, 2_412, 150_000)


@pytest.mark.parametrize("amount", [1_000, 1_001, 4_321, 152_412])
def test_any_whole_yen_from_1000_up_to_the_payoff_is_accepted(amount: int) -> None:
    assert check_repayment_amount(amount, payoff_today=152_412) == amount


def test_the_exact_payoff_is_accepted_whatever_its_yen() -> None:
    assert check_repayment_amount(873, payoff_today=873) == 873
    assert check_repayment_amount(1, payoff_today=1) == 1


def test_above_the_payoff_is_refused_with_the_payoff_and_nothing_taken() -> None:
    with pytest.raises(ShunfuriError) as caught:
        check_repayment_amount(152_413, payoff_today=152_412)
    error = caught.value
    assert (error.code, catalogue.status(error)) == ("repayment_too_large", 422)
    assert error.extra == {"payoff_today": 152_412}
    body = catalogue.problem(error)
    assert "152,412円" in body["detail_ja"] and "お引落としはありません" in body["detail_ja"]


@pytest.mark.parametrize("amount", [999, 500, 872])
def test_below_1000_and_not_the_payoff_is_refused(amount: int) -> None:
    with pytest.raises(ShunfuriError) as caught:
        check_repayment_amount(amount, payoff_today=873 if amount == 872 else 50_000)
    assert caught.value.code == "invalid_repayment_amount"
    assert "1,000円以上" in catalogue.problem(caught.value)["detail_ja"]


@pytest.mark.parametrize("amount", [0, -1000, True, 1000.0, "1000"])
def test_non_amounts_are_refused(amount: object) -> None:
    with pytest.raises(ShunfuriError) as caught:
        check_repayment_amount(amount, payoff_today=50_000)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_repayment_amount"


def test_nothing_owed_nothing_to_repay() -> None:
    with pytest.raises(ShunfuriError) as caught:
        check_repayment_amount(1_000, payoff_today=0)
    assert (caught.value.code, catalogue.status(caught.value)) == ("nothing_to_repay", 409)


@given(interest=st.integers(0, 10**7), principal=st.integers(1, 10**8),
       share=st.fractions(min_value=0, max_value=1))
def test_allocation_never_creates_or_loses_a_yen(interest: int, principal: int, share) -> None:  # type: ignore[no-untyped-def]
    owed = interest + principal
    amount = max(1, int(owed * share))
    split = allocate(amount, interest, principal)
    assert split.interest + split.principal == amount
    assert 0 <= split.interest <= interest and 0 <= split.principal <= principal
    # interest first: principal is touched only once the interest is paid in full
    assert split.principal == 0 or split.interest == interest
    assert (interest - split.interest) + (principal - split.principal) == owed - amount
