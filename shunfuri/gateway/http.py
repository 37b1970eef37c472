"""The bank gateway over HTTP (the simulator speaks this; a real bank adapter would too)."""

from __future__ import annotations

import os
from dataclasses import asdict

import httpx

from shunfuri.gateway.base import PaymentOrder, PaymentResult, TransientBankError


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

    def pay(self, orders: list[PaymentOrder]) -> list[PaymentResult]:
        if not orders:
            return []
        try:
            response = self.client.post(
                "/v1/payments:batch", json={"payments": [asdict(o) for o in orders]}
            )
        except httpx.HTTPError as exc:
            raise TransientBankError(f"bank unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientBankError(f"bank answered {response.status_code}")
        if response.status_code != 200:
            # A 4xx for the whole batch is our bug, not the member's: retry, and alert.
            raise TransientBankError(f"bank refused the request: {response.status_code}")
        by_id = {r["transfer_id"]: r for r in response.json()["results"]}
        results = []
        for order in orders:
            item = by_id.get(order.transfer_id)
            if item is None:
                raise TransientBankError("bank answer is missing a payment")
            results.append(
                PaymentResult(
                    transfer_id=order.transfer_id,
                    outcome="paid" if item["status"] == "paid" else "rejected",
                    code=item.get("code"),
                    reference=item.get("reference"),
                )
            )
        return results
