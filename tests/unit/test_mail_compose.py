"""Composing member mail (spec/repayment.md, "Mail"): Japanese, UTF-8, plain text and HTML,
RFC 2047 subject, List-Unsubscribe and the settings link, never a card or account number."""

from __future__ import annotations

from datetime import date, datetime
from email import message_from_bytes, policy

import pytest

from shunfuri.domain.contract_terms import minimum_table
from shunfuri.domain.instants import JST
from shunfuri.mail.compose import (
    KINDS,
    AddressConfirmation,
    ContractDocument,
    Envelope,
    LoginLocked,
    OverdueNotice,
    PayeeAdded,
    RepaymentReceived,
    RepaymentReminder,
    TransferSettled,
    UnknownClientFailures,
    UnsafeMail,
    compose,
)

NOW = datetime(2026, 12, 22, 8, 0, tzinfo=JST)
ENVELOPE = Envelope(to="hanako@example.jp", sender="瞬フリ <no-reply@shunfuri.example>",
                    settings_url="https://shunfuri.example/settings/mail")
TRANSFER_ID = "0b6f2c1e-5d7a-4f43-9c1b-2a9e8f7d6c5b"
CONTENTS = [
    RepaymentReminder(due_date=date(2026, 12, 25), minimum_due=8_000, payoff=152_412,
                      days_before=3),
    TransferSettled(transfer_id=TRANSFER_ID, amount=50_000,
                    settled_at=datetime(2026, 12, 20, 1, 2, tzinfo=JST),
                    bank_name="三井住友銀行", account_last4="4567"),
    RepaymentReceived(repayment_id="rp-7", amount=10_000, to_interest=2_412, to_principal=7_588,
                      principal_after=142_412, settled_at=NOW, bank_name="ＰａｙＰａｙ銀行",
                      account_last4="0001"),
    OverdueNotice(missed_due_date=date(2026, 11, 25), amount_to_lift=9_267),
    PayeeAdded(bank_name="三井住友銀行", branch_name="神保町支店",
               account_last4="4567", added_at=datetime(2026, 12, 20, 1, 2, tzinfo=JST)),
    AddressConfirmation(confirm_url="https://shunfuri.example/mail/confirm?t=Ab12345678Zx",
                        expires_at=datetime(2026, 12, 23, 8, 0, tzinfo=JST)),
    LoginLocked(id_kind="card", at=datetime(2026, 12, 22, 7, 41, tzinfo=JST)),
    UnknownClientFailures(id_kind="web", at=datetime(2026, 12, 22, 7, 41, tzinfo=JST),
                          paused_minutes=120),
    ContractDocument(contract_id=TRANSFER_ID, contracted_at=NOW, card_last4="7620",
                     credit_limit=300_000, rate_bp=1780, due_day=31, late_charge_bp=2000,
                     repayment_method_ja="残高スライド元利定額リボルビング方式",
                     minimum_table=minimum_table(), interest_free_days=30,
                     confirm_url="https://shunfuri.example/mail/confirm?t=Cd98765432Yw",
                     confirm_expires_at=datetime(2026, 12, 23, 8, 0, tzinfo=JST)),
]


def test_every_kind_of_the_issue_is_here() -> None:
    assert set(KINDS) == {"repayment_reminder", "transfer_settled", "repayment_received",
                          "overdue_notice", "payee_added", "address_confirmation",
                          "login_locked", "login_unknown_client", "contract_document"}
    assert {c.KIND for c in CONTENTS} == set(KINDS)


