"""A member's mail address and the four settings (spec/repayment.md, "Mail").

One address per member, used only once confirmed through a link (single use, 24 h).
Registering an address puts it in `pending_address` and queues the confirmation mail
(the only mail that goes to an unconfirmed address); the confirmed address, if any,
keeps receiving mail until the new one is confirmed. The link's token is derived from a
nonce (`outbox.confirmation_token`); the database keeps only its SHA-256.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shunfuri.db.models import MemberMail, OutgoingMail
from shunfuri.errors import ShunfuriError
from shunfuri.services.mail import outbox
from shunfuri.services.members.tokens import digest

CONFIRM_TTL = timedelta(hours=24)
# Confirmation mails a member may have sent in a day: registering is the one way a member
# makes us mail an address nobody confirmed, so it must not become a way to flood one.
CONFIRMATIONS_PER_DAY = 5
DAYS_BEFORE = (0, 1, 3, 7)
SETTING_NAMES = ("remind", "remind_days_before", "notify_transfer_settled",
                 "notify_repayment_received", "notify_overdue")


@dataclass(frozen=True)
class MailSettings:
    address: str | None
    pending_address: str | None
    pending_expires_at: datetime | None
    remind: bool
    remind_days_before: int
    notify_transfer_settled: bool
    notify_repayment_received: bool
    notify_overdue: bool


_DEFAULTS: dict[str, Any] = dict(remind=True, remind_days_before=3, notify_transfer_settled=True,
                 notify_repayment_received=True, notify_overdue=True)


def view(row: MemberMail | None, *, wall: datetime) -> MailSettings:
    if row is None:
        return MailSettings(None, None, None, **_DEFAULTS)
    pending = row.pending_address
    expires = row.token_expires_at
    if pending is not None and (expires is None or expires <= wall):
        pending, expires = None, None  # an expired link is as good as none
    return MailSettings(
        address=row.address if row.confirmed_at is not None else None,
        pending_address=pending, pending_expires_at=expires,
        **{name: getattr(row, name) for name in SETTING_NAMES},
    )


def get(session: Session, *, member_id: int, wall: datetime) -> MailSettings:
    return view(session.get(MemberMail, member_id), wall=wall)


def _row_for_update(session: Session, member_id: int, wall: datetime) -> MemberMail:
    """The member's row, locked (made with the defaults first if there is none: two
    first requests at once must not both insert it)."""
    session.execute(insert(MemberMail).values(member_id=member_id, updated_at=wall, **_DEFAULTS)
                    .on_conflict_do_nothing(index_elements=["member_id"]))
    return session.scalars(
        select(MemberMail).where(MemberMail.member_id == member_id).with_for_update()
    ).one()


def update_settings(session: Session, *, member_id: int, wall: datetime,
                    **values: bool | int) -> MailSettings:
    """Change any of the four settings (the others stay); commits."""
    unknown = set(values) - set(SETTING_NAMES)
    if unknown:
        raise ValueError(f"unknown mail settings: {sorted(unknown)}")
    days = values.get("remind_days_before")
    if days is not None and days not in DAYS_BEFORE:
        raise ShunfuriError("validation_error", errors=[{
            "field": "remind_days_before", "message": "must be 0, 1, 3 or 7 days"}])
    row = _row_for_update(session, member_id, wall)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = wall
    session.commit()
    return view(row, wall=wall)


# The shape the API's schema states (name@domain.tld, no spaces or control characters,
# written so that JSON Schema, pydantic and `re` read it alike); email-validator then
# holds the finer rules no pattern says well (dots, label lengths, special-use domains).
ADDRESS_SHAPE = r"^[^@\u0000-\u0020\u007f]+@[^@\u0000-\u0020\u007f]+\.[^@\u0000-\u0020\u007f]+$"
FINER_RULES = "refused by the mail address rules"


def normalise_address(raw: str) -> str:
    """The address as it will be used, or `validation_error` (syntax only: no DNS at
    registration; the confirmation link proves the mailbox exists)."""
    if not re.match(ADDRESS_SHAPE, raw):
        raise ShunfuriError("validation_error", errors=[{
            "field": "address", "message": "not a mail address (name@domain, no spaces)"}])
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ShunfuriError("validation_error", errors=[{
            "field": "address", "message": f"{FINER_RULES}: {exc}"}]) from None
    address = checked.normalized
    if len(address) > 254:
        raise ShunfuriError("validation_error", errors=[{
            "field": "address", "message": "at most 254 characters"}])
    return address


def register_address(session: Session, *, member_id: int, address: str, wall: datetime,
                     pepper: str) -> MailSettings:
    """Start confirming `address`: a new single-use link (any earlier one stops working)
    is queued to it; commits."""
    address = normalise_address(address)
    row = _row_for_update(session, member_id, wall)
    _limit_confirmations(session, member_id, wall)
    nonce, expires = _pend(row, address, wall=wall, pepper=pepper)
    outbox.enqueue(session, member_id=member_id, to=address, kind="address_confirmation",
                   key=nonce, payload={"nonce": nonce, "expires_at": expires.isoformat()},
                   wall=wall)
    session.commit()
    return view(row, wall=wall)


def start_confirmation(session: Session, *, member_id: int, address: str, wall: datetime,
                       pepper: str) -> tuple[str, datetime]:
    """Make `address` (already normalised: `normalise_address`, or the application's
    reading of it, which is the same rule) the member's pending address with a new
    single-use link, without queueing the confirmation mail: the caller mails the link
    inside a mail of its own (the contract document does). Returns (nonce, expiry) for
    that mail; the caller commits."""
    row = _row_for_update(session, member_id, wall)
    return _pend(row, address, wall=wall, pepper=pepper)


def _pend(row: MemberMail, address: str, *, wall: datetime, pepper: str) -> tuple[str, datetime]:
    nonce = secrets.token_hex(16)
    expires = wall + CONFIRM_TTL
    row.pending_address = address
    row.token_expires_at = expires
    row.token_hash = digest(outbox.confirmation_token(pepper, nonce))
    row.updated_at = wall
    return nonce, expires


def _limit_confirmations(session: Session, member_id: int, wall: datetime) -> None:
    """`too_many_requests` once CONFIRMATIONS_PER_DAY were queued in the last 24 h (the
    caller holds the member's `member_mail` row, so two requests cannot both pass)."""
    sent = session.scalars(
        select(OutgoingMail.created_at).where(
            OutgoingMail.member_id == member_id, OutgoingMail.kind == "address_confirmation",
            OutgoingMail.created_at > wall - timedelta(days=1))
        .order_by(OutgoingMail.created_at)
    ).all()
    if len(sent) >= CONFIRMATIONS_PER_DAY:
        retry_after = max(1, math.ceil((sent[0] + timedelta(days=1) - wall).total_seconds()))
        raise ShunfuriError("too_many_requests:confirmation_mails",
                            facts={"per_day": CONFIRMATIONS_PER_DAY}, retry_after=retry_after)


def confirm(session: Session, *, token: str, wall: datetime) -> str:
    """Confirm the address a link was sent to; returns it. The link works once, for 24 h;
    anything else is `mail_link_invalid` (nothing changes). Commits."""
    token = token.strip()
    if not token or len(token) > 128 or not token.isascii():
        raise ShunfuriError("mail_link_invalid")
    wanted = digest(token)
    row = session.scalars(
        select(MemberMail).where(MemberMail.token_hash == wanted).with_for_update()
    ).one_or_none()
    if (row is None or row.token_hash is None or not hmac.compare_digest(row.token_hash, wanted)
            or row.pending_address is None or row.token_expires_at is None
            or row.token_expires_at <= wall):
        raise ShunfuriError("mail_link_invalid")
    address = row.pending_address
    row.address, row.confirmed_at = address, wall
    row.pending_address = row.token_hash = row.token_expires_at = None
    row.updated_at = wall
    session.commit()
    return address
