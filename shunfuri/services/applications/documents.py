"""Income proof sent after screening asked for it (`POST /v1/applications/{id}/documents`).

The proof's figures (`{kind, annual_income}`) are read field by field first (nothing
stored on a refusal); then, with the row locked, the application moves `documents_needed
-> checking` through the door and is screened again from the start with the proof's
income (the bureau is asked again too: its answer may have changed in the meantime).
A request for documents left 14 days expires: proof sent after that is refused
(`application_expired`) and the application is moved to `expired` then and there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shunfuri.domain import application_states as states
from shunfuri.domain.application_form import read_income_proof
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import events
from shunfuri.services.applications.access import authorised
from shunfuri.services.applications.transitions import Move, MoveRefused, move
from shunfuri.services.applications.views import view


def expire_if_due(session: Session, row: Any, *, now: datetime, wall: datetime) -> None:
    """On a locked row: refuse with `application_expired` if it has expired, recording
    the expiry first (commit, publish) when its offer or documents request ran out at
    `now` and no beat has recorded it yet."""
    if row.status == states.EXPIRED:
        session.rollback()
        raise ShunfuriError("application_expired", application_status=states.EXPIRED)
    if states.is_expired(row.status, row.status_at, now):
        move(row, Move.EXPIRE, now=now, wall=wall)
        current = view(row)
        session.commit()
        events.announce([(row.id, current)])
        raise ShunfuriError("application_expired", application_status=states.EXPIRED)


def send_documents(session: Session, application_id: str, token: str, raw: Any, *,
                   now: datetime, wall: datetime) -> dict[str, Any]:
    """Record the proof and screen the application again; commits, publishes, wakes a
    worker. Refusals: `validation_error`, `not_found`, `application_expired`,
    `documents_not_requested` (with the current `application_status`)."""
    proof = read_income_proof(raw)
    row = authorised(session, application_id, token, for_update=True)
    expire_if_due(session, row, now=now, wall=wall)
    try:
        move(row, Move.DOCUMENTS_SENT, now=now, wall=wall)
    except MoveRefused:
        status = row.status
        session.rollback()
        raise ShunfuriError("documents_not_requested", application_status=status) from None
    row.proof_kind, row.proof_income = proof.kind, proof.annual_income
    row.reason_code = None
    # Due at once (no lease, no backoff: NULL), and a message is on its way (below).
    row.next_attempt_at, row.driven_at = None, wall
    current = view(row)
    session.commit()
    events.announce([(row.id, current)])
    events.wake([row.id])
    return current
