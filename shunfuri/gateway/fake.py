"""An in-process bank for tests: idempotent by transfer id, scriptable (outages, lost
answers, refusals). The running system talks to the simulator over HTTP instead."""

from __future__ import annotations

from dataclasses import dataclass, field

from shunfuri.gateway.base import Inquiry, PaymentOrder, PaymentResult, TransientBankError


@dataclass
class FakeBank:
    paid: dict[str, PaymentOrder] = field(default_factory=dict)
    # Every order the bank decided, paid or refused: what an inquiry answers from.
    record: dict[str, PaymentResult] = field(default_factory=dict)
    calls: int = 0
    inquiries: int = 0
    # The next calls fail before the bank records anything (an outage, a 503).
    fail_next: int = 0
    fail_next_inquiries: int = 0
    # Pay, then lose the answer: the case that makes idempotency necessary.
    lose_next_answers: int = 0
    rejections: dict[str, str] = field(default_factory=dict)

    def warm(self) -> None:
        pass

    def pay(self, orders: list[PaymentOrder]) -> list[PaymentResult]:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise TransientBankError("scripted outage")
        results = []
        for order in orders:
            known = self.record.get(order.transfer_id)
            if known is None:
                code = self.rejections.get(order.account_number)
                if code:
                    known = PaymentResult(order.transfer_id, "rejected", code)
                else:
                    self.paid[order.transfer_id] = order
                    known = PaymentResult(order.transfer_id, "paid", None,
                                          f"F{order.transfer_id[:8]}")
                self.record[order.transfer_id] = known
            results.append(known)
        if self.lose_next_answers:
            self.lose_next_answers -= 1
            raise TransientBankError("scripted lost answer")
        return results

    def inquire(self, order_ids: list[str]) -> list[Inquiry]:
        self.inquiries += 1
        if self.fail_next_inquiries:
            self.fail_next_inquiries -= 1
            raise TransientBankError("scripted outage")
        answers = []
        for order_id in order_ids:
            known = self.record.get(order_id)
            if known is None:
                answers.append(Inquiry(order_id, "not_found"))
            else:
                amount = self.paid[order_id].amount if order_id in self.paid else None
                answers.append(Inquiry(order_id, known.outcome, known.reference, known.code,
                                       amount))
        return answers
