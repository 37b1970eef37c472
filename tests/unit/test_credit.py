"""Amounts (whole yen, >= 1,000, steps of 1,000) and available credit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shunfuri.domain.credit import MAX_AMOUNT, available, validate_amount
from shunfuri.errors import ShunfuriError


@pytest.mark.parametrize("amount", [1000, 2000, 50_000, 5_000_000, 10**15])
def test_valid_amounts(amount: int) -> None:
    assert validate_amount(amount) == amount


@pytest.mark.parametrize(
    "amount",
    [0, 999, 1001, 1500, -1000, 10**15 + 1000, 10**30, True, False, 1000.0, "1000",
     Decimal(1000), None, [1000]],
)
def test_invalid_amounts(amount: object) -> None:
    with pytest.raises(ShunfuriError) as info:
        validate_amount(amount)  # type: ignore[arg-type]
    assert info.value.code == "invalid_amount"


def test_configurable_minimum_and_step() -> None:
    assert validate_amount(500, minimum=500, step=100) == 500
    assert validate_amount(10_100, minimum=500, step=100) == 10_100
    with pytest.raises(ShunfuriError):
        validate_amount(10_150, minimum=500, step=100)
    with pytest.raises(ShunfuriError):
        validate_amount(1000, minimum=10_000)
    assert MAX_AMOUNT == 10**15


def test_available() -> None:
    assert available(500_000, 0, 0) == 500_000
    assert available(500_000, 120_000, 30_000) == 350_000
    assert available(100_000, 100_000, 0) == 0
