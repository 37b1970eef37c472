"""メール設定 on the member site (TestClient, real PostgreSQL and a real SMTP sink): register
an address, open the mailed link, confirm with the button, change the settings; the
development mailbox; CSRF on every form."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shunfuri.mail.sink import kept_mail, running_sink
from shunfuri.services.mail import outbox
from tests.integration.test_mail_outbox import Wall, mail_ctx
from tests.integration.test_web_pages import CSRF, csrf_of, signed_in


def test_register_confirm_and_change_settings(client, admin_headers, tmp_path: Path) -> None:
    signed_in(client, admin_headers)
    page = client.get("/settings/mail")
    assert page.status_code == 200
    assert '<a href="/settings/mail" aria-current="page">メール設定</a>' in page.text
    assert "未登録" in page.text and '<label for="f-address">' in page.text
    token = CSRF.search(page.text).group(1)

    bad = client.post("/settings/mail/address", data={"address": "hanako@", "csrf_token": token})
    assert bad.status_code == 422 and "形式が正しくありません" in bad.text
    assert 'value="hanako@"' in bad.text
    sent = client.post("/settings/mail/address",
                       data={"address": "hanako@example.jp", "csrf_token": token},
                       follow_redirects=True)
    assert sent.status_code == 200 and "確認用のメールをお送りしました" in sent.text
    assert "確認待ちのアドレス" in sent.text and "hanako@example.jp" in sent.text

    with running_sink(tmp_path / "mail") as sink:
        wall = Wall()
        wall.at = datetime.now(UTC)
        assert outbox.send_due(mail_ctx(sink.url, wall)).sent == 1
    [mail] = kept_mail(tmp_path / "mail")
    link = re.search(r"https://shunfuri\.example(/mail/confirm\?t=[0-9a-f]+)", mail.text())
    assert link is not None
    # Opening the link only shows a button (mail scanners open links).
    landing = client.get(link.group(1))
    assert landing.status_code == 200 and "このアドレスを登録する" in landing.text
    assert "確認待ちのアドレス" in client.get("/settings/mail").text
    t = re.search(r'name="t" value="([0-9a-f]+)"', landing.text).group(1)
    done = client.post("/mail/confirm", data={"t": t, "csrf_token": CSRF.search(
        landing.text).group(1)})
    assert done.status_code == 200 and "確認が完了しました" in done.text
    again = client.post("/mail/confirm", data={"t": t, "csrf_token": CSRF.search(
        landing.text).group(1)})
    assert again.status_code == 404 and "mail_link_invalid" in again.text

    page = client.get("/settings/mail")
    assert "お知らせを送るアドレス" in page.text and "確認待ち" not in page.text
    token = CSRF.search(page.text).group(1)
    saved = client.post("/settings/mail", data={
        "remind": "on", "remind_days_before": "7", "notify_overdue": "on", "csrf_token": token,
    }, follow_redirects=True)
    assert saved.status_code == 200 and "メール設定を保存しました" in saved.text
    assert '<option value="7" selected>' in saved.text
    assert re.search(r'name="notify_overdue" value="on" checked', saved.text)
    assert not re.search(r'name="notify_transfer_settled" value="on" checked', saved.text)
    wrong = client.post("/settings/mail", data={"remind_days_before": "2", "csrf_token": token})
    assert wrong.status_code == 422 and "お知らせする日を選んでください" in wrong.text


@pytest.mark.parametrize("path", ["/settings/mail", "/settings/mail/address", "/mail/confirm"])
def test_every_mail_form_needs_its_csrf_token(client, admin_headers, path: str) -> None:
    signed_in(client, admin_headers)
    response = client.post(path, data={"address": "a@example.jp", "t": "x"})
    assert response.status_code == 403 and "csrf_failed" in response.text


def test_settings_page_needs_a_login(client) -> None:
    response = client.get("/settings/mail", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_development_mailbox_shows_kept_mail(client, tmp_path: Path, monkeypatch) -> None:
    from shunfuri.settings import get_settings

    signed = csrf_of(client)  # the anonymous form cookie, as a visitor
    assert signed
    monkeypatch.setattr(get_settings(), "data_dir", tmp_path)
    assert "まだメールはありません" in client.get("/dev/mail").text
    from shunfuri.mail.smtp import SmtpSender
    from tests.integration.test_mail import message

    with running_sink(tmp_path / "mail") as sink:
        SmtpSender.from_url(sink.url).send(message(3))
    listing = client.get("/dev/mail")
    assert listing.status_code == 200 and "開発環境だけの画面です" in listing.text
    assert "【瞬フリ】ご返済の確認ができておりません" in listing.text
    shown = client.get("/dev/mail/1")
    assert shown.status_code == 200 and "9,267円" in html.unescape(shown.text)
    assert client.get("/dev/mail/2", headers={"accept": "text/html"}).status_code == 404


def test_no_mailbox_in_production(configured, monkeypatch) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    import web
    import web.security

    monkeypatch.setattr(web.security, "production", lambda: True)
    app = FastAPI()
    web.mount(app, waiter=lambda: None)  # type: ignore[arg-type]
    with TestClient(app) as browser:
        assert browser.get("/settings/mail", follow_redirects=False).status_code == 303
        assert browser.get("/dev/mail").status_code == 404
        assert browser.get("/dev/mail/1").status_code == 404
