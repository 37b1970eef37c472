"""`GET /v1/availability` through the real application (no auth)."""

from __future__ import annotations

import pytest

from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.domain.instants import parse_instant

URL = "/v1/availability"


def test_quote_at_an_instant(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, params={"bank_code": "0009", "at": "2026-11-29T22:15:00+09:00"})
    assert response.status_code == 200
    assert response.json() == {
        "bank_code": "0009",
        "bank_name": "三井住友",
        "decision": "scheduled",
        "settle_at": "2026-11-30T07:00:00+09:00",
        "retry_at": None,
    }


@pytest.mark.parametrize(
    ("code", "at", "decision", "settle_at", "retry_at"),
    [
        ("0001", "2026-11-25T08:59:59+09:00", "scheduled", "2026-11-25T09:30:00+09:00", None),
        ("0001", "2026-11-25T09:00:00+09:00", "instant", "2026-11-25T09:00:00+09:00", None),
        ("0001", "2026-11-25T14:50:00+09:00", "scheduled", "2026-11-26T09:30:00+09:00", None),
        ("0033", "2026-11-30T06:59:59+09:00", "closed", None, "2026-11-30T07:00:00+09:00"),
        ("0033", "2026-11-30T07:00:00+09:00", "instant", "2026-11-30T07:00:00+09:00", None),
        # In UTC, answered in +09:00.
        ("0001", "2026-11-25T05:49:59Z", "instant", "2026-11-25T14:49:59+09:00", None),
        # Without an offset: Japan time.
        ("0001", "2026-09-22T10:00", "scheduled", "2026-09-24T09:30:00+09:00", None),
        ("0009", "2026-01-01T12:00", "closed", None, "2026-01-02T00:00:00+09:00"),
    ],
)
def test_decisions(client, code, at, decision, settle_at, retry_at) -> None:  # type: ignore[no-untyped-def]
    body = client.get(URL, params={"bank_code": code, "at": at}).json()
    assert (body["decision"], body["settle_at"], body["retry_at"]) == (
        decision, settle_at, retry_at,
    )


def test_unencoded_plus_in_the_offset_is_understood(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"{URL}?bank_code=0001&at=2026-11-25T09:00:00+09:00")
    assert response.status_code == 200
    assert response.json()["decision"] == "instant"


def test_at_defaults_to_now(client) -> None:  # type: ignore[no-untyped-def]
    set_clock(SimulatedClock(start=parse_instant("2026-11-29T21:30+09:00"), speed=0.0001))
    try:
        body = client.get(URL, params={"bank_code": "0009"}).json()
    finally:
        set_clock(None)
    assert body["decision"] == "scheduled" and body["settle_at"] == "2026-11-30T07:00:00+09:00"


@pytest.mark.parametrize("code", ["9999", "12", "abcd", "０００９", "0009 ", ""])
def test_unknown_bank(client, code) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, params={"bank_code": code, "at": "2026-11-25T10:00"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "unknown_bank" and body["detail"] and body["detail_ja"]


@pytest.mark.parametrize(
    "at", ["tomorrow", "2026-13-01T00:00", "2026-11-25T25:00", "", "1/2/2026",
           "9999-12-31T23:00-09:00", "0001-01-01T00:00"],
)
def test_unparsable_instant_names_the_format(client, at) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL, params={"bank_code": "0009", "at": at})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"][0]["field"] == "at"
    assert "ISO 8601" in body["errors"][0]["message"] or "between" in body["errors"][0]["message"]


def test_missing_bank_code_is_a_validation_error(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths[URL]
