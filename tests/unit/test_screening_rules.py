"""The screening rules (spec application.md, "Screening"), one row per boundary.

Each row changes one thing from a plain applicant (35, employee, ¥3,000,000 a year,
nothing owed elsewhere, asking for ¥300,000, applied at noon JST on 1 December 2026) and
says what the rules decide. Rows are grouped by rule; a decision is written out in full.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shunfuri import messages
from shunfuri.domain.applicants import EMPLOYMENTS, Applicant, IncomeProof
from shunfuri.domain.lending_act import cap_without_proof, proof_required, room
from shunfuri.domain.screening import (
    NO_RECORD,
    RULE_OF,
    Approved,
    BureauAnswer,
    Declined,
    DocumentsNeeded,
    ManualReview,
    Offer,
    before_bureau,
    decide,
    figures,
    offer_rate_bp,
    screener_maximum,
    screener_offer,
)
from shunfuri.domain.screening_policy import ScreeningPolicy

APPLIED = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 JST
PLAIN = Applicant(
    birth_date=date(1990, 4, 1), employment="employee", annual_income=3_000_000,
    other_count=0, other_balance=0, requested_limit=300_000, applied_at=APPLIED,
)
EVERY_PROOF = ("withholding_slip", "payslip", "tax_return")


def app(**changes: Any) -> Applicant:
    return replace(PLAIN, **changes)


def bureau(balance: int = 0, count: int = 0, delinquent: bool = False) -> BureauAnswer:
    return BureauAnswer(other_balance=balance, other_count=count, delinquent=delinquent)


def approved(limit: int, rate: int = 1780) -> Approved:
    return Approved(Offer(limit, rate))


def proof(income: int, kind: str = "withholding_slip") -> IncomeProof:
    return IncomeProof(kind, income)


ROWS = [
    # --- rule 1: age on the application's JST day, employment, income ---------------
    ("17, 18 tomorrow", app(birth_date=date(2008, 12, 2)), NO_RECORD,
     Declined("age_out_of_range")),
    ("18 today", app(birth_date=date(2008, 12, 1)), NO_RECORD, approved(300_000)),
    ("74 today", app(birth_date=date(1952, 12, 1)), NO_RECORD, approved(300_000)),
    ("74, 75 tomorrow", app(birth_date=date(1951, 12, 2)), NO_RECORD, approved(300_000)),
    ("75 today", app(birth_date=date(1951, 12, 1)), NO_RECORD, Declined("age_out_of_range")),
    ("18 at 00:30 JST, still 17 in UTC",
     app(birth_date=date(2008, 12, 1), applied_at=datetime(2026, 11, 30, 15, 30, tzinfo=UTC)),
     NO_RECORD, approved(300_000)),
    ("17 at 23:59 JST on the eve of the birthday",
     app(birth_date=date(2008, 12, 1), applied_at=datetime(2026, 11, 30, 14, 59, tzinfo=UTC)),
     NO_RECORD, Declined("age_out_of_range")),
    ("29 Feb birthday, 28 Feb of a common year: 17",
     app(birth_date=date(2008, 2, 29), applied_at=datetime(2026, 2, 28, 3, tzinfo=UTC)),
     NO_RECORD, Declined("age_out_of_range")),
    ("29 Feb birthday, 1 Mar of a common year: 18",
     app(birth_date=date(2008, 2, 29), applied_at=datetime(2026, 3, 1, 3, tzinfo=UTC)),
     NO_RECORD, approved(300_000)),
    ("pension only", app(employment="pension_only"), NO_RECORD,
     Declined("employment_not_eligible")),
    ("unemployed", app(employment="unemployed"), NO_RECORD, Declined("employment_not_eligible")),
    ("income 0", app(annual_income=0), NO_RECORD, Declined("no_income")),
    ("income 1: room 0", app(annual_income=1), NO_RECORD, Declined("over_total_volume")),
    ("declared 0, proof replaces it", app(annual_income=0, income_proof=proof(3_000_000)),
     NO_RECORD, approved(300_000)),
    ("declared income, proof of 0 replaces it", app(income_proof=proof(0)), NO_RECORD,
     Declined("no_income")),
    ("rule 1 before rule 2", app(employment="unemployed"), bureau(delinquent=True),
     Declined("employment_not_eligible")),
    # --- rule 2: the bureau ----------------------------------------------------------
    ("delinquent", PLAIN, bureau(delinquent=True), Declined("bureau_delinquent")),
    ("delinquent before room", app(annual_income=29_999), bureau(delinquent=True),
     Declined("bureau_delinquent")),
    ("bureau's balance larger", app(other_balance=100_000, requested_limit=500_000),
     bureau(balance=600_000), approved(400_000)),
    ("declared balance larger", app(other_balance=600_000, requested_limit=500_000),
     bureau(balance=100_000), approved(400_000)),
    ("bureau's count larger", app(other_count=0), bureau(count=3),
     ManualReview("many_other_lenders")),
    ("declared count larger", app(other_count=3), bureau(count=1),
     ManualReview("many_other_lenders")),
    # --- rule 3: room (総量規制) ------------------------------------------------------
    ("room 9,999", app(annual_income=29_999), NO_RECORD, Declined("over_total_volume")),
    ("room 10,000", app(annual_income=30_000), NO_RECORD, approved(10_000)),
    ("room 10,000 (floor of a third)", app(annual_income=30_002), NO_RECORD, approved(10_000)),
    ("room 9,999 after other lenders", app(other_balance=990_001), NO_RECORD,
     Declined("over_total_volume")),
    ("room 10,000 after other lenders", app(other_balance=990_000), NO_RECORD,
     approved(10_000)),
    ("room from the bureau's balance", PLAIN, bureau(balance=990_001),
     Declined("over_total_volume")),
    ("room from the proof's income", app(income_proof=proof(29_999)), NO_RECORD,
     Declined("over_total_volume")),
    ("room 0 before documents", app(other_balance=1_500_000), NO_RECORD,
     Declined("over_total_volume")),
    # --- rule 4: income proof ---------------------------------------------------------
    ("no-proof cap 9,999", app(annual_income=6_000_000, other_balance=990_001), NO_RECORD,
     DocumentsNeeded(EVERY_PROOF)),
    ("no-proof cap 10,000", app(annual_income=6_000_000, other_balance=990_000), NO_RECORD,
     approved(10_000)),
    ("no-proof cap below 0", app(annual_income=9_000_000, other_balance=1_200_000), NO_RECORD,
     DocumentsNeeded(EVERY_PROOF)),
    ("self-employed: tax return first",
     app(employment="self_employed", annual_income=6_000_000, other_balance=990_001),
     NO_RECORD, DocumentsNeeded(("tax_return", "withholding_slip", "payslip"))),
    ("cap 9,999 with proof: no cap",
     app(annual_income=6_000_000, other_balance=990_001, income_proof=proof(6_000_000)),
     NO_RECORD, approved(300_000)),
    ("documents before manual review",
     app(annual_income=6_000_000, other_balance=990_001, other_count=5), NO_RECORD,
     DocumentsNeeded(EVERY_PROOF)),
    ("limit exactly 500,000 needs no proof", app(requested_limit=500_000), NO_RECORD,
     approved(500_000)),
    ("510,000 asked without proof: capped at 500,000", app(requested_limit=510_000),
     NO_RECORD, approved(500_000)),
    ("limit + other exactly 1,000,000 needs no proof",
     app(annual_income=6_000_000, other_balance=500_000, requested_limit=500_000), NO_RECORD,
     approved(500_000)),
    ("limit + other one yen over: capped at 499,999, rounded down",
     app(annual_income=6_000_000, other_balance=500_001, requested_limit=500_000), NO_RECORD,
     approved(490_000)),
    ("1,000,000 with proof", app(annual_income=6_000_000, requested_limit=1_000_000,
                                 income_proof=proof(6_000_000, "payslip")),
     NO_RECORD, approved(1_000_000, 1500)),
    ("1,000,000 without proof", app(annual_income=6_000_000, requested_limit=1_000_000),
     NO_RECORD, approved(500_000)),
    ("5,000,000, the largest line", app(requested_limit=5_000_000,
                                        income_proof=proof(30_000_000, "tax_return")),
     NO_RECORD, approved(5_000_000, 1500)),
    # --- rule 5: other lenders ----------------------------------------------------------
    ("2 other lenders", app(other_count=2), NO_RECORD, approved(300_000)),
    ("3 other lenders", app(other_count=3), NO_RECORD, ManualReview("many_other_lenders")),
    # --- rule 6: the offer ------------------------------------------------------------
    ("requested below room and cap", app(requested_limit=100_000), NO_RECORD,
     approved(100_000)),
    ("room 123,456 rounds down to 120,000", app(annual_income=370_368), NO_RECORD,
     approved(120_000)),
    ("room 19,999 rounds down to 10,000", app(annual_income=59_997), NO_RECORD,
     approved(10_000)),
    ("room 990,000 with proof: 990,000 at 17.8 %",
     app(annual_income=2_970_000, requested_limit=1_000_000, income_proof=proof(2_970_000)),
     NO_RECORD, approved(990_000, 1780)),
    ("room 1,000,002 with proof: 1,000,000 at 15 %",
     app(annual_income=3_000_006, requested_limit=2_000_000, income_proof=proof(3_000_006)),
     NO_RECORD, approved(1_000_000, 1500)),
    ("smallest line: 10,000 at 17.8 % (cap 20 %)", app(requested_limit=10_000), NO_RECORD,
     approved(10_000, 1780)),
]


@pytest.mark.parametrize(("applicant", "answer", "decision"),
                         [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_the_rules_in_order(applicant: Applicant, answer: BureauAnswer, decision: Any) -> None:
    assert decide(applicant, answer) == decision


@pytest.mark.parametrize(
    ("applicant", "decision"),
    [(PLAIN, None), (app(birth_date=date(2008, 12, 2)), Declined("age_out_of_range")),
     (app(employment="pension_only"), Declined("employment_not_eligible")),
     (app(annual_income=0), Declined("no_income")),
     (app(annual_income=29_999), None),  # room is judged after the bureau
     (app(other_count=9), None)],
)
def test_before_the_bureau_only_rule_1_decides(applicant: Applicant, decision: Any) -> None:
    assert before_bureau(applicant) == decision


@pytest.mark.parametrize("employment", EMPLOYMENTS)
def test_only_pension_only_and_unemployed_are_declined_for_employment(employment: str) -> None:
    declined = employment in {"pension_only", "unemployed"}
    assert isinstance(decide(app(employment=employment), NO_RECORD), Declined) is declined


@pytest.mark.parametrize(
    ("limit", "default_rate", "rate_at_19_percent"),
    [(10_000, 1780, 1900), (99_999, 1780, 1900), (100_000, 1780, 1800),
     (999_999, 1780, 1800), (1_000_000, 1500, 1500), (5_000_000, 1500, 1500)],
)
def test_the_rate_is_the_policys_lowered_to_the_legal_cap(
    limit: int, default_rate: int, rate_at_19_percent: int,
) -> None:
    assert offer_rate_bp(limit) == default_rate
    assert offer_rate_bp(limit, ScreeningPolicy(rate_bp=1900)) == rate_at_19_percent


@pytest.mark.parametrize(
    ("limit", "other", "needed"),
    [(500_000, 0, False), (500_001, 0, True), (500_000, 500_000, False),
     (500_000, 500_001, True), (10_000, 990_000, False), (10_000, 990_001, True)],
)
def test_income_proof_thresholds_exactly_at_and_one_yen_over(
    limit: int, other: int, needed: bool,
) -> None:
    assert proof_required(limit, other) is needed


@pytest.mark.parametrize(("other", "cap"), [(0, 500_000), (500_000, 500_000),
                                            (500_001, 499_999), (990_000, 10_000),
                                            (1_000_000, 0), (1_200_000, -200_000)])
def test_the_cap_without_proof(other: int, cap: int) -> None:
    assert cap_without_proof(other) == cap


@pytest.mark.parametrize(("income", "other", "expected"),
                         [(30_000, 0, 10_000), (29_999, 0, 9_999), (3_000_000, 1_000_000, 0),
                          (3_000_000, 2_000_000, 0), (2, 0, 0)])
def test_room_is_a_third_of_income_less_other_balances_never_below_0(
    income: int, other: int, expected: int,
) -> None:
    assert room(income, other) == expected


def test_the_figures_screening_judged() -> None:
    found = figures(app(other_balance=100_000, other_count=2), bureau(balance=400_000, count=1))
    assert (found.income, found.other_balance, found.other_count, found.room,
            found.cap_without_proof) == (3_000_000, 400_000, 2, 600_000, 500_000)
    assert figures(app(income_proof=proof(6_000_000)), NO_RECORD).cap_without_proof is None


def test_the_policy_moves_the_ours_numbers() -> None:
    strict = ScreeningPolicy(min_age=20, manual_review_other_count=2,
                             declined_employments=frozenset({"unemployed", "student"}))
    assert decide(app(birth_date=date(2007, 12, 1)), NO_RECORD, strict) == Declined(
        "age_out_of_range")
    assert decide(app(employment="student"), NO_RECORD, strict) == Declined(
        "employment_not_eligible")
    assert decide(app(employment="pension_only"), NO_RECORD, strict) == approved(300_000)
    assert decide(app(other_count=2), NO_RECORD, strict) == ManualReview("many_other_lenders")


@pytest.mark.parametrize("bad", [
    {"min_age": 17}, {"min_age": 75, "max_age": 74}, {"declined_employments": frozenset({"x"})},
    {"manual_review_other_count": 0}, {"rate_bp": 2001}, {"offer_valid_days": 0},
])
def test_a_policy_that_breaks_the_law_or_sense_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ScreeningPolicy(**bad)


@pytest.mark.parametrize("bad", [
    {"requested_limit": 0}, {"requested_limit": 9_999}, {"requested_limit": 15_000},
    {"requested_limit": 5_010_000}, {"annual_income": -1}, {"other_count": 100},
    {"employment": "astronaut"}, {"applied_at": datetime(2026, 12, 1, 12)},
    {"annual_income": True},
])
def test_an_applicant_the_form_would_refuse_is_a_callers_bug(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        app(**bad)


# --- the screener --------------------------------------------------------------------


def test_a_screener_may_approve_up_to_rule_6s_offer() -> None:
    referred = app(other_count=4, annual_income=6_000_000, other_balance=700_000,
                   requested_limit=800_000)
    assert decide(referred, NO_RECORD) == ManualReview("many_other_lenders")
    maximum = screener_maximum(referred, NO_RECORD)
    assert maximum == Offer(300_000, 1780)  # the no-proof cap: 1,000,000 - 700,000
    assert screener_offer(300_000, maximum) == Offer(300_000, 1780)
    assert screener_offer(50_000, maximum) == Offer(50_000, 1780)
    for refused in (310_000, 305_000, 9_999, 0, -10_000):
        assert screener_offer(refused, maximum) is None


def test_the_screener_maximum_is_the_automatic_offer_when_approved() -> None:
    assert screener_maximum(PLAIN, NO_RECORD) == decide(PLAIN, NO_RECORD).offer  # type: ignore[union-attr]


@pytest.mark.parametrize(("applicant", "answer"), [
    (app(other_count=3, employment="unemployed"), NO_RECORD),
    (app(other_count=3), bureau(delinquent=True)),
    (app(other_count=3, annual_income=29_999), NO_RECORD),
    (app(other_count=3, annual_income=6_000_000, other_balance=990_001), NO_RECORD),
])
def test_a_screener_cannot_overrule_rules_1_to_4(applicant: Applicant, answer: BureauAnswer) -> None:
    assert screener_maximum(applicant, answer) is None
    assert screener_offer(10_000, None) is None


def test_every_reason_has_a_rule_and_words_for_the_screener() -> None:
    assert set(messages.SCREENING_REASONS_JA) == set(RULE_OF)
    for code, rule in RULE_OF.items():
        assert messages.SCREENING_REASONS_JA[code].startswith(f"規則{rule}：")
