"""The member site's repayment pages in-process: 返済 (the split shown before confirming,
the payoff, one repayment per form), its status page, 返済予定 (with the overdue notice and
the due-day change) and ご利用明細 (with the CSV download)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import Member
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from shunfuri.services.repayments import overdue_marks
from tests import factories
from tests.integration.test_dues import advance
from tests.integration.test_repayments_api import collect
from tests.integration.test_web_pages import CSRF, signed_in

DEC_12 = datetime(2026, 12, 12, 10, tzinfo=JST)


@pytest.fixture()
def dec_12():
    set_clock(SimulatedClock(start=DEC_12, speed=0.0001))
    yield
    set_clock(None)


def borrowing(client, admin_headers, principal: int = 100_000) -> tuple[int, int]:
    """A signed-in member who borrowed `principal` on 2 Nov 2026 (free 3 Nov .. 2 Dec)."""
    m = signed_in(client, admin_headers, credit_limit=500_000)["member_id"]
    p = factories.payee(m)
    advance(m, p, principal, datetime(2026, 11, 2, 10, tzinfo=JST))
    with session_factory().begin() as session:
        session.get(Member, m).outstanding = principal
    return m, p


def test_repay_shows_the_split_before_confirming_and_one_form_is_one_repayment(
        client, admin_headers, dec_12):
    m, p = borrowing(client, admin_headers)
    form = client.get("/repay")
    assert form.status_code == 200
    assert "100,487円" in form.text  # the full payoff: ¥100,000 + 10 days' interest
    assert 'href="/repay?amount=100487"' in form.text
    assert '<label for="f-amount">' in form.text and "＊＊＊4567" in form.text
    key = re.search(r'name="key" value="(web-r-[0-9a-f]+)"', form.text).group(1)
    token = CSRF.search(form.text).group(1)
    review = client.post("/repay/review", data={"payee_id": str(p), "amount": "１０，０００円",
                                                "key": key, "csrf_token": token})
    assert review.status_code == 200
    assert re.search(r'id="review-interest">487円<', review.text)
    assert re.search(r'id="review-principal">9,513円<', review.text)
    data = {"payee_id": str(p), "amount": "10000", "key": key, "csrf_token": token}
    first = client.post("/repay/confirm", data=data, follow_redirects=False)
    second = client.post("/repay/confirm", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    status = client.get(first.headers["location"])
    assert "受付済み" in status.text and 'data-follow="/repayments/' in status.text
    collect(DEC_12)
    done = client.get(first.headers["location"])
    assert "ご返済完了" in done.text and re.search(r'id="to-principal">9,513円<', done.text)
    assert "data-follow" not in done.text


def test_repay_refusals_are_shown_on_the_form(client, admin_headers, dec_12):
    m, p = borrowing(client, admin_headers)
    form = client.get("/repay")
    token = CSRF.search(form.text).group(1)
    too_much = client.post("/repay/review", data={"payee_id": str(p), "amount": "200000",
                                                  "csrf_token": token})
    assert too_much.status_code == 422 and 'id="e-amount"' in too_much.text
    assert "100,487円" in too_much.text and "お引落としはありません" in too_much.text
    small = client.post("/repay/review", data={"payee_id": str(p), "amount": "500",
                                               "csrf_token": token})
    assert small.status_code == 422 and "1,000円以上" in small.text
    no_csrf = client.post("/repay/review", data={"payee_id": str(p), "amount": "5000"})
    assert no_csrf.status_code == 403


def test_dues_page_overdue_notice_and_due_day_change(client, admin_headers):
    set_clock(SimulatedClock(start=datetime(2026, 11, 27, 10, tzinfo=JST), speed=0.0001))
    try:
        m, p = borrowing(client, admin_headers)
        overdue_marks.mark_overdue(session_factory(),
                                   now=datetime(2026, 11, 27, 10, tzinfo=JST))
        page = client.get("/dues")
        assert page.status_code == 200
        assert 'id="overdue"' in page.text and "2026年11月25日(水)" in page.text
        assert 'href="/repay?amount=4000"' in page.text
        assert "2026年12月25日(金)" in page.text  # the next due date
        transfer = client.get("/transfer")
        token = CSRF.search(transfer.text).group(1)
        refused = client.post("/transfer/review", data={"payee_id": str(p), "amount": "1000",
                                                        "csrf_token": token})
        assert refused.status_code == 409 and "インターネット返済" in refused.text
        changed = client.post("/dues/due-day", data={"due_day": "31", "csrf_token": token},
                              follow_redirects=False)
        assert changed.status_code == 303
        after = client.get("/dues?done=due_day")
        assert 'id="pending-due-day">月末<' in after.text and "返済日を変更しました" in after.text
        bad = client.post("/dues/due-day", data={"due_day": "10", "csrf_token": token})
        assert bad.status_code == 422 and 'id="e-due_day"' in bad.text
    finally:
        set_clock(None)


def test_statement_page_and_csv(client, admin_headers, dec_12):
    m, p = borrowing(client, admin_headers)
    page = client.get("/statement?month=2026-11")
    assert page.status_code == 200 and "ご利用明細（2026年11月）" in page.text
    assert "ご融資（瞬フリ）" in page.text and "不足 4,000円" in page.text
    current = client.get("/statement")
    assert "2026年12月" in current.text and 'href="/statement.csv?month=2026-12"' in current.text
    csv_file = client.get("/statement.csv?month=2026-11")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "ご融資（瞬フリ）" in csv_file.content.decode("utf-8-sig")
    nav = re.findall(r'<li><a href="([^"]+)"', page.text)
    assert {"/repay", "/dues", "/statement"} <= set(nav)
    bad = client.get("/statement?month=2026-13", headers={"accept": "text/html"})
    assert bad.status_code == 422 and "入力内容に誤りがあります" in bad.text
