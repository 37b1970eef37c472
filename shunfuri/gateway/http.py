"""The bank gateway over HTTP (the simulator speaks this; a real bank adapter would too).

Payments: `POST /v1/payments:batch`. Status inquiries: `GET /v1/payments/{id}` for one
id (404 `payment_not_found` = the bank never received it), `POST /v1/payments:inquire`
for several in one request, as a pacs.028 message may carry several transactions.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from functools import lru_cache
from typing import Any

import httpx

from shunfuri.gateway.base import Inquiry, PaymentOrder, PaymentResult, TransientBankError

_DEFINITE = {"paid", "rejected"}
_ANSWERS = {"paid", "rejected", "not_found", "pending"}


class HttpBankGateway:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client: httpx.Client | None = None
        self._pid = 0

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
        response = self._call(
            "POST", "/v1/payments:batch", json={"payments": [asdict(o) for o in orders]}
        )
        self._refuse_unclear(response)
        by_id = {r.get("transfer_id"): r for r in response.json().get("results", [])}
        return [_payment_result(o.transfer_id, by_id.get(o.transfer_id)) for o in orders]

    def inquire(self, order_ids: list[str]) -> list[Inquiry]:
        if not order_ids:
            return []
        if len(order_ids) == 1:
            response = self._call("GET", f"/v1/payments/{order_ids[0]}")
            if response.status_code == 404 and _error_of(response) == "payment_not_found":
                return [Inquiry(order_ids[0], "not_found")]
            self._refuse_unclear(response)
            items = [response.json()]
        else:
            response = self._call("POST", "/v1/payments:inquire", json={"transfer_ids": order_ids})
            self._refuse_unclear(response)
            items = response.json().get("results", [])
        by_id = {item.get("transfer_id"): item for item in items}
        return [_inquiry(i, by_id.get(i)) for i in order_ids]


def _error_of(response: httpx.Response) -> str | None:
    try:
        return response.json().get("error")
    except ValueError:
        return None


def _payment_result(transfer_id: str, item: dict | None) -> PaymentResult:
    if item is None:
        return PaymentResult(transfer_id, "unanswered", error="the bank's answer left it out")
    if item.get("status") not in _DEFINITE:
        return PaymentResult(transfer_id, "unanswered",
                             error=f"unexpected status {str(item.get('status'))[:40]!r}")
    return PaymentResult(transfer_id, item["status"], code=item.get("code"),
                         reference=item.get("reference"))


def _inquiry(order_id: str, item: dict | None) -> Inquiry:
    if item is None:
        return Inquiry(order_id, "unanswered", error="the bank's answer left it out")
    status = item.get("status")
    if status not in _ANSWERS:
        return Inquiry(order_id, "unanswered", error=f"unexpected status {str(status)[:40]!r}")
    return Inquiry(order_id, status, reference=item.get("reference"), code=item.get("code"),
                   amount=item.get("amount"))


@lru_cache(maxsize=2)
def shared(base_url: str) -> HttpBankGateway:
    """One gateway (one connection pool) per bank URL for a process."""
    return HttpBankGateway(base_url)
