"""Changing a staff password (the person's own), and what a supervisor does to other
accounts: disable and enable them, reset their second factor. Each is audited, and each
that could leave a stolen session behind ends the account's sessions.

A disabled account's sessions end at once, and its login is refused exactly as a wrong
password is (`staff_login` treats it as no account at all): the answer tells nobody
that the account exists or was disabled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.models import StaffAccount
from shunfuri.domain import normalise
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import passwords
from shunfuri.services.staff import accounts as staff
from shunfuri.services.staff import lockout as staff_lockout
from shunfuri.services.staff.audit import audit
from shunfuri.services.staff.login import StaffLogin


def change_password(session: Session, *, token: str, current: str, new: str,
                    device: str | None, now: datetime, pepper: str, ttl_seconds: int,
                    source: str | None) -> StaffLogin:
    """The session's own password, after the current one: argon2, 12+ characters, not
    the login ID nor the current password. Every session of the account ends and this
    browser gets a new one (the enrolment's if no second factor is set up yet).
    A wrong current password counts toward the account lock. Commits."""
    found, _ = staff.live_session(session, token=token, now=now, kinds=("password", "full"))
    account = staff.get_account(session, found.id, lock=True)
    forced = account.must_change_password
    if not passwords.verify_password(account.password_hash, current or "", pepper=pepper):
        staff_lockout.fail_known(session, account, now=now, source=source)
        if account.locked_until is not None:
            staff.revoke_all(session, account.id, now)
        audit(session, actor=staff.actor(account, source), action="staff_password_change",
              now=now, ok=False, detail={"refused": "wrong_current_password"})
        session.commit()
        raise normalise.invalid("current_password", "The current password is wrong.")
    try:
        clean = staff.new_password(new, account.login_id, "new_password")
        if passwords.verify_password(account.password_hash, clean, pepper=pepper):
            raise normalise.invalid("new_password", "The new password is the current one.")
    except ShunfuriError:
        session.rollback()
        raise
    account.password_hash = passwords.hash_password(clean, pepper=pepper)
    account.must_change_password = False
    account.password_changed_at = now
    account.failures = 0
    ended = staff.revoke_all(session, account.id, now)
    kind = staff.first_kind(account)
    fresh = staff.issue(session, account, kind, now, ttl_seconds)
    known = staff_lockout.remember(session, account, device, now) if kind == "full" else None
    audit(session, actor=staff.actor(account, source), action="staff_password_change",
          now=now, detail={"forced": forced, "other_sessions_ended": max(ended - 1, 0)})
    session.commit()
    return StaffLogin(fresh, kind, account.id, known)


def set_disabled(session: Session, *, staff_id: int, disabled: bool, by: StaffAccount,
                 reason: str, now: datetime, source: str | None) -> StaffAccount:
    """Disable (its sessions end now) or enable another account. Commits."""
    action = "staff_disable" if disabled else "staff_enable"
    account = _other(session, staff_id, by, action, now=now, source=source, reason=reason)
    before = account.disabled
    account.disabled = disabled
    ended = staff.revoke_all(session, account.id, now) if disabled else 0
    audit(session, actor=staff.actor(by, source, reason=reason), action=action, now=now,
          detail={"login_id": account.login_id, "was_disabled": before,
                  "sessions_ended": ended})
    session.commit()
    return account


def reset_second_factor(session: Session, *, staff_id: int, by: StaffAccount, reason: str,
                        now: datetime, source: str | None) -> StaffAccount:
    """Clear another account's second factor (a lost phone): its secret is gone, its
    sessions end, and its next login enrols a new secret. Commits."""
    account = _other(session, staff_id, by, "staff_totp_reset", now=now, source=source,
                     reason=reason)
    account.totp_secret = None
    account.totp_enrolled_at = None
    account.totp_last_step = 0  # steps used count per secret: the next one starts afresh
    ended = staff.revoke_all(session, account.id, now)
    audit(session, actor=staff.actor(by, source, reason=reason), action="staff_totp_reset",
          now=now, detail={"login_id": account.login_id, "sessions_ended": ended})
    session.commit()
    return account


def _other(session: Session, staff_id: int, by: StaffAccount, action: str, *, now: datetime,
           source: str | None, reason: str) -> StaffAccount:
    """Another account, locked for the change; your own is refused (and audited)."""
    account = session.scalar(
        select(StaffAccount).where(StaffAccount.id == staff_id).with_for_update())
    if account is None:
        raise ShunfuriError("not_found:staff")
    if account.id == by.id:
        session.rollback()
        audit(session, actor=staff.actor(by, source, reason=reason), action=action, now=now,
              ok=False, detail={"refused": "own_account"})
        session.commit()
        raise normalise.invalid("account", "A supervisor cannot do this to their own account.")
    return account
