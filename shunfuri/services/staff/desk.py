"""What the staff desk reads: finding a member by whatever the person in front of them
has (a card number typed any way, a Web-ID, a member number) and a member's overview.
The actions themselves are `shunfuri.services.members.accounts` (one rule for the API and the
console)."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shunfuri.db.models import AuditEntry, AuthSession, LoginFailure, Member, Payee, Transfer
from shunfuri.domain import normalise
from shunfuri.domain.ids import MAX_ID
from shunfuri.domain.instants import aware
from shunfuri.domain.pins import guessable_reason
from shunfuri.services.applications.facts import KnownPerson, known_person
from shunfuri.services.credit_review.stops import Stop, stop_of
from shunfuri.services.members import accounts as members
from shunfuri.services.staff.audit import for_member

# The identity documents the article names for a PIN reset at an automatic contract
# machine: a driving licence, or a health insurance card plus one more (a residence
# certificate, 住民票).
ID_DOCUMENTS = {
    "driving_licence": "運転免許証",
    "health_insurance_plus_residence": "健康保険証＋住民票",
}


@dataclass(frozen=True)
class Found:
    members: list[Member]
    searched_as: str  # "card_number", "web_id", "member_id" or "nothing"


def find(session: Session, raw: str) -> Found:
    """A 16-digit number (full-width, hyphens and spaces allowed) is a card number; a
    shorter number a member id; anything else a Web-ID. Nothing found is an empty list,
    never an error."""
    text = normalise.normalise_identifier(raw or "")
    if not text:
        return Found([], "nothing")
    if text.isascii() and text.isdigit():
        if len(text) == normalise.CARD_NUMBER_LENGTH:
            found = session.scalars(select(Member).where(Member.card_number == text)).all()
            return Found(list(found), "card_number")
        if len(text) <= 18 and 1 <= int(text) <= MAX_ID:
            member = session.get(Member, int(text))
            return Found([member] if member else [], "member_id")
        return Found([], "member_id")
    web_id = unicodedata.normalize("NFKC", raw).strip().lower()
    found = session.scalars(select(Member).where(Member.web_id == web_id)).all()
    return Found(list(found), "web_id")


@dataclass(frozen=True)
class Overview:
    member: Member
    available: int
    locked: bool
    locked_since: datetime | None
    transfers: list[Transfer]
    logins: list[AuthSession]
    audit: list[AuditEntry]
    stop: Stop | None = None  # the ongoing review's stop (途上与信), with its reasons


def overview(session: Session, member_id: int, *, pepper: str) -> Overview:
    member = members.get_member(session, member_id)
    lock = session.scalar(
        select(func.max(LoginFailure.updated_at)).where(
            LoginFailure.identifier_key.in_(members.identifier_keys(member, pepper=pepper)),
            LoginFailure.locked.is_(True),
        )
    )
    transfers = session.scalars(
        select(Transfer).where(Transfer.member_id == member_id)
        .order_by(Transfer.accepted_at.desc()).limit(10)
    ).all()
    logins = session.scalars(
        select(AuthSession).where(AuthSession.member_id == member_id)
        .order_by(AuthSession.created_at.desc()).limit(10)
    ).all()
    return Overview(
        member=member, available=members.available(member),
        locked=member.status == "locked" or lock is not None,
        locked_since=aware(lock) if lock is not None else None,
        transfers=list(transfers), logins=list(logins), audit=for_member(session, member_id),
        stop=stop_of(session, member),
    )


def payee_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Payee.id, Payee.bank_name).where(Payee.id.in_(ids))).all()
    return {row.id: row.bank_name for row in rows}


def new_pin(person: KnownPerson | None = None) -> str:
    """A random 4-digit PIN for an in-person reset, never four of one digit or a plain
    run (1234, 9876), which are the first an attacker tries, nor (for a member who joined
    by application) their birth date or a phone number's last four digits."""
    while True:
        pin = f"{secrets.randbelow(10_000):04d}"
        steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
        if steps in ({0}, {1}, {-1}):
            continue
        if person is None or guessable_reason(pin, birth_date=person.birth_date,
                                              phones=person.phones) is None:
            return pin


def reset_pin(session: Session, member_id: int, *, document: str, now: datetime,
              pepper: str, by: members.Actor) -> str:
    """The desk's PIN reset: the document checked is recorded; returns the new PIN (to be
    shown once, never stored or logged in the clear)."""
    if document not in ID_DOCUMENTS:
        raise normalise.invalid("document", "Choose the identity document you checked.")
    pin = new_pin(known_person(session, member_id))
    who = members.Actor(by.name, source=by.source, reason=by.reason,
                        detail={**by.detail, "id_document": document})
    members.reset_pin(session, member_id, pin=pin, now=now, pepper=pepper, actor=who)
    return pin

