"""The 180-day erasure (spec/application.md, "Personal data"): a declined or expired
application's personal fields are emptied once `domain.application_states.erasable_from`
has come, on the business clock; the decision (status, reason code, offer) and the times
stay, and `erased_at` says when.

One UPDATE whose WHERE is the rule (`ended_at < erasure_cutoff(now)`, the same instant
as `erasable_from` in one comparison), so two beats running it at once, or the same beat
again, find nothing left the second time. The follow-up token's nonce and the request's
fingerprint go too: a replay of the application is impossible from then on anyway.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from shunfuri.db.applications import APPLICATION_PERSONAL_FIELDS, Application
from shunfuri.domain import application_states as states
from shunfuri.domain.screening_policy import DEFAULT_POLICY, ScreeningPolicy

ERASED = {name: None for name in (*APPLICATION_PERSONAL_FIELDS, "token_nonce", "request_hash")}


def erase_due(session: Session, *, now: datetime, wall: datetime,
              policy: ScreeningPolicy = DEFAULT_POLICY) -> list[str]:
    """Erase every application due at `now` (business time); the ids erased (the caller
    commits)."""
    result = session.execute(
        update(Application)
        .where(Application.status.in_(sorted(states.ERASABLE)),
               Application.erased_at.is_(None), Application.ended_at.is_not(None),
               Application.ended_at < states.erasure_cutoff(now, policy))
        .values(**ERASED, erased_at=now, updated_at=wall)
        .returning(Application.id),
        execution_options={"synchronize_session": False},
    )
    return list(result.scalars())


def erase(sessions: sessionmaker[Session], *, now: datetime, wall: datetime,
          policy: ScreeningPolicy = DEFAULT_POLICY) -> int:
    """One committed round of `erase_due`; how many applications it erased."""
    with sessions.begin() as session:
        return len(erase_due(session, now=now, wall=wall, policy=policy))
