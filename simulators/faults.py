"""The bank simulator's fault controls (`POST /v1/control`) and what it counts
(`GET /v1/stats`), for load, chaos and integration tests."""

from __future__ import annotations

from typing import Literal

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
    latency_ms: float | None = Field(default=None, ge=0, le=60_000)
    transient_rate: float | None = Field(default=None, ge=0, le=1)
    lose_response_rate: float | None = Field(default=None, ge=0, le=1)
    outage: bool | None = None
    garbage_rate: float | None = Field(default=None, ge=0, le=1)
    garbage_body: GarbageBody | None = None


class Faults:
    def __init__(self) -> None:
        self.latency_ms = 2.0
        self.transient_rate = 0.0
        self.lose_response_rate = 0.0
        self.outage = False
        self.garbage_rate = 0.0
        self.garbage_body = "text"

    def as_dict(self) -> dict:
        return dict(vars(self))


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
