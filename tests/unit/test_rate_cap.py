"""The Interest Rate Restriction Act cap (spec/repayment.md): "20 % below ¥100,000, 18 %
from ¥100,000 to below ¥1,000,000, 15 % from ¥1,000,000. Raising a limit across a threshold
with a rate above the new cap is refused." """

from __future__ import annotations

import pytest

from shunfuri import catalogue
from shunfuri.domain.rate_cap import DEFAULT_RATE_BP, cap_bp, check_limit_change, check_rate
from shunfuri.errors import ShunfuriError


@pytest.mark.parametrize(
    ("limit", "cap"),
    [(0, 2000), (10_000, 2000), (99_999, 2000), (100_000, 1800), (500_000, 1800),
     (999_999, 1800), (1_000_000, 1500), (5_000_000, 1500)],
)
def test_cap_by_limit_at_every_edge(limit: int, cap: int) -> None:
    assert cap_bp(limit) == cap


def test_default_rate_is_17_8_percent_and_lawful_below_a_million() -> None:
    assert DEFAULT_RATE_BP == 1780
    assert check_rate(DEFAULT_RATE_BP, 999_999) == 1780


@pytest.mark.parametrize(("limit", "rate"), [(99_999, 2000), (100_000, 1800),
                                             (1_000_000, 1500), (50_000, 0)])
def test_a_rate_equal_to_the_cap_is_lawful(limit: int, rate: int) -> None:
    assert check_rate(rate, limit) == rate


@pytest.mark.parametrize(("limit", "rate", "cap"), [(99_999, 2001, 2000), (100_000, 1801, 1800),
                                                    (1_000_000, 1501, 1500),
                                                    (1_000_000, 1780, 1500)])
def test_a_rate_above_the_cap_is_refused_with_the_cap(limit: int, rate: int, cap: int) -> None:
    with pytest.raises(ShunfuriError) as caught:
        check_rate(rate, limit)
    error = caught.value
    assert error.code == "rate_above_legal_cap" and catalogue.status(error) == 409
    assert error.extra == {"cap_bp": cap}
    assert "利息制限法" in catalogue.problem(error)["detail_ja"] and f"{cap}" in catalogue.problem(error)["detail_ja"]


@pytest.mark.parametrize("rate", [-1, True, 17.8, "1780"])
def test_a_rate_that_is_not_whole_basis_points_is_refused(rate: object) -> None:
    with pytest.raises(ShunfuriError) as caught:
        check_rate(rate, 500_000)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_rate"


def test_raising_a_limit_across_a_threshold_with_a_rate_above_the_new_cap_is_refused() -> None:
    # 17.8 % is lawful at 999,999 yen; at 1,000,000 the cap drops to 15 %.
    with pytest.raises(ShunfuriError) as caught:
        check_limit_change(1_000_000, 1780)
    error = caught.value
    assert error.code == "limit_needs_lower_rate" and catalogue.status(error) == 409
    assert error.extra == {"cap_bp": 1500, "rate_bp": 1780}
    assert "1,000,000円" in catalogue.problem(error)["detail_ja"] and "年15%" in catalogue.problem(error)["detail_ja"]
    assert "年17.8%" in catalogue.problem(error)["detail_ja"]
    # 20 % is lawful below 100,000 only.
    with pytest.raises(ShunfuriError):
        check_limit_change(100_000, 2000)


def test_limit_changes_that_keep_the_rate_lawful_pass() -> None:
    assert check_limit_change(1_000_000, 1500) == 1_000_000
    assert check_limit_change(99_999, 2000) == 99_999
    assert check_limit_change(50_000, 1780) == 50_000  # lowering a limit raises the cap
