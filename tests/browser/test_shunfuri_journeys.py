"""Registering a payee and 瞬フリ through the pages, against the real pipeline."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import journey
from tests.system import poll

# What a browser's "resend the form" does: the same fields, posted again.
RESEND = """fields => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = '/transfer/confirm';
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden'; input.name = name; input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""


def fill_transfer(page, amount: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="瞬フリ（お借入れ）").click()
    page.get_by_label("お借入れ金額（円）").fill(amount)


def test_register_an_smbc_payee_by_typing_its_kana_name(page, system, checked):
    member = journey.new_member(system.url)
    journey.log_in(page, member)
    page.get_by_role("link", name="振込先口座").click()
    checked(page)
    page.get_by_role("link", name="振込先口座を登録する").click()
    # With JavaScript the list follows the typing; the search button is for without it.
    page.get_by_label("金融機関名・フリガナ・金融機関コード").fill("みついすみとも")
    smbc = page.get_by_role("link", name=re.compile(r"^三井住友\s*ミツイスミトモ・0009"))
    expect(smbc).to_be_visible()
    checked(page)
    smbc.click()
    page.get_by_label("支店名・フリガナ・支店コード").fill("ジンボウチョウ")
    page.get_by_role("button", name="探す").click()
    checked(page)
    page.get_by_role("link", name=re.compile("神保町")).click()
    page.get_by_label("口座番号（7桁まで）").fill("１２３４５６７")
    page.get_by_label("口座名義（カナ）").fill("山田")  # kanji: refused, inline
    page.get_by_role("button", name="確認する").click()
    expect(page.locator("#e-holder_name")).to_contain_text("「山」（1文字目）")
    checked(page)
    page.get_by_label("口座名義（カナ）").fill("ヤマダ　タロウ")
    page.get_by_role("button", name="確認する").click()
    expect(page.locator("#holder-as-sent")).to_have_text("ﾔﾏﾀﾞ ﾀﾛｳ")
    checked(page)
    page.get_by_label("暗証番号（4桁）").fill(member["pin"])
    page.get_by_role("button", name="この内容で登録する").click()
    expect(page.get_by_role("status")).to_contain_text("振込先口座を登録しました")
    expect(page.locator(".payee")).to_contain_text("三井住友（0009） 神保町（001）")


def test_shunfuri_to_smbc_on_a_weekday_afternoon_reaches_settled(page, system, checked, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    journey.api_payee(system.url, member, "0009")
    journey.log_in(page, member)
    fill_transfer(page, "３０，０００")
    checked(page)
    page.get_by_role("button", name="振込日時を確認する").click()
    expect(page.locator("#decision")).to_have_text("最短10秒でお振込みします")
    checked(page)
    page.get_by_role("button", name="この内容で振り込む").click()
    expect(page).to_have_url(re.compile(r"/transfers/[0-9a-f-]{36}$"))
    expect(page.locator("#status-label")).to_have_text("振込完了")  # followed live
    expect(page.locator("#elapsed")).to_contain_text("秒")
    checked(page)
    page.goto("/")
    expect(page.locator(".figure.main dd")).to_have_text("470,000円")
    page.get_by_role("link", name="お取引履歴").first.click()
    expect(page.locator(".transfer")).to_have_count(1)
    checked(page)


def test_double_click_on_confirm_makes_one_transfer(page, system, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    journey.api_payee(system.url, member, "0009")
    journey.log_in(page, member)
    fill_transfer(page, "5000")
    page.get_by_role("button", name="振込日時を確認する").click()
    sent = page.eval_on_selector("form[action='/transfer/confirm']",
                                 "f => Object.fromEntries(new FormData(f))")
    page.locator("#confirm").dblclick()
    expect(page).to_have_url(re.compile(r"/transfers/[0-9a-f-]{36}$"))
    status_url = page.url
    # Back and "resend": the review page is never cached (no-store), so going back to it
    # posts the same confirm form again - the same key - and lands on the same transfer.
    page.goto("/transfer")
    page.evaluate(RESEND, sent)
    expect(page).to_have_url(status_url)
    poll(lambda: journey.transfers_of(system.url, member), timeout=10, what="the transfer")
    made = journey.transfers_of(system.url, member)
    assert len(made) == 1, made
    assert made[0]["amount"] == 5000


def test_the_phone_viewport_never_scrolls_sideways(phone, system, checked, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    journey.api_payee(system.url, member, "0009")
    page = phone
    page.goto("/login")
    checked(page, phone=True)
    journey.log_in(page, member, card_number=journey.full_width_hyphenated(member["card_number"]))
    expect(page.get_by_role("heading", name="会員トップ")).to_be_visible()
    checked(page, phone=True)
    page.goto("/transfer")
    page.get_by_label("お借入れ金額（円）").fill("10000")
    checked(page, phone=True)
    page.get_by_role("button", name="振込日時を確認する").click()
    checked(page, phone=True)
    page.get_by_role("button", name="この内容で振り込む").click()
    expect(page.locator("#status-label")).to_have_text("振込完了")
    checked(page, phone=True)
    for path in ("/transfers", "/payees", "/payees/new?bank_q=ミズホ",
                 "/payees/new?bank=0009&branch_q=ほんてん", "/payees/new?bank=0009&branch=001",
                 "/settings/web-id", "/transfers/no-such-transfer"):
        page.goto(path)
        checked(page, phone=True)


def test_every_step_works_without_javascript(browser, system, clock):
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    context = browser.new_context(base_url=system.url, java_script_enabled=False)
    page = context.new_page()
    try:
        journey.log_in(page, member)
        page.goto("/payees/new")
        page.get_by_label("金融機関名・フリガナ・金融機関コード").fill("ミズホ")
        page.get_by_role("button", name="探す").click()
        page.get_by_role("link", name=re.compile(r"^みずほ\s*ミズホ・0001")).click()
        page.get_by_label("支店名・フリガナ・支店コード").fill("001")
        page.get_by_role("button", name="探す").click()
        page.get_by_role("link", name=re.compile("東京営業部")).click()
        page.get_by_label("口座番号（7桁まで）").fill("7654321")
        page.get_by_label("口座名義（カナ）").fill("ｽｽﾞｷ ﾊﾅｺ")
        page.get_by_role("button", name="確認する").click()
        page.get_by_label("暗証番号（4桁）").fill(member["pin"])
        page.get_by_role("button", name="この内容で登録する").click()
        fill_transfer(page, "8000")
        page.get_by_role("button", name="振込日時を確認する").click()
        page.get_by_role("button", name="この内容で振り込む").click()

        def settled() -> bool:
            label = page.locator("#status-label").inner_text()
            if label != "振込完了":
                page.get_by_role("link", name="最新の状況を表示する").click()
            return label == "振込完了"

        poll(settled, timeout=30, interval=0.5, what="振込完了 by the refresh link")
        expect(page.locator("#elapsed")).to_contain_text("秒")
    finally:
        context.close()
