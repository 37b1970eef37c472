"""Helpers for the ongoing review's tests: members who joined by application (the review
asks the bureau about them by the application's birth date and phone), with a balance,
and a review context on the bureau simulator process."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from shunfuri.db.applications import Application
from shunfuri.db.credit_reviews import CreditReview
from shunfuri.db.models import AuditEntry, Member
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from shunfuri.gateway.bureau import HttpBureauGateway
from shunfuri.services.credit_review import worker
from tests import factories
from tests.integration.test_dues import advance

JAN_4 = datetime(2027, 1, 4, 10, 0, tzinfo=JST)  # a Monday of the review month 2027-01
WALL = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
KANA = "ヤマダ ハナコ"
BIRTH = date(1990, 4, 1)
_phones = itertools.count(20_000_000)


def new_phone() -> str:
    return f"080{next(_phones):08d}"


def joined_member(*, credit_limit: int = 300_000, income: int = 3_000_000,
                  proof_income: int | None = None, principal: int = 100_000,
                  phone: str | None = None, pin: str | None = None) -> tuple[int, str]:
    """A member made by a contracted application (income `income`, or the proof's), owing
    `principal` from one advance in November; returns (member id, phone). With `pin`,
    the member can log in with their card number and it."""
    phone = phone or new_phone()
    member_id = factories.member(credit_limit=credit_limit, name_kana=KANA)
    if pin is not None:
        from shunfuri.services.members import passwords
        from shunfuri.services.members.accounts import new_card_number
        from shunfuri.settings import get_settings

        with session_factory().begin() as session:
            row = session.get(Member, member_id)
            row.card_number = new_card_number()  # a check digit a login accepts
            row.pin_hash = passwords.hash_pin(
                pin, pepper=get_settings().pin_pepper.get_secret_value())
    at = datetime(2026, 11, 2, 10, tzinfo=JST)
    with session_factory().begin() as session:
        session.add(Application(
            id=str(uuid.uuid4()), status="contracted", token_hash="0" * 64,
            name_kanji="山田 花子", name_kana=KANA, birth_date=BIRTH, phone=phone,
            email="hanako@example.jp", postal_code="1500001", address="東京都渋谷区神宮前1-2-3",
            employment="employee", employer_name="株式会社サンプル", employer_phone="0312345678",
            annual_income=income, other_count=0, other_balance=0, requested_limit=credit_limit,
            proof_kind="payslip" if proof_income is not None else None, proof_income=proof_income,
            offer_limit=credit_limit, offer_rate_bp=1780, applied_at=at, status_at=at,
            ended_at=at, member_id=member_id, created_at=at, updated_at=at))
    if principal:
        payee = factories.payee(member_id, holder_name="ﾔﾏﾀﾞ ﾊﾅｺ")
        advance(member_id, payee, principal, at)
        with session_factory().begin() as session:
            session.get(Member, member_id).outstanding = principal
    return member_id, phone


class Clocks:
    """The business clock standing at `now`; the real clock movable (leases, backoff)."""

    def __init__(self, now: datetime = JAN_4, wall: datetime = WALL) -> None:
        self.business, self.real = now, wall

    def now(self) -> datetime:
        return self.business

    def wall(self) -> datetime:
        return self.real

    def later(self, seconds: float) -> None:
        self.real += timedelta(seconds=seconds)


def context(bureau: Any, clocks: Clocks, *, timeout: float = 2.0, **changes: Any
            ) -> worker.Context:
    values: dict[str, Any] = dict(
        sessions=session_factory(), bureau=HttpBureauGateway(bureau.url, timeout=timeout),
        now=clocks.now, wall=clocks.wall)
    values.update(changes)
    return worker.Context(**values)


def member(member_id: int) -> Member:
    with session_factory()() as session:
        row = session.get(Member, member_id)
        session.expunge(row)
        return row


def reviews(member_id: int) -> list[CreditReview]:
    with session_factory()() as session:
        rows = list(session.scalars(select(CreditReview).where(
            CreditReview.member_id == member_id).order_by(CreditReview.id)))
        session.expunge_all()
        return rows


def audit_rows(action: str) -> list[AuditEntry]:
    with session_factory()() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)))


def stop(member_id: int, reasons: str = "over_total_volume", *, since: datetime = JAN_4) -> None:
    """The review's stop written straight to the member row (the worker's path has tests
    of its own)."""
    with session_factory().begin() as session:
        row = session.get(Member, member_id)
        row.credit_review_since, row.credit_review_reasons = since, reasons


def unstop(member_id: int) -> None:
    with session_factory().begin() as session:
        row = session.get(Member, member_id)
        row.credit_review_since = row.credit_review_reasons = None


def card_of(member_id: int) -> str:
    return member(member_id).card_number
