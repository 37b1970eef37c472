"""The member's own security settings: setting or changing the Web-ID and password
(the page 「Web-ID設定」 and `PUT /v1/me/web-id`), which signs out the member's other
sessions. Staff actions on a member live in `shunfuri.services.members.accounts`."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri.db.models import AuthSession, LoginFailure, Member
from shunfuri.domain import normalise
from shunfuri.services.members import passwords, tokens
from shunfuri.services.members.accounts import web_id_taken
from shunfuri.services.staff.audit import audit

log = logging.getLogger("shunfuri.members")


def set_web_id(
    session: Session,
    *,
    member_id: int,
    web_id: str,
    password: str,
    current_pin: str,
    now: datetime,
    pepper: str,
    keep_token: str | None = None,
) -> str:
    """The member sets or changes their own Web-ID and password; commits; returns the
    normalised Web-ID.

    Order: the new values are checked first (`validation_error`, nothing counted), then
    the current PIN (`login.confirm_pin`: a wrong one counts towards the lock), then the
    Web-ID's uniqueness (`web_id_taken`, 409). On success the password is stored as
    argon2id, any lock counter left on the new Web-ID is cleared (someone may have
    mistyped it before it existed), the member's other sessions and tokens are revoked
    (all but `keep_token`, the one making the change), and an audit row is written
    (never the password, nor the Web-ID itself).
    """
    from shunfuri.services.members import login

    clean_web_id = normalise.normalise_web_id(web_id)
    clean_password = normalise.normalise_password(password, new=True)
    member = login.confirm_pin(
        session, member_id=member_id, pin=current_pin, now=now, pepper=pepper
    )
    clash = session.scalar(select(Member.id).where(Member.web_id == clean_web_id))
    if clash is not None and clash != member.id:
        session.rollback()
        raise web_id_taken()
    had_web_id = member.web_id is not None
    changed_id = member.web_id != clean_web_id
    member.web_id = clean_web_id
    member.password_hash = passwords.hash_password(clean_password, pepper=pepper)
    member.updated_at = now
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.identifier_key == passwords.identifier_key("web", clean_web_id,
                                                                    pepper=pepper)
        )
    )
    revoke_other_sessions(session, member_id=member.id, keep_token=keep_token, now=now)
    audit(session, actor=f"member:{member.id}", action="set_web_id", now=now,
          member_id=member.id, detail={"had_web_id": had_web_id, "web_id_changed": changed_id})
    try:
        session.commit()
    except IntegrityError:  # a concurrent change took the same Web-ID first
        session.rollback()
        raise web_id_taken() from None
    log.info("member %s set their Web-ID and password", member.id)
    return clean_web_id


def revoke_other_sessions(session: Session, *, member_id: int, keep_token: str | None,
                   now: datetime) -> None:
    query = update(AuthSession).where(
        AuthSession.member_id == member_id, AuthSession.revoked_at.is_(None)
    )
    if keep_token is not None:
        query = query.where(AuthSession.token_hash != tokens.digest(keep_token))
    session.execute(query.values(revoked_at=now))
