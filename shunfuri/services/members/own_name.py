"""本人名義: once a member's name in kana is known, 瞬フリ pays into and collects from
accounts in that name only. The rule (what counts as the same name) is
`shunfuri.domain.own_name`; this module records the name and applies the rule where
money could go: registering a payee (`services.members.payees`), accepting a transfer
(`services.transfers.accept`, both paths) and a repayment (`services.repayments.accept`).

The name comes from the application at contract, or the desk records it for members
who never applied (staff console and `PUT /v1/admin/members/{id}/name-kana`), audited
with the name before and after. Payees registered before it was known stay listed, and
are refused for money with the same code as a new one would be.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from shunfuri.db.models import Member, Payee
from shunfuri.domain import own_name
from shunfuri.errors import ShunfuriError
from shunfuri.services.members.accounts import audited
from shunfuri.services.staff.audit import Actor


def refusal(*, registering: bool) -> ShunfuriError:
    """`payee_not_own_name`, for a new payee or for money to one registered earlier."""
    if registering:
        return ShunfuriError(
            "payee_not_own_name",
            errors=[{"field": "holder_name", "message": "not the member's own name"}],
        )
    return own_name.refusal_for_money()


def check(member_key: str | None, holder_name: str, *, registering: bool = False) -> None:
    if not own_name.is_own(member_key, holder_name):
        raise refusal(registering=registering)


def sql_is_own() -> ColumnElement[bool]:
    """`domain.own_name.is_own` as SQL, for the one-statement transfer acceptance (a
    payee's stored holder name is already in Zengin form: its key is it without spaces)."""
    return or_(Member.name_key.is_(None),
               func.replace(Payee.holder_name, " ", "") == Member.name_key)


def not_own_ids(session: Session, member: Any) -> set[int]:
    """The member's payees that money may not use (none while the name is unknown)."""
    key = getattr(member, "name_key", None)
    if key is None:
        return set()
    rows = session.execute(
        select(Payee.id, Payee.holder_name).where(Payee.member_id == member.id)).all()
    return {pid for pid, holder in rows if not own_name.is_own(key, holder)}


def record_name_kana(
    session: Session, member_id: int, *, name_kana: str, now: datetime,
    actor: str | Actor = "staff",
) -> Member:
    """Record (or correct) the member's name in kana; commits with an audit row naming
    the name before and after and how many payees it leaves unusable for money."""

    def work() -> tuple[Member, dict[str, Any]]:
        kept, key = own_name.member_kana(name_kana)
        member = session.scalar(select(Member).where(Member.id == member_id).with_for_update())
        if member is None:
            raise ShunfuriError("not_found:member")
        before = member.name_kana
        member.name_kana, member.name_key = kept, key
        member.updated_at = now
        session.flush()
        return member, {"name_kana_before": before, "name_kana": kept,
                        "payees_not_own_name": len(not_own_ids(session, member))}

    return audited(session, actor=actor, action="set_name_kana", now=now,
                   member_id=member_id, work=work)
