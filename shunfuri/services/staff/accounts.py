"""Staff accounts: one person, one login ID, a password and a one-time code (TOTP), and
one role; their console sessions; and what each role may do.

Login is two factors in one form: login ID + password + the 6-digit code of the
authenticator app (`staff_login`). A session has a kind: `password` when the password
was drawn by a supervisor (someone else has seen it: the person changes it before
anything else), `enrol` when no second factor is set up yet (the enrolment page only:
`staff_enrolment`, where the TOTP secret is drawn for that session alone), and `full`.
Lockouts are `staff_lockout`'s; password change, disabling and second-factor resets
`staff_manage`'s. Every attempt, allowed or refused, is audited (never with what was
typed as a secret).

Roles (`PERMISSIONS`): `desk` finds members, resets a PIN after an identity check,
reports a lost card and reissues one; `operator` watches the queue and resolves
transfers in doubt with the bank; `screener` works the 審査 queue (applications in manual
review, requests to lift the ongoing review's stop) and alone with the supervisor sees
the personal data screening uses; `supervisor` may do all of that, suspends and
reinstates members, changes credit limits, manages staff accounts and reads the whole
audit log. The pages check the permission of every request on the server.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import StaffAccount, StaffSession
from shunfuri.domain import normalise
from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import passwords, tokens
from shunfuri.services.staff.audit import Actor, audit

log = logging.getLogger("shunfuri.staff")

ROLES = ("desk", "operator", "screener", "supervisor")
DESK = frozenset({"member.view", "member.reset_pin", "member.card", "member.name"})
OPERATOR = frozenset({"queue.view", "transfer.inquire"})
# Applicants' and members' personal data for screening (income, employer, the bureau's
# answers): the screener and the supervisor only (貸金業法 第41条の38).
SCREENER = frozenset({"application.review"})
SUPERVISOR = DESK | OPERATOR | SCREENER | frozenset(
    {"member.suspend", "member.limit", "audit.view", "staff.manage"})
PERMISSIONS: dict[str, frozenset[str]] = {
    "desk": DESK, "operator": OPERATOR, "screener": SCREENER, "supervisor": SUPERVISOR,
}
KINDS = ("password", "enrol", "full")

# Staff passwords guard every member's data: longer than a member's (8), as NIST SP
# 800-63B allows a verifier to ask; a second factor stands beside them.
PASSWORD_MIN = 12
_LOGIN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{2,47}", re.ASCII)


def normalise_login_id(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    if not _LOGIN_ID.fullmatch(text):
        raise normalise.invalid(
            "login_id", "A login ID is 3-48 of a-z, 0-9, '.', '_' and '-', starting with a "
            "letter or digit.")
    return text


def new_password(raw: str, login_id: str, field: str = "password") -> str:
    """A staff password to set: NFKC, 12-128 characters, not the login ID."""
    password = normalise.normalise_password(raw, field, new=True)
    if len(password) < PASSWORD_MIN:
        raise normalise.invalid(field, f"A staff password is {PASSWORD_MIN} to 128 characters.")
    if password.strip().lower() == login_id.lower():
        raise normalise.invalid(field, "The password must not be the login ID.")
    return password


def may(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


def actor(account: StaffAccount, source: str | None, *, reason: str | None = None,
          **detail: object) -> Actor:
    return Actor(f"staff:{account.login_id}", source=source, reason=reason,
                 detail={"role": account.role, **detail})


# --- accounts ------------------------------------------------------------------------------


def create_account(session: Session, *, login_id: str, name: str, role: str, password: str,
                   now: datetime, pepper: str, by: Actor,
                   must_change_password: bool = False) -> StaffAccount:
    """A new account, without a second factor (its owner enrols at the first login);
    `must_change_password` when someone other than its owner chose or saw the password.
    Commits."""
    clean_id = normalise_login_id(login_id)
    clean_name = (name or "").strip()
    if not 1 <= len(clean_name) <= 64:
        raise normalise.invalid("name", "A name is 1-64 characters.")
    if role not in ROLES:
        raise normalise.invalid("role", f"The role is one of {', '.join(ROLES)}.")
    clean_password = new_password(password, clean_id)
    account = StaffAccount(
        login_id=clean_id, name=clean_name, role=role,
        password_hash=passwords.hash_password(clean_password, pepper=pepper),
        must_change_password=must_change_password, created_at=now,
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise normalise.invalid("login_id", "This login ID is already taken.") from None
    audit(session, actor=by, action="staff_create", now=now,
          detail={"login_id": clean_id, "new_role": role,
                  "must_change_password": must_change_password})
    session.commit()
    return account


def list_accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.login_id)))


def get_account(session: Session, staff_id: int, *, lock: bool = False) -> StaffAccount:
    query = select(StaffAccount).where(StaffAccount.id == staff_id)
    account = session.scalar(query.with_for_update() if lock else query)
    if account is None:
        raise ShunfuriError("not_found:staff")
    return account


def first_kind(account: StaffAccount) -> str:
    """The session a correct login gives: the password change first, then enrolment."""
    if account.must_change_password:
        return "password"
    return "full" if account.totp_enrolled_at is not None else "enrol"


# --- sessions ------------------------------------------------------------------------------


def issue(session: Session, account: StaffAccount, kind: str, now: datetime,
          ttl_seconds: int) -> str:
    token = tokens.new_token()
    session.add(StaffSession(token_hash=tokens.digest(token), staff_id=account.id, kind=kind,
                             created_at=now, expires_at=now + timedelta(seconds=ttl_seconds)))
    return token


def revoke_all(session: Session, staff_id: int, now: datetime) -> int:
    """End every live session of the account (and forget any secret an enrolment page
    showed); returns how many were live."""
    ended = cast("CursorResult[Any]", session.execute(update(StaffSession).where(
        StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None)
    ).values(revoked_at=now, totp_pending=None))).rowcount
    session.execute(update(StaffSession).where(
        StaffSession.staff_id == staff_id, StaffSession.totp_pending.is_not(None)
    ).values(totp_pending=None))
    return ended


def live_session(session: Session, *, token: str, now: datetime,
                 kinds: tuple[str, ...] = ("full",)) -> tuple[StaffAccount, StaffSession]:
    """The account and session row behind a live console session of one of `kinds`."""
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
    return row.StaffAccount, auth


def account_for_session(session: Session, *, token: str, now: datetime, ttl_seconds: int,
                        kinds: tuple[str, ...] = ("full",)) -> StaffAccount:
    """The account behind a live console session of one of `kinds`; slides its expiry
    like a member's web session (idle timeout, at most `WEB_SESSION_MAX` after login)."""
    account, auth = live_session(session, token=token, now=now, kinds=kinds)
    tokens.slide(auth, now=now, ttl_seconds=ttl_seconds, session=session)
    return account


def session_kind(session: Session, *, token: str, now: datetime) -> str | None:
    """The kind of a live session (`password`, `enrol`, `full`), or None."""
    try:
        return live_session(session, token=token, now=now, kinds=KINDS)[1].kind
    except ShunfuriError:
        return None


def logout(session: Session, *, token: str, now: datetime) -> None:
    session.execute(update(StaffSession).where(
        StaffSession.token_hash == tokens.digest(token), StaffSession.revoked_at.is_(None)
    ).values(revoked_at=now, totp_pending=None))
    session.commit()
