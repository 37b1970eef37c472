"""Staff accounts: one person, one login ID, a password and a one-time code (TOTP), and
one role; their console sessions; and what each role may do.

Login is two factors in one form: login ID + password + the 6-digit code of the
authenticator app. An account whose TOTP is not enrolled yet (just made by
`shunfuri staff add`) gets an `enrol` session after the password, good only for the
enrolment page (a QR code, then a first code), and a `full` session once a code
matches. Five wrong attempts in a row lock the account for 15 minutes; every attempt,
allowed or refused, is audited (never with what was typed as a secret). A code is
accepted once: the time step of the last accepted code is stored, so a code seen over
someone's shoulder cannot be replayed.

Roles (`PERMISSIONS`): `desk` finds members, resets a PIN after an identity check,
reports a lost card and reissues one; `operator` watches the queue and resolves
transfers in doubt with the bank; `supervisor` may do all of that, suspends and
reinstates members, changes credit limits, adds staff accounts and reads the whole
audit log. The pages check the permission of
every request on the server.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import StaffAccount, StaffSession
from shunfuri.domain import normalise
from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import passwords, tokens
from shunfuri.services.staff.audit import Actor, audit

log = logging.getLogger("shunfuri.staff")

ROLES = ("desk", "operator", "supervisor")
DESK = frozenset({"member.view", "member.reset_pin", "member.card"})
OPERATOR = frozenset({"queue.view", "transfer.inquire"})
SUPERVISOR = DESK | OPERATOR | frozenset(
    {"member.suspend", "member.limit", "audit.view", "staff.manage"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "desk": DESK, "operator": OPERATOR, "supervisor": SUPERVISOR,
}

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
ISSUER = "瞬フリ スタッフ"
_LOGIN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{2,47}", re.ASCII)
_CODE = re.compile(r"[0-9]{6}", re.ASCII)


@dataclass(frozen=True)
class StaffLogin:
    token: str
    kind: str  # "full" or "enrol"
    staff_id: int


def normalise_login_id(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    if not _LOGIN_ID.fullmatch(text):
        raise normalise.invalid(
            "login_id", "A login ID is 3-48 of a-z, 0-9, '.', '_' and '-', starting with a "
            "letter or digit.")
    return text


def may(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def actor(account: StaffAccount, source: str | None, *, reason: str | None = None,
          **detail: object) -> Actor:
    return Actor(f"staff:{account.login_id}", source=source, reason=reason,
                 detail={"role": account.role, **detail})


# --- accounts ------------------------------------------------------------------------------


def create_account(session: Session, *, login_id: str, name: str, role: str, password: str,
                   now: datetime, pepper: str, by: Actor) -> StaffAccount:
    """A new account with a fresh TOTP secret (enrolled at its first login); commits."""
    clean_id = normalise_login_id(login_id)
    clean_name = (name or "").strip()
    if not 1 <= len(clean_name) <= 64:
        raise normalise.invalid("name", "A name is 1-64 characters.")
    if role not in ROLES:
        raise normalise.invalid("role", f"The role is one of {', '.join(ROLES)}.")
    clean_password = normalise.normalise_password(password, new=True)
    account = StaffAccount(
        login_id=clean_id, name=clean_name, role=role,
        password_hash=passwords.hash_password(clean_password, pepper=pepper),
        totp_secret=pyotp.random_base32(), created_at=now,
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise normalise.invalid("login_id", "This login ID is already taken.") from None
    audit(session, actor=by, action="staff_create", now=now,
          detail={"login_id": clean_id, "new_role": role})
    session.commit()
    return account


def list_accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.login_id)))


def provisioning_uri(account: StaffAccount) -> str:
    """What the QR code holds (otpauth://totp/...); the secret is in it: show it only to
    the account's own enrol session."""
    return pyotp.TOTP(account.totp_secret).provisioning_uri(
        name=account.login_id, issuer_name=ISSUER)


# --- login ---------------------------------------------------------------------------------


def attempt(session: Session, *, login_id: str, password: str, code: str, now: datetime,
            pepper: str, ttl_seconds: int, source: str | None,
            unix: float | None = None) -> StaffLogin:
    """One login; commits its bookkeeping and audit row whatever the answer.

    Refusals: `validation_error` (malformed, not counted), `invalid_credentials` (any
    of the three wrong, counted; which one is never said), `account_locked`."""
    try:
        clean_id = normalise_login_id(login_id)
    except ShunfuriError:
        audit(session, actor=Actor("unauthenticated", source=source), action="staff_login",
              now=now, ok=False, detail={"refused": "validation_error"})
        session.commit()
        raise
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.login_id == clean_id).with_for_update())
    who = Actor(f"staff:{clean_id}", source=source)
    try:
        result = _attempt(session, account, password=password, code=code, now=now,
                          pepper=pepper, ttl_seconds=ttl_seconds,
                          unix=time.time() if unix is None else unix)
    except ShunfuriError as exc:
        audit(session, actor=who, action="staff_login", now=now, ok=False,
              detail={"refused": exc.code, "known": account is not None})
        session.commit()
        raise
    audit(session, actor=who, action="staff_login", now=now,
          detail={"role": account.role, "session": result.kind})
    session.commit()
    return result


