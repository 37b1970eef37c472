"""The decision before confirming, at the moments the rules change: Sunday night at SMBC,
and a standard bank across 14:50; then cancelling a scheduled transfer."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser import journey
from tests.system import poll


def test_smbc_at_sunday_22_shows_monday_07_before_confirming(page, system, checked, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    journey.api_payee(system.url, member, "0009")
    journey.log_in(page, member)
    clock(f"{journey.SUNDAY_NIGHT}@1")
    page.goto("/transfer")
    page.get_by_label("お借入れ金額（円）").fill("20000")
    page.get_by_role("button", name="振込日時を確認する").click()
    expect(page.locator("#decision")).to_have_text("2026年12月7日(月) 07:00ごろのお振込みになります")
    expect(page.locator("#decision-reason")).to_contain_text("メンテナンス")
    checked(page)
    page.get_by_role("button", name="この日時で予約する").click()
    expect(page.locator("#status-label")).to_have_text("振込予約中")
    expect(page.locator("#settle-at")).to_contain_text("2026年12月7日(月) 07:00")
    checked(page)


def test_standard_bank_at_14_49_58_crossing_14_50_before_confirm(page, system, checked, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    journey.api_payee(system.url, member, "0005")  # MUFG: a standard bank
    journey.log_in(page, member)
    page.goto("/transfer")
    page.get_by_label("お借入れ金額（円）").fill("12000")
    # Slowed down: 2 simulated seconds to 14:50 last 20 real ones, time to read the review
    # even on a busy machine.
    clock(f"{journey.BEFORE_CUTOFF}@0.1")
    page.get_by_role("button", name="振込日時を確認する").click()
    expect(page.locator("#decision")).to_have_text("最短10秒でお振込みします")

    def crossed() -> bool:
        quote = system.http.get("/v1/availability", params={"bank_code": "0005"}).json()
        return quote["decision"] == "scheduled"

    poll(crossed, timeout=60, interval=0.1, what="the clock to cross 14:50")
    page.get_by_role("button", name="この内容で振り込む").click()
    expect(page.locator("#decision-changed")).to_be_visible()
    expect(page.locator("#decision")).to_have_text("2026年12月2日(水) 09:30ごろのお振込みになります")
    expect(page.locator("#decision-reason")).to_contain_text("14:50以降")
    assert journey.transfers_of(system.url, member) == []  # nothing accepted yet
    checked(page)
    page.get_by_role("button", name="この日時で予約する").click()
    expect(page.locator("#status-label")).to_have_text("振込予約中")
    made = journey.transfers_of(system.url, member)
    assert [t["decision"] for t in made] == ["scheduled"]

    # Cancel it, through the confirmation step.
    page.get_by_role("link", name="この予約を取り消す").click()
    checked(page)
    page.get_by_role("button", name="予約を取り消す").click()
    expect(page.locator("#status-label")).to_have_text("取消済み")
    expect(page.get_by_role("status").first).to_contain_text("取り消しました")
    # A second cancel (say, from another tab) is refused with the catalogue's words.
    page.goto(f"/transfers/{made[0]['id']}/cancel")
    expect(page.get_by_role("heading", name="このお振込みは取り消せません")).to_be_visible()
    expect(page.locator("main")).to_contain_text("取り消せません")
    checked(page)
    # The hold is released: all of the credit line is available again.
    me = system.http.get("/v1/me", headers=journey.api_token(system.url, member)).json()
    assert me["held"] == 0 and me["available"] == 500_000
