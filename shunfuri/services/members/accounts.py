"""Members and the staff desk: create, reset PIN, suspend, reinstate, lost card,
reissue, credit limit. Every staff action, allowed or refused, leaves an AuditEntry.

Card numbers are issued by the system: 16 digits, the last a Luhn check digit, so a
mistyped digit is caught as a `validation_error` before it can count as a wrong PIN.
Audit details never carry a PIN, password or full card number (last 4 digits only).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import LoginFailure, Member, MemberEvent
from shunfuri.domain import credit, due_dates, normalise, own_name
from shunfuri.domain.pins import check_pin
from shunfuri.domain.rate_cap import DEFAULT_RATE_BP, cap_bp, check_limit_change, check_rate
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications.facts import known_person
from shunfuri.services.members import passwords, tokens
from shunfuri.services.staff.audit import Actor, audit

__all__ = ["Actor", "audit"]  # re-exported: callers audit through this module

log = logging.getLogger("shunfuri.members")

# Issuer prefix of our cards; the remaining 14 digits are random, the last is Luhn.
CARD_PREFIX = "9"
MAX_CREDIT_LIMIT = 5_000_000
WEB_ID_TAKEN = "This Web-ID is already taken; choose another."

T = TypeVar("T")


@dataclass(frozen=True)
class NewMember:
    member_id: int
    card_number: str


def new_card_number() -> str:
    body = CARD_PREFIX + "".join(
        str(secrets.randbelow(10))
        for _ in range(normalise.CARD_NUMBER_LENGTH - 1 - len(CARD_PREFIX))
    )
    return body + normalise.luhn_check_digit(body)


def card_last4(card_number: str) -> str:
    return card_number[-4:]


def identifier_keys(member: Member, *, pepper: str) -> list[str]:
    """The LoginFailure keys of a member's current identifiers."""
    keys = [passwords.identifier_key("card", member.card_number, pepper=pepper)]
    if member.web_id:
        keys.append(passwords.identifier_key("web", member.web_id, pepper=pepper))
    return keys


# --- audit -------------------------------------------------------------------------


def audited(
    session: Session,
    *,
    actor: str | Actor,
    action: str,
    now: datetime,
    member_id: int | None,
    work: Callable[[], tuple[T, dict[str, Any] | None]],
) -> T:
    """Run a staff action in one transaction with its audit row; audit refusals too.

    `work` returns (result, audit detail). On a refusal the action's changes are
    rolled back and a row with ok=false and the refusal code is committed instead.
    """
    try:
        result, detail = work()
        audit(session, actor=actor, action=action, now=now, member_id=member_id, detail=detail)
        session.commit()
    except ShunfuriError as exc:
        session.rollback()
        audit(
            session, actor=actor, action=action, now=now, member_id=member_id, ok=False,
            detail={"refused": exc.code},
        )
        session.commit()
        raise
    log.info("staff action %s on member %s by %s", action, member_id,
             actor.name if isinstance(actor, Actor) else actor)
    return result


# --- creation ------------------------------------------------------------------------


def _check_credit_limit(value: int) -> None:
    if not 0 <= value <= MAX_CREDIT_LIMIT:
        raise normalise.invalid(
            "credit_limit", f"The credit limit is 0 to {MAX_CREDIT_LIMIT:,} yen."
        )


def web_id_taken() -> ShunfuriError:
    """409 wherever a Web-ID is chosen (staff desk or the member): the request is well
    formed, the name is simply in use."""
    return ShunfuriError("web_id_taken", errors=[{"field": "web_id", "message": WEB_ID_TAKEN}])


def _web_id_free(session: Session, web_id: str, *, member_id: int | None = None) -> None:
    clash = session.scalar(select(Member.id).where(Member.web_id == web_id))
    if clash is not None and clash != member_id:
        raise web_id_taken()


def _free_card_number(session: Session) -> str:
    for _ in range(20):
        number = new_card_number()
        if session.scalar(select(Member.id).where(Member.card_number == number)) is None:
            return number
    raise RuntimeError("could not draw a free card number")  # 10^14 numbers: never happens


# A rate given at creation is a ledger event before any other (the business clock may
# stand before the wall clock, so the creation instant would not do).
SINCE_CREATION = datetime(2000, 1, 1, tzinfo=UTC)


def initial_rate(credit_limit: int) -> int:
    """The default rate (17.8 %), or the legal cap for the limit when that is lower
    (15 % from ¥1,000,000): a member is never created above the cap."""
    return min(DEFAULT_RATE_BP, cap_bp(credit_limit))