@pytest.mark.parametrize("content", CONTENTS, ids=lambda c: c.KIND)
def test_message_shape(content) -> None:  # type: ignore[no-untyped-def]
    raw = compose(content, ENVELOPE, key="k1", now=NOW).as_bytes(policy=policy.SMTP)
    head, _, _ = raw.partition(b"\r\n\r\n")
    head.decode("ascii")  # every header is 7-bit: the subject travels RFC 2047-encoded
    assert b"Subject: =?utf-8?" in head
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == content.subject() and parsed["Subject"].startswith("【瞬フリ】")
    assert parsed["To"] == "hanako@example.jp"
    assert parsed["From"].addresses[0].display_name == "瞬フリ"
    assert parsed["Date"].datetime == NOW
    assert parsed["List-Unsubscribe"] == "<https://shunfuri.example/settings/mail>"
    assert parsed["List-Unsubscribe-Post"] is None
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert "ご利用いただき" in text.get_content() and "ご利用いただき" in html.get_content()
    assert "https://shunfuri.example/settings/mail" in text.get_content()
    assert 'href="https://shunfuri.example/settings/mail"' in html.get_content()
    assert '<html lang="ja">' in html.get_content()


def test_what_each_kind_says() -> None:
    bodies = {c.KIND: compose(c, ENVELOPE, key="k", now=NOW).get_body(("plain",)).get_content()
              for c in CONTENTS}
    assert "2026年12月25日（金）" in bodies["repayment_reminder"]
    assert "8,000円" in bodies["repayment_reminder"] and "152,412円" in bodies["repayment_reminder"]
    assert "50,000円" in bodies["transfer_settled"] and "末尾4567" in bodies["transfer_settled"]
    assert TRANSFER_ID in bodies["transfer_settled"]
    assert "2026年12月20日（日） 01:02" in bodies["transfer_settled"]
    assert "うち利息 2,412円、元金 7,588円" in bodies["repayment_received"]
    assert "2026年11月25日（水）" in bodies["overdue_notice"] and "9,267円" in bodies["overdue_notice"]
    assert "インターネット返済" in bodies["overdue_notice"]
    added = bodies["payee_added"]
    assert "三井住友銀行" in added and "神保町支店" in added and "末尾4567" in added
    assert "2026年12月20日（日） 01:02" in added and "お心当たりのない場合" in added
    assert "メール設定にかかわらず" in added and "配信の停止" not in added
    assert "t=Ab12345678Zx" in bodies["address_confirmation"]
    assert "一度だけ" in bodies["address_confirmation"]
    assert "2026年12月22日（火） 07:41" in bodies["login_locked"]
    assert "カード番号での暗証番号の誤りが3回続いた" in bodies["login_locked"]
    assert "自動契約機" in bodies["login_locked"] and "運転免許証" in bodies["login_locked"]
    paused = bodies["login_unknown_client"]
    assert "Web-IDでのログインを、2時間お休みしています" in paused
    assert "自動契約機でのお手続きは必要ありません" in paused and "「Web-ID設定」" in paused
    # Sent whatever the settings say, and the mail says so instead of "stop them here".
    for kind in ("login_locked", "login_unknown_client"):
        assert "お知らせメールの設定にかかわらず" in bodies[kind]
        assert "配信の停止" not in bodies[kind]
    contract = bodies["contract_document"]
    for said in ("契約締結時書面", "****-****-****-7620", "300,000円", "年17.8%（実質年率）",
                 "遅延損害金：年20.0%", "毎月末日", "10万円以下：4,000円", "50万円以下：13,000円",
                 "30日間", "t=Cd98765432Yw", TRANSFER_ID):
        assert said in contract, said


@pytest.mark.parametrize(("minutes", "subject", "says"), [
    (0, "【瞬フリ】新しいブラウザ・アプリからのログインに失敗がありました", "ログインに失敗がありました"),
    (15, "【瞬フリ】新しいブラウザ・アプリからのログインを一時停止しました", "15分間お休みしています"),
])
def test_unknown_client_notice_first_failure_and_pause(minutes: int, subject: str,
                                                       says: str) -> None:
    content = UnknownClientFailures(id_kind="card", at=NOW, paused_minutes=minutes)
    message = compose(content, ENVELOPE, key="k", now=NOW)
    assert message["Subject"] == subject
    text = message.get_body(("plain",)).get_content()
    assert says in text and "暗証番号の変更は、自動契約機で承っています" in text