def _attempt(session: Session, account: StaffAccount | None, *, password: str, code: str,
             now: datetime, pepper: str, ttl_seconds: int, unix: float) -> StaffLogin:
    stored = account.password_hash if account is not None else None
    password_ok = passwords.verify_password(stored, password or "", pepper=pepper)
    if account is None or (account.disabled and not password_ok):
        raise ShunfuriError("invalid_credentials")
    if account.disabled:  # said only to whoever knows the password
        raise ShunfuriError("forbidden", "This staff account is disabled.")
    if account.locked_until is not None and aware(account.locked_until) > now:
        raise ShunfuriError("account_locked", retry_at=account.locked_until.isoformat())
    enrolled = account.totp_enrolled_at is not None
    code_ok = not enrolled or _take_code(account, code, unix)
    if not (password_ok and code_ok):
        account.failures += 1
        if account.failures >= MAX_FAILURES:
            account.failures = 0
            account.locked_until = now + LOCK_FOR
        raise ShunfuriError("invalid_credentials")
    account.failures = 0
    account.locked_until = None
    kind = "full" if enrolled else "enrol"
    return StaffLogin(_issue(session, account, kind, now, ttl_seconds), kind, account.id)


def _take_code(account: StaffAccount, code: str, unix: float) -> bool:
    """The code of this 30-second step or the one either side (clock drift), once."""
    clean = normalise.normalise_identifier(code or "")
    if not _CODE.fullmatch(clean):
        return False
    totp = pyotp.TOTP(account.totp_secret)
    step = int(unix // totp.interval)
    for candidate in (step - 1, step, step + 1):
        if candidate > account.totp_last_step and pyotp.utils.strings_equal(
            totp.at(candidate * totp.interval), clean
        ):
            account.totp_last_step = candidate
            return True
    return False


def enrol(session: Session, *, account_id: int, token: str, code: str, now: datetime,
          ttl_seconds: int, source: str | None, unix: float | None = None) -> StaffLogin:
    """The first code from the authenticator app: TOTP is enrolled, the enrol session
    ends and a full one begins. A wrong code is counted like a wrong login."""
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.id == account_id).with_for_update())
    if account is None or account.totp_enrolled_at is not None:
        raise ShunfuriError("not_authenticated")
    who = actor(account, source)
    if not _take_code(account, code, time.time() if unix is None else unix):
        account.failures += 1
        if account.failures >= MAX_FAILURES:
            account.failures = 0
            account.locked_until = now + LOCK_FOR
            _revoke(session, account.id, now)
        audit(session, actor=who, action="staff_totp_enrol", now=now, ok=False,
              detail={"refused": "invalid_code"})
        session.commit()
        raise ShunfuriError("validation_error",
                            errors=[{"field": "code", "message": "wrong one-time code"}])
    account.failures = 0
    account.totp_enrolled_at = now
    session.execute(update(StaffSession).where(StaffSession.token_hash == tokens.digest(token))
                    .values(revoked_at=now))
    new = _issue(session, account, "full", now, ttl_seconds)
    audit(session, actor=who, action="staff_totp_enrol", now=now)
    session.commit()
    return StaffLogin(new, "full", account.id)


def _issue(session: Session, account: StaffAccount, kind: str, now: datetime,
           ttl_seconds: int) -> str:
    token = tokens.new_token()
    session.add(StaffSession(token_hash=tokens.digest(token), staff_id=account.id, kind=kind,
                             created_at=now, expires_at=now + timedelta(seconds=ttl_seconds)))
    return token


def _revoke(session: Session, staff_id: int, now: datetime) -> None:
    session.execute(update(StaffSession).where(
        StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None)
    ).values(revoked_at=now))


def account_for_session(session: Session, *, token: str, now: datetime, ttl_seconds: int,
                        kinds: tuple[str, ...] = ("full",)) -> StaffAccount:
    """The account behind a live console session of one of `kinds`; slides its expiry
    like a member's web session (idle timeout, at most `WEB_SESSION_MAX` after login)."""
    row = session.execute(
        select(StaffAccount, StaffSession)
        .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == tokens.digest(token))
    ).first()
    if row is None or row.StaffSession.kind not in kinds:
        raise ShunfuriError("not_authenticated")
    auth: StaffSession = row.StaffSession
    if auth.revoked_at is not None or aware(auth.expires_at) <= now:
        raise ShunfuriError("token_expired")
    if row.StaffAccount.disabled:
        raise ShunfuriError("token_expired")
    tokens.slide(auth, now=now, ttl_seconds=ttl_seconds, session=session)
    return row.StaffAccount


def logout(session: Session, *, token: str, now: datetime) -> None:
    session.execute(update(StaffSession).where(
        StaffSession.token_hash == tokens.digest(token), StaffSession.revoked_at.is_(None)
    ).values(revoked_at=now))
    session.commit()
