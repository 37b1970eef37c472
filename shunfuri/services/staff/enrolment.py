"""Setting up the second factor: the TOTP secret is drawn for one enrolment session at
the moment its page is shown, and becomes the account's only when that same session
types a matching code.

Why this way: a secret made with the account and shown to any password-only session
could be read by whoever else knew the password (the supervisor who drew it, someone
who saw it typed) and used after the real person enrolled. Here each display draws a
new secret kept on that session's row only (`totp_pending`); a secret another session
saw is never the account's, a reload makes the one shown before worthless, and
enrolling ends every other session of the account. After enrolment no session can
see a secret at all. A supervisor's reset (a lost phone) clears the secret and ends
the account's sessions, so the next login enrols a new one (`staff_manage.reset_second_factor`).
"""

from __future__ import annotations

import time
from datetime import datetime

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import StaffAccount, StaffSession
from shunfuri.errors import ShunfuriError
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff import lockout as staff_lockout
from shunfuri.services.staff.audit import audit
from shunfuri.services.staff.login import StaffLogin, take_code

ISSUER = "瞬フリ スタッフ"


def _enrolling(session: Session, token: str, now: datetime
               ) -> tuple[StaffAccount, StaffSession]:
    live, auth = staff.live_session(session, token=token, now=now, kinds=("enrol",))
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.id == live.id).with_for_update()
        .execution_options(populate_existing=True))
    if account is None or account.totp_enrolled_at is not None:
        raise ShunfuriError("not_authenticated")
    return account, auth


def show(session: Session, *, token: str, now: datetime) -> tuple[str, str]:
    """A new secret for this enrolment session only (the one shown before, if any, is
    forgotten); returns what the QR code holds (otpauth://totp/...) and the secret.
    Commits."""
    account, auth = _enrolling(session, token, now)
    auth.totp_pending = pyotp.random_base32()
    uri = pyotp.TOTP(auth.totp_pending).provisioning_uri(
        name=account.login_id, issuer_name=ISSUER)
    secret = auth.totp_pending
    session.commit()
    return uri, secret


def enrol(session: Session, *, token: str, code: str, device: str | None, now: datetime,
          ttl_seconds: int, source: str | None, unix: float | None = None) -> StaffLogin:
    """The first code from the app, for the secret this session was shown last: it
    becomes the account's, every session of the account ends (this one too), and a
    full one begins for this browser, now known for the account. A wrong code counts
    toward the account lock like a wrong login."""
    account, auth = _enrolling(session, token, now)
    who = staff.actor(account, source)
    pending = auth.totp_pending
    if not pending or not take_code(account, code, time.time() if unix is None else unix,
                                    secret=pending):
        staff_lockout.fail_known(session, account, now=now, source=source)
        if account.locked_until is not None:
            staff.revoke_all(session, account.id, now)
        audit(session, actor=who, action="staff_totp_enrol", now=now, ok=False,
              detail={"refused": "invalid_code" if pending else "no_secret_shown"})
        session.commit()
        raise ShunfuriError("validation_error",
                            errors=[{"field": "code", "message": "wrong one-time code"}])
    account.failures = 0
    account.totp_secret = pending
    account.totp_enrolled_at = now
    ended = staff.revoke_all(session, account.id, now)
    new = staff.issue(session, account, "full", now, ttl_seconds)
    known = staff_lockout.remember(session, account, device, now)
    audit(session, actor=who, action="staff_totp_enrol", now=now,
          detail={"sessions_ended": ended})
    session.commit()
    return StaffLogin(new, "full", account.id, known)
