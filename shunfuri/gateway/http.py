"""The bank gateway over HTTP (the simulator speaks this; a real bank adapter would too).

Payments: `POST /v1/payments:batch`. Status inquiries: `GET /v1/payments/{id}` for one
id (404 `payment_not_found` = the bank never received it), `POST /v1/payments:inquire`
for several in one request, as a pacs.028 message may carry several transactions.

Collections (a repayment debited from the member's account) are the same protocol under
other names (`Wire`): `POST /v1/collections:batch`, `GET /v1/collections/{id}`,
`POST /v1/collections:inquire`, keyed by repayment id. `HttpBankGateway.collections()`
is the same client speaking them, so the pipeline's bank step serves both unchanged.

The statement (reconciliation's bank side, `shunfuri.gateway.statement`): `GET
/v1/statements` (the booking days), `GET /v1/statements/{day}?after=&limit=` (a day's
lines, page by page); the same from either book's client.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Literal, cast

import httpx

from shunfuri.domain.orders import Answer
from shunfuri.gateway import statement
from shunfuri.gateway.base import (
    Inquiry,
    PaymentOrder,
    PaymentResult,
    StatementLine,
    TransientBankError,
)

Definite = Literal["paid", "rejected"]
_DEFINITE = {"paid", "rejected"}
_ANSWERS = {"paid", "rejected", "not_found", "pending"}


@dataclass(frozen=True)
class Wire:
    """The names one kind of order has on the wire."""

    path: str  # /v1/<path>:batch, /v1/<path>/{id}, /v1/<path>:inquire
    key: str  # the order id's field
    items: str  # the batch's list field
    ids: str  # the inquiry's list field
    not_found: str  # a one-id inquiry's 404 error for an id never received


PAYMENTS = Wire("payments", "transfer_id", "payments", "transfer_ids", "payment_not_found")
COLLECTIONS = Wire("collections", "repayment_id", "collections", "repayment_ids",
                   "collection_not_found")


class HttpBankGateway:
    def __init__(self, base_url: str, *, timeout: float = 5.0, wire: Wire = PAYMENTS) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.wire = wire
        self._client: httpx.Client | None = None
        self._pid = 0
        self._collections: HttpBankGateway | None = None

    def collections(self) -> HttpBankGateway:
        """This bank, asked to collect (repayments) instead of to pay."""
        if self.wire is COLLECTIONS:
            return self
        if self._collections is None:
            self._collections = HttpBankGateway(self.base_url, timeout=self.timeout,
                                                wire=COLLECTIONS)
        return self._collections

    @property
    def client(self) -> httpx.Client:
        # One keep-alive pool per process: Celery forks workers after import.
        if self._client is None or self._pid != os.getpid():
            self._client = httpx.Client(base_url=self.base_url, timeout=self.timeout)
            self._pid = os.getpid()
        return self._client

    def warm(self) -> None:
        # Building the client (TLS context, imports) and connecting cost ~70 ms, paid
        # otherwise by the first transfers after a worker starts.
        try:
            self.client.get("/healthz", timeout=0.5)
        except httpx.HTTPError:
            pass

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TransientBankError(f"bank unreachable: {type(exc).__name__}") from exc

    @staticmethod
    def _refuse_unclear(response: httpx.Response) -> None:
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientBankError(f"bank answered {response.status_code}")
        if response.status_code != 200:
            # A 4xx for the whole request is our bug, not the member's: retry, and alert.
            raise TransientBankError(f"bank refused the request: {response.status_code}")

    def pay(self, orders: list[PaymentOrder]) -> list[PaymentResult]:
        if not orders:
            return []
        w = self.wire
        response = self._call(
            "POST", f"/v1/{w.path}:batch", json={w.items: [_order(w, o) for o in orders]}
        )
        self._refuse_unclear(response)
        by_id = _by_id(_results(_json_object(response)), w.key)
        return [_payment_result(o.transfer_id, by_id.get(o.transfer_id)) for o in orders]

    def inquire(self, order_ids: list[str]) -> list[Inquiry]:
        if not order_ids:
            return []
        w = self.wire
        if len(order_ids) == 1:
            response = self._call("GET", f"/v1/{w.path}/{order_ids[0]}")
            if response.status_code == 404 and _error_of(response) == w.not_found:
                return [Inquiry(order_ids[0], "not_found")]
            self._refuse_unclear(response)
            items = [_json_object(response)]
        else:
            response = self._call("POST", f"/v1/{w.path}:inquire", json={w.ids: order_ids})
            self._refuse_unclear(response)
            items = _results(_json_object(response))
        by_id = _by_id(items, w.key)
        return [_inquiry(i, by_id.get(i)) for i in order_ids]

    def statement_days(self) -> list[date]:
        return statement.days(self._get_json)

    def statement(self, day: date) -> Iterator[StatementLine]:
        return statement.lines(self._get_json, day)

    def _get_json(self, path: str, query: dict) -> dict:
        response = self._call("GET", path, params=query)
        self._refuse_unclear(response)
        return _json_object(response)


def _order(wire: Wire, order: PaymentOrder) -> dict:
    fields = asdict(order)
    fields[wire.key] = fields.pop("transfer_id")
    return fields


def _error_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


# A 200 whose body we cannot read is no answer: the bank may have paid (the order was
# recorded before the answer was garbled), so the order stays in doubt and is asked
# about later, never failed or released on a guess.

def _json_object(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError as exc:  # not JSON, or not UTF-8
        raise TransientBankError("bank answered 200 with a body that is not JSON") from exc
    if not isinstance(body, dict):
        raise TransientBankError(
            f"bank answered 200 with JSON that is not an object ({type(body).__name__})")
    return body


def _results(body: dict) -> list:
    results = body.get("results")
    if not isinstance(results, list):
        raise TransientBankError("bank answered 200 without a list of results")
    return results


def _by_id(items: list, key: str) -> dict[Any, dict]:
    """The answer's items by order id; an item that is not an object answers nothing (its
    order is then "left out": unanswered, in doubt)."""
    return {item.get(key): item for item in items
            if isinstance(item, dict) and isinstance(item.get(key), str)}


def _text(value: object) -> str | None:
    """A reference or a code as we can keep it (text, at most 64 characters), else none."""
    return value if isinstance(value, str) and len(value) <= 64 else None


def _payment_result(transfer_id: str, item: dict | None) -> PaymentResult:
    if item is None:
        return PaymentResult(transfer_id, "unanswered", error="the bank's answer left it out")
    status = item.get("status")
    if not isinstance(status, str) or status not in _DEFINITE:
        return PaymentResult(transfer_id, "unanswered",
                             error=f"unexpected status {str(status)[:40]!r}")
    return PaymentResult(transfer_id, cast(Definite, status), code=_text(item.get("code")),
                         reference=_text(item.get("reference")))


def _inquiry(order_id: str, item: dict | None) -> Inquiry:
    if item is None:
        return Inquiry(order_id, "unanswered", error="the bank's answer left it out")
    status = item.get("status")
    if not isinstance(status, str) or status not in _ANSWERS:
        return Inquiry(order_id, "unanswered", error=f"unexpected status {str(status)[:40]!r}")
    amount = item.get("amount")
    return Inquiry(order_id, cast(Answer, status), reference=_text(item.get("reference")),
                   code=_text(item.get("code")),
                   amount=amount if isinstance(amount, int) and not isinstance(amount, bool)
                   else None)


@lru_cache(maxsize=2)
def shared(base_url: str) -> HttpBankGateway:
    """The bank gateway of this process for `base_url`: one client, one connection pool
    (and its collections twin, `collections()`), shared by the workers' passes, the staff
    console and the staff API. The one place a bank gateway is made from the settings."""
    return HttpBankGateway(base_url)