def test_a_login_notice_names_a_kind_of_id_only() -> None:
    with pytest.raises(ValueError):
        LoginLocked(id_kind="9123456789012345", at=NOW)


@pytest.mark.parametrize("last4", ["123", "12345", "1234567890123456", "12a4"])
def test_a_contract_document_carries_four_digits_of_the_card_at_most(last4: str) -> None:
    with pytest.raises(ValueError):
        ContractDocument(TRANSFER_ID, NOW, last4, 300_000, 1780, 5, 2000, "方式", (), 30, "",
                         None)


def test_a_contract_document_without_a_link_says_nothing_of_one() -> None:
    content = ContractDocument(TRANSFER_ID, NOW, "7620", 300_000, 1780, 5, 2000, "方式",
                               minimum_table(), 30, "", None)
    text = compose(content, ENVELOPE, key="k", now=NOW).get_body(("plain",)).get_content()
    assert "/mail/confirm" not in text and "毎月5日" in text


def test_reminder_on_the_day_itself() -> None:
    content = RepaymentReminder(date(2026, 12, 25), 8_000, 152_412, days_before=0)
    message = compose(content, ENVELOPE, key="k", now=NOW)
    assert message["Subject"] == "【瞬フリ】ご返済日のお知らせ（本日）"
    assert "本日はご返済期日です" in message.get_body(("plain",)).get_content()


def test_html_is_escaped() -> None:
    content = TransferSettled(TRANSFER_ID, 1_000, NOW, '<script>alert("x")</script>銀行', "12")
    html = compose(content, ENVELOPE, key="k", now=NOW).get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_same_key_gives_the_same_message_id_another_key_another() -> None:
    a = compose(CONTENTS[1], ENVELOPE, key=TRANSFER_ID, now=NOW)["Message-ID"]
    b = compose(CONTENTS[1], ENVELOPE, key=TRANSFER_ID, now=NOW)["Message-ID"]
    c = compose(CONTENTS[1], ENVELOPE, key="other", now=NOW)["Message-ID"]
    assert a == b != c and a.endswith("@shunfuri.example>")
    assert "hanako" not in a and TRANSFER_ID not in a


def test_one_click_unsubscribe_when_asked() -> None:
    envelope = Envelope(to="hanako@example.jp", sender="no-reply@shunfuri.example",
                        settings_url="https://shunfuri.example/settings/mail",
                        unsubscribe_url="https://shunfuri.example/mail/stop?s=sig", one_click=True)
    message = compose(CONTENTS[0], envelope, key="k", now=NOW)
    assert message["List-Unsubscribe"] == "<https://shunfuri.example/mail/stop?s=sig>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("last4", ["1234567", "12345", "12a4", ""])
def test_an_account_is_at_most_its_last_four_digits(last4: str) -> None:
    with pytest.raises(ValueError):
        TransferSettled(TRANSFER_ID, 1_000, NOW, "銀行", last4)


@pytest.mark.parametrize("leak", ["口座1234567", "4980 1234 5678 9012", "4980-1234-5678-9012",
                                  "4980123456789012"])
def test_account_or_card_shaped_numbers_are_refused(leak: str) -> None:
    with pytest.raises(UnsafeMail):
        compose(TransferSettled(TRANSFER_ID, 1_000, NOW, leak, "9012"), ENVELOPE, key="k",
                now=NOW)


@pytest.mark.parametrize("to", ["hanako@example.jp\r\nBcc: x@evil.example", "not-an-address",
                                "a@example.jp, b@example.jp"])
def test_a_bad_recipient_is_refused(to: str) -> None:
    envelope = Envelope(to=to, sender="no-reply@shunfuri.example", settings_url="https://s/")
    with pytest.raises(ValueError):
        compose(CONTENTS[0], envelope, key="k", now=NOW)


def test_a_repayment_split_must_add_up() -> None:
    with pytest.raises(ValueError):
        RepaymentReceived("rp", 10_000, 2_000, 7_000, 0, NOW, "銀行", "1")
