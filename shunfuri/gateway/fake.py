"""An in-process bank for unit tests only: idempotent by transfer id, scriptable."""

from __future__ import annotations

from dataclasses import dataclass, field

from shunfuri.gateway.base import PaymentOrder, PaymentResult, TransientBankError


@dataclass
class FakeBank:
    paid: dict[str, PaymentOrder] = field(default_factory=dict)
    calls: int = 0
    fail_next: int = 0
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
            code = self.rejections.get(order.account_number)
            if code:
                results.append(PaymentResult(order.transfer_id, "rejected", code))
                continue
            self.paid.setdefault(order.transfer_id, order)
            reference = f"F{order.transfer_id[:8]}"
            results.append(PaymentResult(order.transfer_id, "paid", None, reference))
        if self.lose_next_answers:
            self.lose_next_answers -= 1
            raise TransientBankError("scripted lost answer")
        return results
