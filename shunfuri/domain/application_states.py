"""The life of an application, in one table, and when an offer or a request expires.

    received → checking → approved | declined | documents_needed | manual_review
    approved → contracted | expired
    documents_needed → checking (proof sent) | expired
    manual_review → approved | declined (a screener)

Moves are named for who makes them, so the worker's automatic approval cannot fire on an
application waiting for a screener, nor a screener's on one still being checked. Every
status change of the services goes through `target` (like `orders` for transfers); a move
not in `RULES` raises `MoveRefused` and nothing changes.

Expiry counts days as the Civil Code does (民法第140条・第141条): the day of the decision
is not counted, and the period ends at the end of its last JST day. An offer made at any
time on 1 December (14 days) is open until 15 December 23:59:59 JST, expired from 16
December 00:00 JST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from shunfuri.domain.age import jst_day
from shunfuri.domain.instants import JST, aware
from shunfuri.domain.screening_policy import DEFAULT_POLICY, ScreeningPolicy

RECEIVED, CHECKING = "received", "checking"
APPROVED, DECLINED = "approved", "declined"
DOCUMENTS_NEEDED, MANUAL_REVIEW = "documents_needed", "manual_review"
CONTRACTED, EXPIRED = "contracted", "expired"

STATUSES = (RECEIVED, CHECKING, APPROVED, DECLINED, DOCUMENTS_NEEDED, MANUAL_REVIEW,
            CONTRACTED, EXPIRED)
FINAL = frozenset({DECLINED, CONTRACTED, EXPIRED})
# A decision can still come without the applicant (the worker's, or a screener's): the
# statuses worth following live. From the others only the applicant moves it on (or, days
# later, expiry).
DECIDING = frozenset({RECEIVED, CHECKING, MANUAL_REVIEW})
# Waiting for the applicant: these expire when left alone.
EXPIRING = frozenset({APPROVED, DOCUMENTS_NEEDED})
# The personal fields of these are erased after the policy's days; decision and reason stay.
ERASABLE = frozenset({DECLINED, EXPIRED})


class Move(StrEnum):
    CHECK = "check"  # a worker takes the application up
    APPROVE = "approve"  # screening approved it (rule 6)
    DECLINE = "decline"  # screening declined it (rules 1-3)
    ASK_DOCUMENTS = "ask_documents"  # rule 4: income proof needed
    REFER = "refer"  # rule 5: a person decides
    DOCUMENTS_SENT = "documents_sent"  # the applicant sent proof: screened again
    SCREENER_APPROVE = "screener_approve"
    SCREENER_DECLINE = "screener_decline"
    CONTRACT = "contract"  # the applicant accepted the offer
    EXPIRE = "expire"  # the offer or the request for documents was left too long


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str


RULES: dict[Move, Rule] = {
    Move.CHECK: Rule(frozenset({RECEIVED}), CHECKING),
    Move.APPROVE: Rule(frozenset({CHECKING}), APPROVED),
    Move.DECLINE: Rule(frozenset({CHECKING}), DECLINED),
    Move.ASK_DOCUMENTS: Rule(frozenset({CHECKING}), DOCUMENTS_NEEDED),
    Move.REFER: Rule(frozenset({CHECKING}), MANUAL_REVIEW),
    Move.DOCUMENTS_SENT: Rule(frozenset({DOCUMENTS_NEEDED}), CHECKING),
    Move.SCREENER_APPROVE: Rule(frozenset({MANUAL_REVIEW}), APPROVED),
    Move.SCREENER_DECLINE: Rule(frozenset({MANUAL_REVIEW}), DECLINED),
    Move.CONTRACT: Rule(frozenset({APPROVED}), CONTRACTED),
    Move.EXPIRE: Rule(frozenset(EXPIRING), EXPIRED),
}

# The move that records a screening decision (`screening.Decision.status`).
DECISION_MOVES = {APPROVED: Move.APPROVE, DECLINED: Move.DECLINE,
                  DOCUMENTS_NEEDED: Move.ASK_DOCUMENTS, MANUAL_REVIEW: Move.REFER}


class MoveRefused(Exception):
    """A move the rules do not allow from this status; nothing was changed."""

    def __init__(self, status: str, move: Move) -> None:
        self.status, self.move = status, move
        super().__init__(f"{move.value} is not allowed from {status}")


def allows(status: str, move: Move) -> bool:
    return status in RULES[move].sources


def target(status: str, move: Move) -> str:
    """The status `move` leads to from `status`; raises MoveRefused when not allowed."""
    if not allows(status, move):
        raise MoveRefused(status, move)
    return RULES[move].target


def period_end(entered_at: datetime, days: int) -> datetime:
    """The end of a period of `days` days starting at `entered_at` (UTC): the start of the
    JST day after the `days`-th day following the day of `entered_at`."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError("a period is a whole number of days, at least one")
    last_day = jst_day(entered_at) + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time(0), JST).astimezone(UTC)


def expires_at(
    status: str, entered_at: datetime, policy: ScreeningPolicy = DEFAULT_POLICY,
) -> datetime | None:
    """When an application that entered `status` at `entered_at` expires; None for a
    status that does not expire."""
    if status == APPROVED:
        return period_end(entered_at, policy.offer_valid_days)
    if status == DOCUMENTS_NEEDED:
        return period_end(entered_at, policy.documents_valid_days)
    return None


def is_expired(
    status: str, entered_at: datetime, now: datetime, policy: ScreeningPolicy = DEFAULT_POLICY,
) -> bool:
    """Whether `Move.EXPIRE` is due at `now` (the business clock)."""
    end = expires_at(status, entered_at, policy)
    return end is not None and aware(now) >= end


def erasable_from(ended_at: datetime, policy: ScreeningPolicy = DEFAULT_POLICY) -> datetime:
    """When a declined or expired application's personal fields are to be erased, counting
    days as for expiry from the day it was declined or expired."""
    return period_end(ended_at, policy.erase_after_days)


def erasure_cutoff(now: datetime, policy: ScreeningPolicy = DEFAULT_POLICY) -> datetime:
    """The instant (UTC) before which an application must have ended for its personal
    fields to be erasable at `now`: `ended_at < erasure_cutoff(now)` exactly when
    `erasable_from(ended_at) <= now`, so the erasure job can select in one comparison.
    An end on JST day D is erasable from the start of D + days + 1; at `now` on JST day
    N that holds for every D before N - days."""
    first_kept_day = jst_day(aware(now)) - timedelta(days=policy.erase_after_days)
    return datetime.combine(first_kept_day, time(0), JST).astimezone(UTC)
