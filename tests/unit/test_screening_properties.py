"""Properties of screening over any applicant and bureau answer, and an oracle: the spec's
six rules written out again, plainly, in the spec's own order and words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shunfuri.domain.applicants import EMPLOYMENTS, PROOF_KINDS, Applicant, IncomeProof
from shunfuri.domain.lending_act import proof_required
from shunfuri.domain.rate_cap import cap_bp
from shunfuri.domain.screening import (
    Approved,
    BureauAnswer,
    ManualReview,
    before_bureau,
    decide,
    screener_maximum,
)
from shunfuri.domain.screening_policy import ScreeningPolicy
from tests.examples import examples

# Figures near the rules' edges are drawn as often as figures anywhere, and most
# applicants get past rule 1 and 2, so that every later rule is reached often.
EDGES = [0, 1, 29_999, 30_000, 500_000, 500_001, 990_000, 990_001, 1_000_000, 1_000_001]
incomes = st.integers(2_000_000, 12_000_000)
yen = st.one_of(incomes, incomes, st.integers(0, 12_000_000), st.sampled_from(EDGES),
                st.sampled_from(EDGES).map(lambda v: v * 3), st.sampled_from(EDGES).map(
                    lambda v: v * 3 + 2))
balances = st.one_of(st.integers(0, 300_000), st.integers(0, 1_200_000),
                     st.integers(900_000, 1_400_000), st.sampled_from(EDGES))
counts = st.sampled_from([0, 0, 0, 1, 2, 2, 3, 4])
applied = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(UTC))
births = st.one_of(st.dates(min_value=date(1960, 1, 1), max_value=date(2004, 12, 31)),
                   st.dates(min_value=date(1945, 1, 1), max_value=date(2012, 12, 31)))
employments = st.sampled_from(EMPLOYMENTS[:6] * 4 + EMPLOYMENTS[6:])
proofs = st.none() | st.builds(IncomeProof, st.sampled_from(PROOF_KINDS), yen)
applicants = st.builds(
    Applicant, birth_date=births, employment=employments, annual_income=yen,
    other_count=counts, other_balance=balances,
    requested_limit=st.integers(1, 500).map(lambda n: n * 10_000), applied_at=applied,
    income_proof=proofs,
)
answers = st.builds(BureauAnswer, other_balance=balances, other_count=counts,
                    delinquent=st.sampled_from([False, False, False, True]))


def oracle(a: Applicant, b: BureauAnswer) -> tuple[str, object]:
    """application.md, "Screening", rules 1-6, read literally."""
    jst = (a.applied_at + timedelta(hours=9)).date()
    age = jst.year - a.birth_date.year - ((jst.month, jst.day) < (a.birth_date.month,
                                                                   a.birth_date.day))
    income = a.income_proof.annual_income if a.income_proof else a.annual_income
    if not 18 <= age <= 74 or a.employment in ("unemployed", "pension_only") or income < 1:
        return ("declined", None)
    if b.delinquent:
        return ("declined", None)
    other_balance = max(b.other_balance, a.other_balance)
    other_count = max(b.other_count, a.other_count)
    room = max(0, income // 3 - other_balance)
    if room < 10_000:
        return ("declined", None)
    cap = min(500_000, 1_000_000 - other_balance)
    if cap < 10_000 and a.income_proof is None:
        return ("documents_needed", None)
    if other_count >= 3:
        return ("manual_review", None)
    limit = min(a.requested_limit, room, cap if a.income_proof is None else 10**12)
    limit = limit // 10_000 * 10_000
    if limit < 100_000:
        legal = 2000
    elif limit < 1_000_000:
        legal = 1800
    else:
        legal = 1500
    return ("approved", (limit, min(1780, legal)))


@settings(max_examples=examples(1000), deadline=None)
@given(a=applicants, b=answers)
def test_decisions_match_the_spec_read_literally(a: Applicant, b: BureauAnswer) -> None:
    decision = decide(a, b)
    status, offer = oracle(a, b)
    assert decision.status == status
    if isinstance(decision, Approved):
        assert (decision.offer.credit_limit, decision.offer.rate_bp) == offer


@settings(max_examples=examples(600), deadline=None)
@given(a=applicants, b=answers)
def test_an_approved_offer_respects_every_bound(a: Applicant, b: BureauAnswer) -> None:
    decision = decide(a, b)
    if not isinstance(decision, Approved):
        return
    limit, rate = decision.offer.credit_limit, decision.offer.rate_bp
    other = max(a.other_balance, b.other_balance)
    assert 10_000 <= limit <= min(a.requested_limit, 5_000_000)
    assert limit <= a.income // 3 - other  # never beyond the room
    assert limit % 10_000 == 0
    assert rate <= cap_bp(limit) and rate <= 1780
    if a.income_proof is None:
        assert limit <= 500_000 and limit + other <= 1_000_000
        assert not proof_required(limit, other)


@settings(max_examples=examples(300), deadline=None)
@given(a=applicants, b=answers)
def test_decisions_are_deterministic_and_rule_1_is_decided_before_the_bureau(
    a: Applicant, b: BureauAnswer,
) -> None:
    assert decide(a, b) == decide(replace(a), replace(b))
    early = before_bureau(a)
    if early is not None:
        assert decide(a, b) == early


@settings(max_examples=examples(600), deadline=None)
@given(a=applicants, b=answers)
def test_the_screener_maximum_is_rule_6s_offer(a: Applicant, b: BureauAnswer) -> None:
    decision = decide(a, b)
    maximum = screener_maximum(a, b)
    if isinstance(decision, Approved):
        assert maximum == decision.offer
    elif isinstance(decision, ManualReview):
        # The same application with rule 5 out of the way is approved with exactly that.
        without_rule_5 = decide(a, b, ScreeningPolicy(manual_review_other_count=99))
        assert isinstance(without_rule_5, Approved) and maximum == without_rule_5.offer
    else:
        assert maximum is None
