"""The contract: the applicant accepts the offer and becomes a member
(`POST /v1/applications/{id}/contract`).

`terms` is what the page before acceptance shows (契約締結前書面). `contract`, in one
transaction with the application locked:

1. `already_contracted` (409, with `member_id`; the card number is never shown again)
   for a second call, whoever makes it; an offer past its 14 days is recorded `expired`
   and refused (`application_expired`); anything but `approved` is `offer_not_open`.
2. The acceptance: `agree` must be true (it covers the terms and electronic delivery of
   the contract documents); the PIN must be one nobody can guess from the application
   (`guessable_pin`: birth date, phone numbers, runs, repeats); the due day is 5, 15, 25
   or 31 (month end); a Web-ID and password follow the members' rules.
3. The member is created through `members.add_member` - the staff desk's path - with the
   offer's limit and rate, the chosen due day and the application's kana name, audited
   as `create_member` with the applicant (`applicant:<application id>`) as actor; the
   application moves to `contracted` through the door, linked to the member, with the
   consent to electronic delivery recorded.
4. Mail (`contract_mail`): the application's address becomes the member's pending
   address, and the contract document goes to it through the outbox, once (keyed by the
   application), the card number masked, with the address's confirmation link in it.

All of it commits together or not at all; a refusal after the token check is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shunfuri.db.applications import Application
from shunfuri.domain import application_states as states
from shunfuri.domain.contract_terms import Terms, terms_for
from shunfuri.domain.pins import check_pin
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import contract_mail, events
from shunfuri.services.applications.access import authorised
from shunfuri.services.applications.documents import expire_if_due
from shunfuri.services.applications.transitions import Move, move
from shunfuri.services.applications.views import phones_of, view
from shunfuri.services.members import accounts as members
from shunfuri.services.staff.audit import Actor, audit


@dataclass(frozen=True)
class Contracted:
    member_id: int
    card_number: str  # shown once, to the applicant; never stored elsewhere, never mailed

    def __repr__(self) -> str:
        return f"Contracted(member_id={self.member_id})"


@dataclass(frozen=True)
class OpenOffer:
    """The page before acceptance: the offer's terms and until when it is open."""

    application: dict[str, Any]  # the public view
    terms: Terms


def terms(session: Session, application_id: str, token: str, *, now: datetime,
          wall: datetime) -> OpenOffer:
    """The terms of the open offer (契約締結前書面), or the refusal `contract` would give."""
    row = authorised(session, application_id, token, for_update=True)
    _open_or_refuse(session, row, now=now, wall=wall)
    assert row.offer_limit is not None and row.offer_rate_bp is not None  # open: approved
    offer = OpenOffer(view(row), terms_for(row.offer_limit, row.offer_rate_bp))
    session.rollback()
    return offer


def _open_or_refuse(session: Session, row: Application, *, now: datetime,
                    wall: datetime) -> None:
    if row.status == states.CONTRACTED:
        member_id = row.member_id
        session.rollback()
        raise ShunfuriError("already_contracted", member_id=member_id)
    expire_if_due(session, row, now=now, wall=wall)
    if row.status != states.APPROVED:
        status = row.status
        session.rollback()
        raise ShunfuriError("offer_not_open", application_status=status)


def contract(session: Session, application_id: str, token: str, *, agree: bool, pin: str,
             due_day: int, web_id: str | None = None, password: str | None = None,
             now: datetime, wall: datetime, pepper: str) -> Contracted:
    """Accept the offer; commits; the new member's id and card number (see the module)."""
    row = authorised(session, application_id, token, for_update=True)
    _open_or_refuse(session, row, now=now, wall=wall)
    assert row.offer_limit is not None  # open: approved, with a limit
    actor = Actor(f"applicant:{row.id}")
    try:
        if agree is not True:
            raise ShunfuriError("validation_error", errors=[{
                "field": "agree", "code": "must_agree",
                "message": "Agree to the terms (true) to make the contract.",
                "message_ja": "契約内容と書面の電子交付にご同意のうえ、お申し込みください。"}])
        clean_pin = check_pin(pin, birth_date=row.birth_date, phones=phones_of(row))
        created, detail = members.add_member(
            session, credit_limit=row.offer_limit, pin=clean_pin,
            web_id=web_id, password=password, now=wall, pepper=pepper,
            rate_bp=row.offer_rate_bp, due_day=due_day, name_kana=row.name_kana)
    except ShunfuriError as refused:
        session.rollback()
        audit(session, actor=actor, action="create_member", now=wall, ok=False,
              detail={"refused": refused.code, "application_id": application_id})
        session.commit()
        raise
    move(row, Move.CONTRACT, now=now, wall=wall)
    row.member_id, row.e_delivery_consent_at = created.member_id, now
    audit(session, actor=actor, action="create_member", now=wall, member_id=created.member_id,
          detail={**detail, "application_id": row.id, "electronic_delivery": True})
    contract_mail.queue(session, row, card_number=created.card_number, due_day=due_day,
                        now=now, wall=wall, pepper=pepper)
    current = view(row)
    session.commit()
    events.announce([(row.id, current)])
    return Contracted(created.member_id, created.card_number)