def add_member(
    session: Session, *, credit_limit: int, pin: str, web_id: str | None = None,
    password: str | None = None, now: datetime, pepper: str, rate_bp: int | None = None,
    due_day: int | None = None, name_kana: str | None = None,
) -> tuple[NewMember, dict[str, Any]]:
    """The creation itself, in the caller's transaction: no commit and no audit row
    (`create_member` adds both; the contract of an application does the same in its own
    transaction). Returns the new member and the audit detail to record.

    `rate_bp` (default: the default rate, lowered to the legal cap) and `due_day`
    (default 25) are the terms from the start: each is a ledger event before any other,
    as the ledger replays from the defaults. `web_id` and `password` come together or
    not at all."""
    _check_credit_limit(credit_limit)
    clean_pin = normalise.normalise_pin(pin)
    rate = initial_rate(credit_limit) if rate_bp is None else check_rate(rate_bp, credit_limit)
    day = due_dates.DEFAULT_DUE_DAY if due_day is None else due_dates.check_due_day(due_day)
    clean_web_id = None
    password_hash = None
    if (web_id is None) != (password is None):
        raise normalise.invalid(
            "web_id" if web_id is None else "password",
            "A Web-ID and a password are given together or not at all.",
        )
    if web_id is not None and password is not None:
        clean_web_id = normalise.normalise_web_id(web_id)
        clean_password = normalise.normalise_password(password, new=True)
        _web_id_free(session, clean_web_id)
        password_hash = passwords.hash_password(clean_password, pepper=pepper)
    kana, key = own_name.member_kana(name_kana) if name_kana is not None else (None, None)
    card_number = _free_card_number(session)
    member = Member(
        card_number=card_number, web_id=clean_web_id,
        pin_hash=passwords.hash_pin(clean_pin, pepper=pepper), password_hash=password_hash,
        status="active", card_lost=False, credit_limit=credit_limit, outstanding=0, held=0,
        rate_bp=rate, due_day=day, name_kana=kana, name_key=key, created_at=now,
        updated_at=now,
    )
    session.add(member)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create took the same Web-ID
        session.rollback()
        raise web_id_taken() from None
    # The ledger replays from the defaults; terms other than those hold from the start.
    if member.rate_bp != DEFAULT_RATE_BP:
        session.add(MemberEvent(member_id=member.id, at=SINCE_CREATION, kind="rate",
                                value=member.rate_bp, actor="creation"))
    if day != due_dates.DEFAULT_DUE_DAY:
        session.add(MemberEvent(member_id=member.id, at=SINCE_CREATION, kind="due_day",
                                value=day, actor="creation"))
    detail = {
        "credit_limit": credit_limit,
        "card_last4": card_last4(card_number),
        "web_id": clean_web_id is not None,
    }
    return NewMember(member_id=member.id, card_number=card_number), detail


def create_member(
    session: Session,
    *,
    credit_limit: int,
    pin: str,
    web_id: str | None = None,
    password: str | None = None,
    now: datetime,
    pepper: str,
    actor: str | Actor = "staff",
) -> NewMember:
    """Create a member and issue a card number; commits, with an audit row.

    The load test and the transfer pipeline's tests can call this directly with a
    plain session. `web_id` and `password` come together or not at all.
    """
    # The member id is known only after the insert; audit it on the row itself.
    try:
        created, detail = add_member(session, credit_limit=credit_limit, pin=pin,
                                     web_id=web_id, password=password, now=now, pepper=pepper)
    except ShunfuriError as exc:
        session.rollback()
        audit(session, actor=actor, action="create_member", now=now, ok=False,
              detail={"refused": exc.code})
        session.commit()
        raise
    audit(session, actor=actor, action="create_member", now=now, member_id=created.member_id,
          detail=detail)
    session.commit()
    log.info("staff action create_member on member %s by %s", created.member_id,
             actor.name if isinstance(actor, Actor) else actor)
    return created


# --- staff actions on an existing member ------------------------------------------------


def _member_for_update(session: Session, member_id: int) -> Member:
    member = session.scalar(select(Member).where(Member.id == member_id).with_for_update())
    if member is None:
        raise ShunfuriError("not_found:member")
    return member


def _status_without_suspension(session: Session, member: Member, *, pepper: str) -> str:
    """`locked` if any current identifier is locked, else `active`."""
    locked = session.scalar(
        select(LoginFailure.identifier_key).where(
            LoginFailure.identifier_key.in_(identifier_keys(member, pepper=pepper)),
            LoginFailure.locked.is_(True),
        )
    )
    return "locked" if locked else "active"


