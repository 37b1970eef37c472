"""Fault controls shared by the simulators (the bank's `POST /v1/control`, the bureau's
`POST /v1/bureau/control`): the same fields, the same meaning.

- `latency_ms`: every call waits this long before it is served (default 2 ms);
- `transient_rate`: this share of calls is answered 503 before any work is done;
- `outage`: every call is answered 503 before any work is done;
- `lose_response_rate`: this share of calls is served (the work is done and recorded)
  and then answered 504 instead: the answer is lost on its way back;
- `garbage_rate` / `garbage_body` (the bank): this share of calls is served and then
  answered 200 with a body that is not the answer the protocol promises.

A simulator calls `degraded()` before its work and `answer_lost()` after it. `Stats` is
what the bank counts (`GET /v1/stats`), for load, chaos and integration tests.
"""

from __future__ import annotations

import asyncio
import random
from typing import Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

# Bodies of a 200 that is not the answer the protocol promises (`garbage_body`): not
# JSON at all, JSON that is not an object, an object without a list of results, results
# that are not objects. The work (payment, collection, look-up) is done before.
GARBAGE: dict[str, tuple[bytes, str]] = {
    "text": (b"<html><body>Service Temporarily Unavailable</body></html>", "text/html"),
    "array": (b"[]", "application/json"),
    "null": (b"null", "application/json"),
    "results": (b'{"results": "ok"}', "application/json"),
    "items": (b'{"results": [["paid"], 1, null]}', "application/json"),
}
GarbageBody = Literal["text", "array", "null", "results", "items"]


class Control(BaseModel):
    """A change of the faults; fields left out stay as they are."""

    latency_ms: float | None = Field(default=None, ge=0, le=60_000)
    transient_rate: float | None = Field(default=None, ge=0, le=1)
    lose_response_rate: float | None = Field(default=None, ge=0, le=1)
    outage: bool | None = None
    garbage_rate: float | None = Field(default=None, ge=0, le=1)
    garbage_body: GarbageBody | None = None


class Faults:
    """The faults in force in one simulator process."""

    def __init__(self) -> None:
        self.latency_ms = 2.0
        self.transient_rate = 0.0
        self.lose_response_rate = 0.0
        self.outage = False
        self.garbage_rate = 0.0
        self.garbage_body = "text"

    def as_dict(self) -> dict:
        return dict(vars(self))

    def apply(self, change: Control) -> dict:
        for key, value in change.model_dump(exclude_none=True).items():
            setattr(self, key, value)
        return self.as_dict()

    async def degraded(self) -> JSONResponse | None:
        """The refusal to answer instead of serving the call, or None to serve it."""
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        if self.outage or random.random() < self.transient_rate:
            return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
        return None

    def answer_lost(self) -> bool:
        """Whether the answer of a call just served is lost (answer 504 instead)."""
        return random.random() < self.lose_response_rate

    @staticmethod
    def lost_answer() -> JSONResponse:
        return JSONResponse({"error": "gateway_timeout"}, status_code=504)


class Stats:
    """What the bank saw, for tests: how many answers it lost, how often it was asked."""

    def __init__(self) -> None:
        self.orders = 0
        self.collections = 0
        self.lost_answers = 0  # orders whose answer was recorded, then lost (504)
        self.garbled_answers = 0  # answers sent as a 200 whose body is garbage
        self.inquiries = 0  # ids asked about
        self.refused_invalid = 0

    def as_dict(self) -> dict:
        return dict(vars(self))
