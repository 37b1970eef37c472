"""Logging in as members really type, and every refusal of the login catalogue as a page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import journey
from tests.system import poll


def test_login_with_a_full_width_hyphenated_card_number(page, system, checked):
    member = journey.new_member(system.url)
    page.goto("/login")
    checked(page)
    journey.log_in(page, member, card_number=journey.full_width_hyphenated(member["card_number"]))
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="会員トップ")).to_be_visible()
    expect(page.locator(".figure.main dd")).to_have_text("500,000円")
    checked(page)


def test_three_wrong_pins_in_the_members_own_browser_then_the_locked_page(
        page, system, checked):
    member = journey.new_member(system.url)
    journey.log_in(page, member)  # from now on this browser is one the member used
    expect(page.get_by_role("heading", name="会員トップ")).to_be_visible()
    page.get_by_role("button", name="ログアウト").click()
    wrong = {**member, "pin": "0000"}
    for _ in range(3):
        journey.log_in(page, wrong)
        expect(page.get_by_role("alert")).to_contain_text("正しくありません")
    checked(page)
    journey.log_in(page, member)  # the right PIN no longer helps
    expect(page.get_by_role("heading", name="ログインがロックされています")).to_be_visible()
    body = page.locator("main")
    expect(body).to_contain_text("自動契約機")
    expect(body).to_contain_text("運転免許証")
    expect(body).to_contain_text("健康保険証")
    expect(body).to_contain_text("メールやお電話では暗証番号を再設定できません")
    checked(page)


def test_a_strangers_browser_cannot_lock_the_member_out(page, browser, system, checked):
    """Issue 23, item 1, in real browsers: a stranger who knows the card number types
    wrong PINs in a browser of their own. Their browser is paused (even for the right
    PIN) and recovers by itself; the member's own browser logs in throughout."""
    member = journey.new_member(system.url)
    journey.log_in(page, member)
    expect(page.get_by_role("heading", name="会員トップ")).to_be_visible()
    page.get_by_role("button", name="ログアウト").click()

    context = browser.new_context(base_url=system.url, locale="ja-JP",
                                  timezone_id="Asia/Tokyo", viewport=journey.PC)
    stranger = context.new_page()
    stranger.set_default_timeout(20_000)
    try:
        for _ in range(3):
            journey.log_in(stranger, {**member, "pin": "0000"})
        journey.log_in(stranger, member)  # the right PIN, in the stranger's browser
        alert = stranger.get_by_role("alert")
        expect(alert).to_contain_text("このブラウザからのカード番号でのログインを一時的にお休みしています")
        expect(alert).to_contain_text("ほど待ってから")
        expect(alert).to_contain_text("以前にこのサービスへログインしたことのあるブラウザやアプリからは")
        expect(stranger.get_by_role("heading", name="会員トップ")).to_have_count(0)
        expect(stranger.locator("main")).not_to_contain_text("ロックされています")
        checked(stranger)

        journey.log_in(page, member)  # the member's own browser: in at once
        expect(page.get_by_role("heading", name="会員トップ")).to_be_visible()

        def recovered() -> bool:
            journey.log_in(stranger, member)
            return stranger.get_by_role("heading", name="会員トップ").count() == 1

        poll(recovered, timeout=journey.STRANGER_LOCKOUT + 60, interval=1,
             what="the stranger's browser to be let in again after its lockout")
    finally:
        context.close()


def test_lost_card_page(page, system, checked):
    member = journey.new_member(system.url)
    journey.staff(system.url, member, "report-card-lost")
    journey.log_in(page, member)
    expect(page.get_by_role("heading", name="このカードではログインできません")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Web-IDとパスワードでログインできます")
    checked(page)


def test_suspended_page(page, system, checked):
    member = journey.new_member(system.url)
    journey.staff(system.url, member, "suspend")
    journey.log_in(page, member)
    expect(page.get_by_role("heading", name="ご利用が停止されています")).to_be_visible()
    expect(page.locator("main")).to_contain_text("お問い合わせ窓口")
    checked(page)


def test_a_form_posted_without_its_csrf_token_is_refused(page, system, checked):
    member = journey.new_member(system.url)
    page.goto("/login")
    page.get_by_label("カード番号（16桁）").fill(member["card_number"])
    page.get_by_label("暗証番号（4桁）").fill(member["pin"])
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_role("button", name="カード番号でログイン").click()
    expect(page.get_by_role("heading", name="送信を受け付けられませんでした")).to_be_visible()
    checked(page)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))  # no session was made


def test_set_a_web_id_then_log_in_with_it(page, system, checked):
    member = journey.new_member(system.url)
    journey.log_in(page, member)
    page.get_by_role("link", name="Web-ID設定").click()
    checked(page)
    web_id = journey.unique_web_id("taro.")
    page.get_by_label("Web-ID", exact=True).fill(web_id.upper())
    page.get_by_label("新しいパスワード", exact=True).fill("correct horse battery")
    page.get_by_label("新しいパスワード（確認）").fill("correct horse battery")
    page.get_by_label("現在の暗証番号（4桁）").fill("２５８０")
    page.get_by_role("button", name="登録する").click()
    expect(page.get_by_role("status")).to_contain_text("Web-IDとパスワードを登録しました")
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("status")).to_contain_text("ログアウトしました")
    page.get_by_label("Web-ID", exact=True).fill(web_id)
    page.get_by_label("パスワード", exact=True).fill("correct horse battery")
    page.get_by_role("button", name="Web-IDでログイン").click()
    expect(page.get_by_role("heading", name="会員トップ")).to_be_visible()


def test_another_members_transfer_is_a_404_page(page, system, checked, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    owner = journey.new_member(system.url)
    payee = journey.api_payee(system.url, owner)
    import httpx

    made = httpx.post(f"{system.url}/v1/transfers", json={"payee_id": payee, "amount": 1000},
                      headers=journey.api_token(system.url, owner), timeout=30).json()
    journey.log_in(page, journey.new_member(system.url))
    response = page.goto(f"/transfers/{made['id']}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="ページが見つかりません")).to_be_visible()
    checked(page)
