"""Step 2 of a pass (see `settlement`): talk to the bank, outside any transaction.

New orders are paid. Orders in doubt (sent before, no definitive answer) are first
asked about (`BankGateway.inquire`): a recorded payment or refusal is the answer; only
"no record" sends the order again, under the same id; anything else waits for the next
attempt. Every order gets its own result, so one refusal or one missing answer never
holds up the rest of its batch.
"""

from __future__ import annotations

from shunfuri import metrics
from shunfuri.domain.orders import Move, after_inquiry
from shunfuri.gateway.base import (
    BankGateway,
    Inquiry,
    PaymentOrder,
    PaymentResult,
    TransientBankError,
)


def exchange(
    gateway: BankGateway, orders: list[PaymentOrder], doubtful: set[str]
) -> dict[str, PaymentResult]:
    """One result per order id: paid, rejected, or unanswered (retry later)."""
    results: dict[str, PaymentResult] = {}
    to_pay = [o for o in orders if o.transfer_id not in doubtful]
    asked = [o for o in orders if o.transfer_id in doubtful]
    if asked:
        answers = inquire(gateway, [o.transfer_id for o in asked])
        for order in asked:
            answer = answers[order.transfer_id]
            result = result_of(answer)
            if result is None:
                to_pay.append(order)
            else:
                results[order.transfer_id] = result
    if to_pay:
        try:
            paid = gateway.pay(to_pay)
        except TransientBankError as exc:
            metrics.BANK_ERRORS.labels(kind="transient").inc()
            paid = [PaymentResult(o.transfer_id, "unanswered", error=str(exc)) for o in to_pay]
        for result in paid:
            results[result.transfer_id] = result
    return results


def inquire(gateway: BankGateway, order_ids: list[str]) -> dict[str, Inquiry]:
    """The bank's answer per id; a failed call is "unanswered" for every id in it."""
    try:
        answers = gateway.inquire(order_ids)
    except TransientBankError as exc:
        metrics.BANK_ERRORS.labels(kind="inquiry").inc()
        answers = [Inquiry(i, "unanswered", error=f"inquiry: {exc}") for i in order_ids]
    by_id = {a.order_id: a for a in answers}
    out = {}
    for order_id in order_ids:
        answer = by_id.get(order_id) or Inquiry(order_id, "unanswered", error="left out")
        metrics.INQUIRIES.labels(answer=answer.answer).inc()
        out[order_id] = answer
    return out


def result_of(answer: Inquiry) -> PaymentResult | None:
    """The inquiry's answer as a payment result; None means "send it again"."""
    step = after_inquiry(answer.answer)
    if step == Move.PAID:
        return PaymentResult(answer.order_id, "paid", reference=answer.reference)
    if step == Move.BANK_REFUSED:
        return PaymentResult(answer.order_id, "rejected", code=answer.code or "bank_rejected")
    if step == "send":
        return None
    return PaymentResult(answer.order_id, "unanswered",
                         error=answer.error or f"the bank says {answer.answer}")
