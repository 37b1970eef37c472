"""お試し診断 and taking in an application (`POST /v1/eligibility`, `POST /v1/applications`).

`check_eligibility` reads three figures and answers one of two fixed sentences; it writes
nothing, logs nothing and counts nothing (the inputs are not kept anywhere).

`submit` reads the whole form (field by field, every wrong field in one refusal, nothing
stored on a refusal), stores the application as `received` with its follow-up token's hash,
commits, then publishes the change and wakes a screening worker. With an
`Idempotency-Key`, the same key and the same request answer the same application and the
same token; the same key with another request is `idempotency_key_reused`. The key is
unique across all applications (there is no member yet to scope it to), so clients send
a fresh random one (a UUID) per application.
"""

from __future__ import annotations

import hmac
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shunfuri import messages
from shunfuri.db.applications import Application
from shunfuri.domain import application_states as states
from shunfuri.domain.age import jst_day
from shunfuri.domain.application_form import ApplicationForm, read_application, read_eligibility
from shunfuri.domain.eligibility import eligible
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import events, tokens
from shunfuri.services.applications.views import view
from shunfuri.services.mail.settings import ADDRESS_SHAPE

log = logging.getLogger(__name__)

# The form's order, for listing refusals as the applicant reads the form.
FIELD_ORDER = ("name_kanji", "name_kana", "birth_date", "phone", "email", "postal_code",
               "address", "employment", "employer_name", "employer_phone", "annual_income",
               "other_count", "other_balance", "requested_limit", "income_proof")
EMAIL_MAX = 254


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    message_ja: str


def check_eligibility(raw: Any, *, now: datetime) -> Eligibility:
    """お試し診断 on the JST day of `now` (business clock); `validation_error` for a
    malformed form (never repeating a value). Writes and logs nothing."""
    today = jst_day(now)
    form = read_eligibility(raw, today)
    answer = eligible(form.birth_date, form.annual_income, form.other_borrowing, today)
    return Eligibility(answer, messages.ELIGIBILITY_JA[answer])


@dataclass(frozen=True)
class Submitted:
    application: dict[str, Any]  # the public view (`views.view`)
    token: str
    created: bool  # False: an idempotent replay of an earlier request


def read_form(raw: Any, today: date) -> tuple[ApplicationForm, str]:
    """The canonical form and mail address, or one `validation_error` listing every
    wrong field (the address too) in the form's order."""
    errors: list[dict[str, Any]] = []
    form = None
    try:
        form = read_application(raw, today)
    except ShunfuriError as refused:
        errors += refused.extra.get("errors", [])
    email = None
    if isinstance(raw, Mapping):
        email, problem = _email(raw.get("email"))
        if problem is not None:
            errors.append(problem)
    if errors or form is None or email is None:
        errors.sort(key=_position)
        raise ShunfuriError("validation_error", errors=errors)
    return form, email


def _position(error: dict[str, Any]) -> int:
    top = error.get("field", "").split(".")[0]
    return FIELD_ORDER.index(top) if top in FIELD_ORDER else -1


def _email(raw: Any) -> tuple[str | None, dict[str, Any] | None]:
    """The address normalised, or its refusal (never naming what was typed)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, _refusal("required", "This field is required.")
    if not isinstance(raw, str) or len(raw) > EMAIL_MAX or not re.match(ADDRESS_SHAPE, raw):
        return None, _refusal("invalid_email", "A mail address (name@domain, no spaces).")
    try:
        address = validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None, _refusal("invalid_email", "refused by the mail address rules")
    if len(address) > EMAIL_MAX:
        return None, _refusal("invalid_email", "At most 254 characters.")
    return address, None


def _refusal(code: str, message: str) -> dict[str, Any]:
    return {"field": "email", "code": code, "message": message,
            "message_ja": messages.field_error_ja("email", code)}


def submit(session: Session, raw: Any, *, idempotency_key: str | None, now: datetime,
           wall: datetime, pepper: str) -> Submitted:
    """Store a new application (`received`) and wake screening; commits. `now` is business
    time (the application's date for the age rule), `wall` real time."""
    form, email = read_form(raw, jst_day(now))
    fingerprint = tokens.request_hash(pepper, form, email)
    if idempotency_key is not None:
        replay = _replay(session, idempotency_key, fingerprint, pepper)
        if replay is not None:
            return replay
    application_id, nonce = str(uuid.uuid4()), tokens.new_nonce()
    token = tokens.token_for(pepper, application_id, nonce)
    row = _new_row(form, email, application_id=application_id, now=now, wall=wall,
                   token_hash=tokens.token_hash(token), nonce=nonce,
                   idempotency_key=idempotency_key, fingerprint=fingerprint)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key stored first: answer with its row.
        session.rollback()
        replay = None if idempotency_key is None else _replay(
            session, idempotency_key, fingerprint, pepper)
        if replay is None:
            raise
        return replay
    # The id only: an operator can follow an application through the logs without any
    # field of it being written there.
    log.info("application %s received", row.id)
    current = view(row)
    events.announce([(row.id, current)])
    events.wake([row.id])
    return Submitted(current, token, created=True)


def _new_row(form: ApplicationForm, email: str, *, application_id: str, now: datetime,
             wall: datetime, token_hash: str, nonce: str, idempotency_key: str | None,
             fingerprint: str) -> Application:
    proof = form.income_proof
    return Application(
        id=application_id, status=states.RECEIVED, token_hash=token_hash, token_nonce=nonce,
        idempotency_key=idempotency_key, request_hash=fingerprint,
        name_kanji=form.name_kanji, name_kana=form.name_kana, birth_date=form.birth_date,
        phone=form.phone, email=email, postal_code=form.postal_code, address=form.address,
        employment=form.employment, employer_name=form.employer_name,
        employer_phone=form.employer_phone, annual_income=form.annual_income,
        other_count=form.other_count, other_balance=form.other_balance,
        requested_limit=form.requested_limit,
        proof_kind=proof.kind if proof else None,
        proof_income=proof.annual_income if proof else None,
        applied_at=now, status_at=now, attempts=0,
        # Due at once (no lease, no backoff), and a message is on its way (`events.wake`
        # after the commit): the sweep sends another only if that one is lost.
        next_attempt_at=None, driven_at=wall, created_at=wall, updated_at=wall,
    )


def _replay(session: Session, key: str, fingerprint: str, pepper: str) -> Submitted | None:
    row = session.scalar(select(Application).where(Application.idempotency_key == key))
    if row is None:
        return None
    if not hmac.compare_digest(row.request_hash or "", fingerprint) or row.token_nonce is None:
        raise ShunfuriError("idempotency_key_reused")
    return Submitted(view(row), tokens.token_for(pepper, row.id, row.token_nonce),
                     created=False)