def reset_pin(
    session: Session, member_id: int, *, pin: str, now: datetime, pepper: str,
    actor: str | Actor = "staff",
) -> Member:
    """The in-person reset: new PIN, lock counters cleared, unlocked, sessions revoked.

    A suspended member stays suspended (a PIN reset is not a reinstatement). For a member
    who joined by application (so we know their birth date and phones) a PIN others
    could guess is refused (`guessable_pin`), as at the contract.
    """

    def work() -> tuple[Member, dict[str, Any]]:
        clean_pin = normalise.normalise_pin(pin)
        member = _member_for_update(session, member_id)
        person = known_person(session, member_id)
        if person is not None:
            check_pin(clean_pin, birth_date=person.birth_date, phones=person.phones)
        member.pin_hash = passwords.hash_pin(clean_pin, pepper=pepper)
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.identifier_key.in_(identifier_keys(member, pepper=pepper))
            )
        )
        was = member.status
        if member.status == "locked":
            member.status = "active"
        member.updated_at = now
        tokens.revoke_all(session, member_id=member.id, now=now)
        return member, {"status_before": was, "status_after": member.status}

    return audited(session, actor=actor, action="reset_pin", now=now, member_id=member_id,
                   work=work)


def suspend(
    session: Session, member_id: int, *, now: datetime, actor: str | Actor = "staff"
) -> Member:
    """利用停止: no login, no transfer; every token stops working at once."""

    def work() -> tuple[Member, dict[str, Any]]:
        member = _member_for_update(session, member_id)
        was = member.status
        member.status = "suspended"
        member.updated_at = now
        tokens.revoke_all(session, member_id=member.id, now=now)
        return member, {"status_before": was}

    return audited(session, actor=actor, action="suspend", now=now, member_id=member_id,
                   work=work)


def reinstate(
    session: Session, member_id: int, *, now: datetime, pepper: str,
    actor: str | Actor = "staff",
) -> Member:
    """Lift a suspension. A member whose login is locked comes back `locked`."""

    def work() -> tuple[Member, dict[str, Any]]:
        member = _member_for_update(session, member_id)
        was = member.status
        if member.status == "suspended":
            member.status = _status_without_suspension(session, member, pepper=pepper)
        member.updated_at = now
        return member, {"status_before": was, "status_after": member.status}

    return audited(session, actor=actor, action="reinstate", now=now, member_id=member_id,
                   work=work)


def report_card_lost(
    session: Session, member_id: int, *, now: datetime, actor: str | Actor = "staff"
) -> Member:
    """Card logins are refused from now on (Web-ID still works); sessions are revoked,
    since whoever holds the card may have used it."""

    def work() -> tuple[Member, dict[str, Any]]:
        member = _member_for_update(session, member_id)
        member.card_lost = True
        member.updated_at = now
        tokens.revoke_all(session, member_id=member.id, now=now)
        return member, {"card_last4": card_last4(member.card_number)}

    return audited(session, actor=actor, action="report_card_lost", now=now,
                   member_id=member_id, work=work)


def reissue_card(
    session: Session, member_id: int, *, now: datetime, actor: str | Actor = "staff"
) -> NewMember:
    """A new card with a new number; the old number stops working."""

    def work() -> tuple[NewMember, dict[str, Any]]:
        member = _member_for_update(session, member_id)
        old = member.card_number
        member.card_number = _free_card_number(session)
        member.card_lost = False
        member.updated_at = now
        detail = {"old_card_last4": card_last4(old), "card_last4": card_last4(member.card_number)}
        return NewMember(member_id=member.id, card_number=member.card_number), detail

    return audited(session, actor=actor, action="reissue_card", now=now, member_id=member_id,
                   work=work)


def set_credit_limit(
    session: Session, member_id: int, *, credit_limit: int, now: datetime,
    actor: str | Actor = "staff",
) -> Member:
    """Change the limit (0-5,000,000 yen); never below what is already used."""

    def work() -> tuple[Member, dict[str, Any]]:
        _check_credit_limit(credit_limit)
        member = _member_for_update(session, member_id)
        used = member.outstanding + member.held
        if credit_limit < used:
            raise normalise.invalid(
                "credit_limit",
                f"The new limit {credit_limit:,} yen is below what the member already uses "
                f"({used:,} yen outstanding and held); it must be at least that.",
            )
        # A higher limit can lower the legal cap below the member's rate (利息制限法).
        check_limit_change(credit_limit, member.rate_bp)
        before = member.credit_limit
        member.credit_limit = credit_limit
        member.updated_at = now
        return member, {"credit_limit_before": before, "credit_limit": credit_limit}

    return audited(session, actor=actor, action="set_credit_limit", now=now,
                   member_id=member_id, work=work)


def get_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise ShunfuriError("not_found:member")
    return member


def available(member: Member) -> int:
    """The domain's rule (`shunfuri.domain.credit.available`) for a member's row."""
    return credit.available(member.credit_limit, member.outstanding, member.held)
