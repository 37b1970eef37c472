"""What an applicant may see of their application, and the rows as the rules see them.

`view(row)` is the public answer of `GET /v1/applications/{id}` and of every event a
status change publishes: `{id, status, offer?, reason_code?, detail_ja, expires_at?,
documents?}`. It never carries a field the applicant typed, nor the bureau's answer.

`applicant_of` and `bureau_answer_of` turn a row into the domain's values for screening
and for the screener's page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shunfuri import messages
from shunfuri.db.applications import Application
from shunfuri.domain import application_states as states
from shunfuri.domain.age import jst_day
from shunfuri.domain.applicants import Applicant, IncomeProof
from shunfuri.domain.instants import aware, iso_jst
from shunfuri.domain.screening import BureauAnswer, documents_for

WITH_OFFER = frozenset({states.APPROVED, states.CONTRACTED})


def view(row: Application) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row.id, "status": row.status}
    if row.status in WITH_OFFER and row.offer_limit is not None:
        out["offer"] = {"credit_limit": row.offer_limit, "rate_bp": row.offer_rate_bp}
    if row.reason_code is not None and row.status not in WITH_OFFER:
        out["reason_code"] = row.reason_code
    out["detail_ja"] = detail_ja(row)
    if row.expires_at is not None:
        out["expires_at"] = iso_jst(aware(row.expires_at))
    if row.status == states.DOCUMENTS_NEEDED and row.employment is not None:
        out["documents"] = list(documents_for(row.employment))
    return out


def detail_ja(row: Application) -> str:
    if row.status == states.CHECKING and row.last_error is not None:
        return messages.BUREAU_WAIT_JA
    text = messages.APPLICATION_STATUS_JA[row.status]
    if row.status == states.APPROVED and row.offer_limit is not None:
        return text.format(limit=man_yen(row.offer_limit), rate=percent(row.offer_rate_bp),
                           until=last_day(row))
    if row.status == states.DOCUMENTS_NEEDED:
        kinds = documents_for(row.employment) if row.employment else ()
        return text.format(documents="・".join(messages.PROOF_KINDS_JA[k] for k in kinds),
                           until=last_day(row))
    return text


def man_yen(amount: int) -> str:
    """500000 -> 50万円 (offers are whole steps of ¥10,000)."""
    return f"{amount // 10_000:,}万円" if amount % 10_000 == 0 else f"{amount:,}円"


def percent(rate_bp: int | None) -> str:
    """1780 -> 17.8%, 1500 -> 15%."""
    return f"{(rate_bp or 0) / 100:g}%"


def last_day(row: Application) -> str:
    """The last JST day an offer or request is open, as 12月15日."""
    if row.expires_at is None:
        return ""
    day = jst_day(aware(row.expires_at)) - timedelta(days=1)
    return f"{day.month}月{day.day}日"


def applicant_of(row: Application) -> Applicant:
    """The screening's view of the row (its personal fields must not be erased)."""
    proof = None
    if row.proof_kind is not None and row.proof_income is not None:
        proof = IncomeProof(row.proof_kind, row.proof_income)
    assert (row.birth_date is not None and row.employment is not None
            and row.annual_income is not None and row.other_count is not None
            and row.other_balance is not None and row.requested_limit is not None)
    return Applicant(
        birth_date=row.birth_date, employment=row.employment,
        annual_income=row.annual_income, other_count=row.other_count,
        other_balance=row.other_balance,
        requested_limit=row.requested_limit,
        applied_at=aware(row.applied_at), income_proof=proof,
    )


def bureau_answer_of(row: Application) -> BureauAnswer | None:
    """The bureau's answer the row was screened on, or None before one came."""
    if row.bureau_answered_at is None:
        return None
    return BureauAnswer(other_balance=row.bureau_other_balance or 0,
                        other_count=row.bureau_other_count or 0,
                        delinquent=bool(row.bureau_delinquent))


def phones_of(row: Application) -> tuple[str, ...]:
    """Every phone number on the application (for the guessable-PIN rule)."""
    return tuple(p for p in (row.phone, row.employer_phone) if p)
