"""Reading the credit bureau's answer: every field there and well typed, or no answer at
all (screening then waits and asks again; it never decides on half an answer)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from shunfuri.domain.screening import NO_RECORD, BureauAnswer
from shunfuri.gateway.bureau import BureauKey, BureauUnavailable, read_answer


def answer(body: object) -> httpx.Response:
    return httpx.Response(200, json=body)


def test_a_record_and_no_record() -> None:
    found = {"found": True, "other_balance": 200_000, "other_count": 2, "delinquent": False}
    assert read_answer(answer(found)) == BureauAnswer(200_000, 2, False)
    nothing = {"found": False, "other_balance": 0, "other_count": 0, "delinquent": False}
    assert read_answer(answer(nothing)) is NO_RECORD


@pytest.mark.parametrize("body", [
    {}, [], "ok", {"found": True},
    {"found": True, "other_balance": "200000", "other_count": 2, "delinquent": False},
    {"found": True, "other_balance": -1, "other_count": 2, "delinquent": False},
    {"found": True, "other_balance": 1.5, "other_count": 2, "delinquent": False},
    {"found": True, "other_balance": 0, "other_count": True, "delinquent": False},
    {"found": True, "other_balance": 0, "other_count": 0, "delinquent": "no"},
    {"found": "yes", "other_balance": 0, "other_count": 0, "delinquent": False},
    {"found": False, "other_balance": 10, "other_count": 0, "delinquent": False},
    {"found": False, "other_balance": 0, "other_count": 0, "delinquent": True},
])
def test_anything_less_is_no_answer(body: object) -> None:
    with pytest.raises(BureauUnavailable) as caught:
        read_answer(answer(body))
    assert caught.value.kind == "unreadable"


def test_not_json_is_no_answer() -> None:
    with pytest.raises(BureauUnavailable):
        read_answer(httpx.Response(200, text="<html>maintenance</html>"))


def test_the_key_never_shows_itself() -> None:
    key = BureauKey("ヤマダ ハナコ", date(1990, 4, 1), "09012345678")
    assert "ヤマダ" not in repr(key) and "0901" not in repr(key) and "ヤマダ" not in str(key)
