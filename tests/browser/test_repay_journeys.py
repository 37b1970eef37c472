"""ご返済 through the pages against the real pipeline: borrow, repay with the split shown
before confirming, follow the collection to ご返済完了, then 返済予定 and ご利用明細."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import journey
from tests.system import poll

# 2027-01-12 (Tuesday): the first advance's free days (2 .. 31 Dec) are over, and the
# first due date (25 Dec 2026) passed unpaid.
AFTER_FREE_DAYS = "2027-01-12T10:00:00+09:00"


def test_repay_shows_the_split_and_reaches_completed(page, phone, system, checked, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    payee_id = journey.api_payee(system.url, member, "0009")
    borrowed = system.http.post("/v1/transfers", headers=journey.api_token(system.url, member),
                                json={"payee_id": payee_id, "amount": 30_000})
    assert borrowed.status_code == 202, borrowed.text
    poll(lambda: journey.transfers_of(system.url, member)[0]["status"] == "settled",
         timeout=30, what="the advance to settle")
    clock(f"{AFTER_FREE_DAYS}@1")
    journey.log_in(page, member)
    page.get_by_role("link", name="返済予定", exact=True).click()
    expect(page.locator("#overdue")).to_contain_text("2026年12月25日(金)")
    checked(page)
    page.get_by_role("link", name="ご返済", exact=True).click()
    # 30,000 yen for 1 .. 12 Jan 2027 at 17.8 %: floor(30,000 x 1780 x 12 / 3,650,000) = 175
    expect(page.locator("#payoff")).to_have_text("30,175円")
    checked(page)
    page.get_by_label("ご返済額（円）").fill("１０，０００")
    page.get_by_role("button", name="内訳を確認する").click()
    expect(page.locator("#review-interest")).to_have_text("175円")
    expect(page.locator("#review-principal")).to_have_text("9,825円")
    checked(page)
    page.get_by_role("button", name="この内容で返済する").click()
    expect(page).to_have_url(re.compile(r"/repayments/[0-9a-f-]{36}$"))
    expect(page.locator("#status-label")).to_have_text("ご返済完了")  # followed live
    expect(page.locator("#to-principal")).to_have_text("9,825円")
    checked(page)
    page.get_by_role("link", name="返済予定", exact=True).click()
    expect(page.locator("#overdue")).to_have_count(0)  # 10,000 >= the 4,000 minimum + interest
    page.get_by_role("link", name="ご利用明細", exact=True).click()
    expect(page.locator("#lines .line-repayment")).to_have_count(1)
    checked(page)
    journey.log_in(phone, member)
    for path in ("/repay", "/dues", "/statement?month=2027-01"):
        phone.goto(path)
        checked(phone, phone=True)
