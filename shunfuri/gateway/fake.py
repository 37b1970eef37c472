"""An in-process bank for tests: idempotent by transfer id, scriptable (outages, lost
answers, refusals). The running system talks to the simulator over HTTP instead."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from shunfuri.gateway.base import (
    Inquiry,
    PaymentOrder,
    PaymentResult,
    StatementLine,
    TransientBankError,
)


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
    # The statement books every decided order on this one day.
    day: date = date(2026, 12, 1)
    refused: dict[str, PaymentOrder] = field(default_factory=dict)
    _collections: FakeBank | None = field(default=None, repr=False)

    def warm(self) -> None:
        pass

    def collections(self) -> FakeBank:
        """A second book of the same bank: collections are keyed apart from payments."""
        if self._collections is None:
            self._collections = FakeBank(rejections=self.rejections, day=self.day)
        return self._collections

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
                    self.refused[order.transfer_id] = order
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

    def statement_days(self) -> list[date]:
        booked = self.record or (self._collections is not None and self._collections.record)
        return [self.day] if booked else []

    def statement(self, day: date) -> Iterator[StatementLine]:
        if day != self.day:
            return
        yield from self._lines("payment")
        if self._collections is not None:
            yield from self._collections._lines("collection")

    def _lines(self, kind: str) -> Iterator[StatementLine]:
        for order_id, result in sorted(self.record.items()):
            order = self.paid.get(order_id) or self.refused[order_id]
            yield StatementLine(kind, order_id, order.amount, order.bank_code,  # type: ignore[arg-type]
                                result.outcome, result.code, result.reference)
