"""The credit bureau (指定信用情報機関) client: one inquiry per applicant, over HTTP.

The bureau is asked by the spec's key - kana name, birth date and phone - and answers what
the person owes other money lenders (`other_balance`, `other_count`) and whether it holds
an adverse record (`delinquent`, 異動). A person it has no record of owes nothing and is
not delinquent: that is an answer (`NO_RECORD`), not a failure.

Anything else is *no answer*: the bureau unreachable, slower than the timeout, a 5xx or a
429, a refusal of our request, or a body we cannot read in full. `BureauUnavailable`
then carries a `kind` (a fixed word for metrics and the row's `last_error`, never
anything the applicant typed), and screening waits and asks again: it never decides on a
guess. An inquiry changes nothing at the bureau, so asking again is always safe.

Wire (`simulators/bureau.py` speaks it): `POST /v1/bureau/inquiries`
`{kana_name, birth_date: YYYY-MM-DD, phone}` -> 200
`{found, other_balance, other_count, delinquent}`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeGuard

import httpx

from shunfuri.domain.screening import NO_RECORD, BureauAnswer

INQUIRIES = "/v1/bureau/inquiries"


@dataclass(frozen=True)
class BureauKey:
    """Who is asked about: canonical kana (full-width katakana), birth date, phone digits."""

    kana_name: str
    birth_date: date
    phone: str

    def __repr__(self) -> str:  # personal data: never in a log line or a traceback
        return "BureauKey(...)"


class BureauUnavailable(Exception):
    """No usable answer this time; ask again later. `kind` is one of KINDS."""

    KINDS = ("timeout", "unreachable", "server_error", "refused", "unreadable")

    def __init__(self, kind: str) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        super().__init__(f"credit bureau: {kind}")


class Bureau(Protocol):
    def inquire(self, key: BureauKey) -> BureauAnswer:
        """The bureau's answer about one person; raises BureauUnavailable without one."""
        ...


class HttpBureauGateway:
    """`client` (an httpx.Client, e.g. a test's in-process transport) replaces the
    keep-alive client this gateway would otherwise open per process."""

    def __init__(self, base_url: str, *, timeout: float = 5.0,
                 client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._given = client
        self._client: httpx.Client | None = None
        self._pid = 0

    @property
    def client(self) -> httpx.Client:
        if self._given is not None:
            return self._given
        # One pool per process: Celery forks its workers after import.
        if self._client is None or self._pid != os.getpid():
            self._client = httpx.Client(base_url=self.base_url, timeout=self.timeout)
            self._pid = os.getpid()
        return self._client

    def inquire(self, key: BureauKey) -> BureauAnswer:
        body = {"kana_name": key.kana_name, "birth_date": key.birth_date.isoformat(),
                "phone": key.phone}
        try:
            response = self.client.post(INQUIRIES, json=body, timeout=self.timeout)
        except httpx.TimeoutException:
            raise BureauUnavailable("timeout") from None
        except httpx.HTTPError:
            raise BureauUnavailable("unreachable") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise BureauUnavailable("server_error")
        if response.status_code != 200:
            # Our request refused as a whole: our bug, not the applicant's. Ask again (and
            # the metric says so) rather than decide anything.
            raise BureauUnavailable("refused")
        return read_answer(response)


def read_answer(response: httpx.Response) -> BureauAnswer:
    """The answer, or BureauUnavailable("unreadable") unless every field is there and
    well typed: a half-read answer is not an answer."""
    try:
        data: Any = response.json()
    except ValueError:
        raise BureauUnavailable("unreadable") from None
    if not isinstance(data, dict) or not isinstance(data.get("found"), bool):
        raise BureauUnavailable("unreadable")
    balance, count, delinquent = (data.get(k) for k in
                                  ("other_balance", "other_count", "delinquent"))
    if not (_whole(balance) and _whole(count) and isinstance(delinquent, bool)):
        raise BureauUnavailable("unreadable")
    if not data["found"]:
        if balance or count or delinquent:
            raise BureauUnavailable("unreadable")  # "no record" that owes something
        return NO_RECORD
    return BureauAnswer(other_balance=balance, other_count=count, delinquent=delinquent)


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62
