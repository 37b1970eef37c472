"""The contract document by mail, and what becomes of the application's mail address.

The address the applicant gave becomes the new member's *pending* address (mail
settings), confirmed - as every member's address is - only through its single-use link.
The contract document (契約締結時書面) must reach the applicant whatever happens to that
link: it is the document the law requires and the applicant agreed to receive it by mail
at this address. So it goes to the pending address, like the confirmation mail (the one
other kind that does), and carries the confirmation link itself: one mail instead of two,
and nothing else (reminders, notices) is sent to the address until the link is opened.

The outbox keys it by the application id, so however often this runs the document is
queued once. It holds the card number's last four digits only (the composer refuses
anything shaped like a card or account number).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.orm import Session

from shunfuri.db.applications import Application
from shunfuri.domain.contract_terms import terms_for
from shunfuri.mail.compose import ContractDocument
from shunfuri.services.mail import outbox
from shunfuri.services.mail import settings as mail_settings
from shunfuri.services.members.accounts import card_last4


def queue(session: Session, row: Application, *, card_number: str, due_day: int,
          now: datetime, wall: datetime, pepper: str) -> bool:
    """Register the pending address and queue the contract document (the caller
    commits). True if this call queued it."""
    assert row.member_id is not None and row.email is not None
    assert row.offer_limit is not None and row.offer_rate_bp is not None  # contracted
    nonce, expires = mail_settings.start_confirmation(
        session, member_id=row.member_id, address=row.email, wall=wall, pepper=pepper)
    terms = asdict(terms_for(row.offer_limit, row.offer_rate_bp, due_day))
    payload = {
        "contract_id": row.id, "contracted_at": now.isoformat(),
        "card_last4": card_last4(card_number), **terms,
        "nonce": nonce, "confirm_expires_at": expires.isoformat(),
    }
    return outbox.enqueue(session, member_id=row.member_id, to=row.email,
                          kind=ContractDocument.KIND, key=row.id, payload=payload, wall=wall)
