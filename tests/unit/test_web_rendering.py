"""The member site's pure parts: how states, money and instants read, what members may
type as an amount, finding banks by kana, and why a quote decided what it did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shunfuri.domain.banks import get_bank, search_banks, search_branches
from shunfuri.domain.orders import RESTING
from shunfuri.domain.windows import quote, quote_reason
from shunfuri.errors import ShunfuriError
from tests.examples import examples
from web.filters import STATUS, jst, status_label, yen
from web.forms import parse_amount
from web.site import environment

EVERY_STATUS = ("accepted", "processing", "scheduled", "settled", "rejected", "failed",
                "cancelled", "needs_attention")


def panel(status: str, **extra) -> str:
    t = {"id": "t-1", "status": status, "amount": 10000, "payee_id": 1, "decision": "instant",
         "accepted_at": "2026-12-01T13:00:00+09:00", "settle_at": "2026-12-01T13:00:00+09:00",
         "settled_at": None, "failure_code": None, "note": None, **extra}
    following = status not in RESTING
    return environment().get_template("_status_panel.html").render(
        t=t, following=following, status_label=status_label)


@pytest.mark.parametrize("status", EVERY_STATUS)
def test_every_status_has_japanese_words(status):
    assert status in STATUS
    html = panel(status)
    assert status_label(status).label in html
    assert f'data-status="{status}"' in html


def test_a_transfer_in_doubt_never_reads_as_failed():
    for status in ("processing", "needs_attention"):
        html = panel(status)
        assert "できません" not in html and "失敗" not in html
        assert "確認" in html
    assert "担当者" in panel("needs_attention")
    assert 'data-follow="/transfers/t-1/panel"' in panel("processing")
    assert "data-follow" not in panel("needs_attention")  # staff have it: stop polling


def test_settled_shows_the_seconds_it_took():
    html = panel("settled", settled_at="2026-12-01T13:00:02.400000+09:00")
    assert "<strong>2.4秒</strong>" in html


def test_refusals_say_why():
    assert "ご利用可能額が足りませんでした" in panel("rejected", failure_code="insufficient_credit")
    assert "口座名義" in panel("failed", failure_code="name_mismatch")
    assert "銀行がお振込みを受け付けませんでした" in panel("failed", failure_code="something_new")


def test_scheduled_offers_cancel():
    html = panel("scheduled", decision="scheduled", settle_at="2026-12-02T00:30:00+00:00")
    assert "2026年12月2日(水) 09:30ごろ" in html
    assert 'href="/transfers/t-1/cancel"' in html


def test_money_and_instants():
    assert yen(1234567) == "1,234,567円"
    assert yen(-5) == "0円"
    assert jst(datetime(2026, 12, 6, 13, 0, tzinfo=UTC)) == "2026年12月6日(日) 22:00"
    assert jst("2026-12-01T14:49:58+09:00", seconds=True) == "2026年12月1日(火) 14:49:58"


@pytest.mark.parametrize("typed,amount", [
    ("10000", 10000), ("１０，０００", 10000), ("10,000円", 10000), ("¥3,000", 3000),
    (" ５０００ ", 5000),
])
def test_amounts_as_typed(typed, amount):
    assert parse_amount(typed) == amount


@pytest.mark.parametrize("typed", ["", "1万", "10.5", "-1000", "1e4", "١٠٠٠٠"])
def test_amounts_that_are_not_numbers(typed):
    with pytest.raises(ShunfuriError) as caught:
        parse_amount(typed)
    assert caught.value.code == "validation_error"


@pytest.mark.parametrize("typed", ["みついすみとも", "ミツイスミトモ", "ﾐﾂｲｽﾐﾄﾓ", "三井住友", "0009",
                                   "mitsuisumitomo", "ミツイ スミトモ"])
def test_smbc_is_found_however_it_is_typed(typed):
    assert search_banks(typed)[0].code == "0009"


def test_branches_found_by_kana_with_small_letters_and_by_code():
    assert search_branches("0009", "じんぼうちょう")[0].code == "001"
    assert search_branches("0009", "001")[0].name == "神保町"
    assert search_banks("") == [] and search_banks("存在しない銀行名") == []


INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
    timezones=st.just(UTC),
)


@settings(max_examples=examples(300), deadline=None)
@given(at=INSTANTS, code=st.sampled_from(["0009", "0033", "0005", "0001"]))
def test_the_reason_agrees_with_the_decision(at, code):
    bank = get_bank(code)
    decided, reason = quote(bank, at), quote_reason(bank, at)
    expected = {
        "service_closed": "closed", "realtime": "instant", "business_hours": "instant",
        "realtime_maintenance": "scheduled", "before_opening": "scheduled",
        "after_cutoff": "scheduled", "non_business_day": "scheduled",
    }
    assert decided.decision == expected[reason]
    if reason == "before_opening":
        assert decided.settle_at - at < timedelta(hours=9, minutes=30)


def test_production_cookies_are_secure_host_only(monkeypatch):
    from starlette.responses import Response

    from web import security
    from web.site import MEMBER_SITE

    monkeypatch.setattr(security, "production", lambda: True)
    response = Response()
    security.set_session_cookie(response, MEMBER_SITE, "token")
    security.secure_headers(response)
    cookies = response.headers.getlist("set-cookie")
    session = next(c for c in cookies if c.startswith("__Host-shunfuri_session=token"))
    assert "Secure" in session and "HttpOnly" in session and "Path=/" in session
    assert "samesite=lax" in session.lower() and "Domain" not in session
    assert response.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("target,expected", [
    ("/transfers", "/transfers"), ("//evil.example", "/"), ("https://evil.example", "/"),
    ("/\\evil.example", "/"), ("", "/"),
])
def test_only_paths_of_this_site_after_login(target, expected):
    from web.security import safe_next

    assert safe_next(target) == expected


def test_every_template_compiles():
    env = environment()
    names = env.list_templates()
    assert "base.html" in names and len(names) > 10
    for name in names:
        env.get_template(name)
