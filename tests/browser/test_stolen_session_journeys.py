"""Issue 23 in a real browser: a stolen member session cannot add a payee without the
PIN, the member is mailed when one is added, and /docs runs under the site's CSP with no
script from anywhere else."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import journey
from tests.browser.mail_journey import mail_to


def confirmed_address(page, system, member: dict) -> str:  # type: ignore[no-untyped-def]
    address = f"taro{member['member_id']}@example.jp"
    page.goto("/settings/mail")
    page.get_by_role("textbox", name="メールアドレス").fill(address)
    page.get_by_role("button", name="確認メールを送る").click()
    link = re.search(r"(/mail/confirm\?t=[0-9a-f]+)",
                     mail_to(system, address, "address_confirmation").text())
    page.goto(link.group(1))
    page.get_by_role("button", name="このアドレスを登録する").click()
    expect(page.get_by_role("status")).to_contain_text("確認が完了しました")
    # Event mail off: the payee notice is a security notice and goes all the same.
    page.goto("/settings/mail")
    for label in ("お振込み（瞬フリ）が完了したとき", "ご返済を確認したとき"):
        box = page.get_by_label(label)
        if box.is_checked():
            box.uncheck()
    page.get_by_role("button", name="設定を保存する").click()
    expect(page.get_by_role("status")).to_contain_text("メール設定を保存しました")
    return address


def to_the_account_form(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/payees/new?bank=0005&branch=001")
    page.get_by_label("口座番号（7桁まで）").fill("7654321")
    page.get_by_label("口座名義（カナ）").fill("ｽｽﾞｷ ﾊﾅｺ")
    page.get_by_role("button", name="確認する").click()


def test_a_stolen_session_cannot_add_a_payee_and_the_member_is_mailed(browser, page, system,
                                                                      checked):
    member = journey.new_member(system.url)
    journey.log_in(page, member)
    address = confirmed_address(page, system, member)

    # The thief has the member's session cookie (a shared PC, malware), not the PIN.
    thief_context = browser.new_context(base_url=system.url, locale="ja-JP")
    thief_context.add_cookies(page.context.cookies())
    thief = thief_context.new_page()
    try:
        to_the_account_form(thief)
        # The browser will not even send the form without it (the server refuses it too:
        # tests/security/test_payee_protection.py).
        expect(thief.get_by_label("暗証番号（4桁）")).to_have_attribute("required", "")
        thief.get_by_label("暗証番号（4桁）").fill("0000")
        thief.get_by_role("button", name="この内容で登録する").click()
        expect(thief.locator("#e-pin")).to_contain_text("暗証番号が正しくありません")
        expect(thief.get_by_role("alert").last).to_contain_text("3回続けて間違えるとロック")
        checked(thief)
        thief.goto("/payees")
        expect(thief.locator(".payee")).to_have_count(0)
    finally:
        thief_context.close()

    # The member, with the PIN: added, and told by mail (bank, branch, last 4 digits).
    to_the_account_form(page)
    page.get_by_label("暗証番号（4桁）").fill(member["pin"])
    page.get_by_role("button", name="この内容で登録する").click()
    expect(page.get_by_role("status")).to_contain_text("振込先口座を登録しました")
    notice = mail_to(system, address, "payee_added").text()
    assert "三菱ＵＦＪ" in notice and "末尾4321" in notice and "7654321" not in notice
    assert "お心当たりのない場合" in notice


def test_api_docs_run_under_the_csp_with_no_outside_script(page, system):
    outside, refused = [], []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(system.url) else None)
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    response = page.goto("/docs")
    assert response is not None and "script-src 'self'" in response.headers[
        "content-security-policy"]
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/v1/payees").first).to_be_visible()
    assert outside == [] and refused == []
