"""The life of a bank order, and the in-doubt rule, in one table.

An *order* is anything we ask the bank to move money for, keyed at the bank by our id:
a transfer (an advance paid out) or a collection from the member's account (a
repayment). Both use this module unchanged: nothing here knows which it is.

An order is **in doubt** once it has been sent to the bank at least once and no
definitive answer is recorded: the bank may have paid. "Sent" is recorded in the same
transaction that claims the order for a bank call, *before* the call, so a worker that
dies during the call still leaves a row that says so.

While an order is in doubt, only the bank can end it: its answer "paid" (-> settled) or
"refused" (-> failed), given to a payment or to a status inquiry. Nothing may release
the hold on a guess: no cancel, no rejection of ours, no rescheduling into a state a
member can cancel. The retry budget running out (-> needs_attention) keeps the hold and
hands the order to staff, who resolve it by asking the bank again.

Every status change of the services goes through `target` (see
`shunfuri.services.orders.transitions`); a move not in `RULES` is refused there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

ACCEPTED, SCHEDULED, PROCESSING = "accepted", "scheduled", "processing"
NEEDS_ATTENTION = "needs_attention"
SETTLED, FAILED, REJECTED, CANCELLED = "settled", "failed", "rejected", "cancelled"

FINAL = frozenset({SETTLED, FAILED, REJECTED, CANCELLED})
# Nothing will change these soon: final, booked for the bank's next window, or handed to
# staff. `Prefer: wait` answers on them, and the member's pages stop following there;
# `processing` (even in doubt) is followed. The one list (issue 25).
RESTING = FINAL | {SCHEDULED, NEEDS_ATTENTION}
# The hold is in place in these states (placed by the worker's claim, kept until final).
HOLDING = frozenset({PROCESSING, SCHEDULED, NEEDS_ATTENTION})
STATUSES = (ACCEPTED, PROCESSING, SCHEDULED, NEEDS_ATTENTION, SETTLED, REJECTED, FAILED,
            CANCELLED)


class Move(StrEnum):
    CLAIM = "claim"  # the worker placed the hold; to the bank now
    PARK = "park"  # the worker placed the hold; due later (settle_at)
    REFUSE = "refuse"  # our own refusal (credit, suspension): never reached the bank
    DUE = "due"  # a parked order's time has come
    RESCHEDULE = "reschedule"  # a real-time bank went into maintenance before we sent it
    CANCEL = "cancel"  # the member takes it back
    PAID = "paid"  # the bank says it paid
    BANK_REFUSED = "bank_refused"  # the bank says it refused (permanently) or never will pay
    GIVE_UP = "give_up"  # the retry budget is spent: staff take over, hold kept
    RESEND = "resend"  # staff hand it back to the workers after an inquiry said "no record"


Sent = Literal["never", "any", "only"]


@dataclass(frozen=True)
class Rule:
    sources: frozenset[str]
    target: str
    # "never": only for an order never sent (the bank cannot have paid it);
    # "only": only for an order that was sent (a bank answer needs a question).
    sent: Sent = "any"


RULES: dict[Move, Rule] = {
    Move.CLAIM: Rule(frozenset({ACCEPTED}), PROCESSING, "never"),
    Move.PARK: Rule(frozenset({ACCEPTED}), SCHEDULED, "never"),
    Move.REFUSE: Rule(frozenset({ACCEPTED, SCHEDULED}), REJECTED, "never"),
    Move.DUE: Rule(frozenset({SCHEDULED}), PROCESSING),
    Move.RESCHEDULE: Rule(frozenset({PROCESSING}), SCHEDULED, "never"),
    Move.CANCEL: Rule(frozenset({SCHEDULED}), CANCELLED, "never"),
    Move.PAID: Rule(frozenset({PROCESSING, NEEDS_ATTENTION}), SETTLED, "only"),
    Move.BANK_REFUSED: Rule(frozenset({PROCESSING, NEEDS_ATTENTION}), FAILED, "only"),
    Move.GIVE_UP: Rule(frozenset({PROCESSING}), NEEDS_ATTENTION, "only"),
    Move.RESEND: Rule(frozenset({NEEDS_ATTENTION}), PROCESSING, "only"),
}


class MoveRefused(Exception):
    """A move the rules do not allow from this state; nothing was changed."""

    def __init__(self, status: str, move: Move, *, sent: bool) -> None:
        self.status, self.move, self.sent = status, move, sent
        self.in_doubt = in_doubt(status, sent=sent)
        why = " (in doubt: only the bank's answer can end it)" if self.in_doubt else ""
        super().__init__(f"{move.value} is not allowed from {status}, sent={sent}{why}")


def in_doubt(status: str, *, sent: bool) -> bool:
    """Sent at least once, and no definitive answer recorded yet."""
    return sent and status not in FINAL


def allows(status: str, move: Move, *, sent: bool) -> bool:
    rule = RULES[move]
    if status not in rule.sources:
        return False
    return rule.sent == "any" or (rule.sent == "only") == sent


def target(status: str, move: Move, *, sent: bool) -> str:
    """The status `move` leads to from `status`; raises MoveRefused when not allowed."""
    if not allows(status, move, sent=sent):
        raise MoveRefused(status, move, sent=sent)
    return RULES[move].target


@dataclass(frozen=True)
class Budget:
    """How long an order may stay in doubt before staff must look: real time since it
    was first sent (not counting bank maintenance, see `attention_after_hold`) or
    attempts (sends and inquiries that got no definitive answer), whichever first."""

    after: timedelta = timedelta(minutes=30)
    max_attempts: int = 100

    def spent(
        self, *, attempts: int, sent_at: datetime | None, attention_at: datetime | None,
        wall: datetime,
    ) -> bool:
        if attempts >= self.max_attempts:
            return True
        deadline = attention_at or (sent_at + self.after if sent_at is not None else None)
        return deadline is not None and wall >= deadline

    def attention_after_hold(self, current: datetime | None, resume_at: datetime) -> datetime:
        """A bank in maintenance cannot be asked: the time budget restarts when it opens."""
        fresh = resume_at + self.after
        return fresh if current is None or current < fresh else current


# What a status inquiry can tell (after ISO 20022 pacs.002 statuses answering a pacs.028
# request, and Mojaloop's `GET /transfers/{id}`):
#   paid      - ACSC / COMMITTED: settled at the bank, with its reference;
#   rejected  - RJCT / ABORTED: refused, will never be paid;
#   not_found - the bank has no record of this id: it never received the order;
#   pending   - PDNG / RECEIVED: received, not decided yet;
#   unanswered- no trustworthy answer (timeout, outage, 5xx, missing from the reply).
Answer = Literal["paid", "rejected", "not_found", "pending", "unanswered"]


def after_inquiry(answer: Answer) -> Move | Literal["send", "wait"]:
    """What an order in doubt does next, given the bank's answer to an inquiry.

    "not_found" is the only answer that allows sending again, and only under the same
    id: the bank pays an id at most once, so even an order still on its way cannot be
    paid twice. "pending" and "unanswered" wait and ask again.
    """
    if answer == "paid":
        return Move.PAID
    if answer == "rejected":
        return Move.BANK_REFUSED
    if answer == "not_found":
        return "send"
    return "wait"
