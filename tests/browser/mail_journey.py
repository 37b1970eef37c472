"""The mail journey, shared by the browser test and `make screenshots`: register an
address on メール設定, open the link the system mailed (read from the embedded SMTP
sink's Maildir in the data folder), confirm, change the settings, borrow, and read the
お振込み完了 mail in the development mailbox."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
from playwright.sync_api import expect

from shunfuri.mail.sink import kept_mail, maildir_path
from tests.browser import journey
from tests.system import poll

Step = Callable[[str], None]


def mail_to(system, address: str, kind: str):  # type: ignore[no-untyped-def]
    def found():  # type: ignore[no-untyped-def]
        mails = [m for m in kept_mail(maildir_path(system.data_dir))
                 if m.to == address and m.kind == kind]
        return mails[-1] if mails else None

    return poll(found, timeout=60, interval=0.25, what=f"a {kind} mail to {address}")


def walk(page, system, step: Step = lambda _: None) -> dict:  # type: ignore[no-untyped-def]
    """`step(name)` is called at each page worth a look (a check or a screenshot)."""
    member = journey.new_member(system.url)
    address = f"hanako{member['member_id']}@example.jp"
    journey.log_in(page, member)
    page.get_by_role("link", name="メール設定").click()
    expect(page.get_by_role("heading", name="メール設定", exact=True)).to_be_visible()
    step("mail-settings")
    page.get_by_role("textbox", name="メールアドレス").fill(address)
    page.get_by_role("button", name="確認メールを送る").click()
    expect(page.get_by_role("status")).to_contain_text("確認用のメールをお送りしました")
    step("mail-pending")

    confirmation = mail_to(system, address, "address_confirmation")
    link = re.search(r"https?://[^/\s]+(/mail/confirm\?t=[0-9a-f]+)", confirmation.text())
    assert link, confirmation.text()
    page.goto(link.group(1))
    expect(page.get_by_role("button", name="このアドレスを登録する")).to_be_visible()
    step("mail-confirm")
    page.get_by_role("button", name="このアドレスを登録する").click()
    expect(page.get_by_role("status")).to_contain_text("確認が完了しました")

    page.goto("/settings/mail")
    page.get_by_label("お知らせする日").select_option("7")
    page.get_by_label("ご返済を確認したとき").uncheck()
    page.get_by_role("button", name="設定を保存する").click()
    expect(page.get_by_role("status")).to_contain_text("メール設定を保存しました")
    expect(page.get_by_label("お知らせする日")).to_have_value("7")
    expect(page.get_by_label("ご返済を確認したとき")).not_to_be_checked()
    step("mail-saved")

    headers = journey.api_token(system.url, member)
    payee = journey.api_payee(system.url, member, "0033")
    r = httpx.post(f"{system.url}/v1/transfers", timeout=30, json={"payee_id": payee,
                   "amount": 30_000}, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 202, r.text
    settled = mail_to(system, address, "transfer_settled")
    assert "30,000円" in settled.text() and "末尾4567" in settled.text()
    assert "1234567" not in settled.text() and member["card_number"] not in settled.text()

    page.goto("/dev/mail")
    expect(page.get_by_role("heading", name="開発用メールボックス")).to_be_visible()
    step("mailbox")
    page.get_by_role("link", name=re.compile("お振込みが完了しました")).first.click()
    expect(page.locator(".mail-text")).to_contain_text("30,000円")
    step("mail-message")
    return {**member, "address": address}
