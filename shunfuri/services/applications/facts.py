"""What we know of a member from the application they joined by: their birth date and
phone numbers, for the guessable-PIN rule whenever a PIN is set later (the desk's reset).
Members created at the staff desk have no application, and so no such facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shunfuri.db.applications import Application


@dataclass(frozen=True)
class KnownPerson:
    birth_date: date | None
    phones: tuple[str, ...]

    def __repr__(self) -> str:  # personal data: never in a log line or a traceback
        return "KnownPerson(...)"


def known_person(session: Session, member_id: int) -> KnownPerson | None:
    """The birth date and phones from the member's application, or None without one."""
    row = session.execute(
        select(Application.birth_date, Application.phone, Application.employer_phone)
        .where(Application.member_id == member_id)
    ).first()
    if row is None:
        return None
    return KnownPerson(row.birth_date, tuple(p for p in (row.phone, row.employer_phone) if p))
