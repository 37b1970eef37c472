"""Composing the member's mail: pure (no I/O but reading the packaged templates), `now`
is an argument.

Each kind is a small dataclass of exactly what its mail may say; `compose` renders it with
Jinja2 into a Japanese UTF-8 message with a plain-text and an HTML part, the subject encoded
per RFC 2047 (done by the standard `email` package when the message is serialised), a
`List-Unsubscribe` header and a link to the mail settings page.

What may never be in a mail is kept out by construction: no kind takes a card number, a
PIN, a password or a full account number (an account is `account_last4`, checked to be at
most four digits). As a last guard `compose` refuses a text with a run of 7 or more digits
or a 4-4-4-4 group, the shapes of account and card numbers, outside the ids (`*_id`) and
links (`*_url`) the caller passed in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import ClassVar

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import escape

from shunfuri.domain.contract_terms import due_day_ja, percent_ja
from shunfuri.domain.instants import to_jst

_WEEKDAYS = "月火水木金土日"
_ENV = Environment(
    loader=PackageLoader("shunfuri.mail", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ACCOUNT_LIKE = re.compile(r"\d{7,}")
_CARD_LIKE = re.compile(r"\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}")


class UnsafeMail(ValueError):
    """The composed text looked like it carried an account or card number; not sent."""


def yen(amount: int) -> str:
    return f"{amount:,}円"


def jdate(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS[day.weekday()]}）"


def jdatetime(instant: datetime) -> str:
    local = to_jst(instant)
    return f"{jdate(local.date())} {local:%H:%M}"


def duration_ja(minutes: int) -> str:
    """`15分間`, `2時間`, `1時間30分`: a lockout's length as a member reads it."""
    hours, rest = divmod(max(minutes, 1), 60)
    if not hours:
        return f"{rest}分間"
    return f"{hours}時間{rest}分" if rest else f"{hours}時間"


_ENV.filters.update(yen=yen, jdate=jdate, jdatetime=jdatetime, duration_ja=duration_ja,
                    percent=percent_ja, due_day=due_day_ja)
# Which identifier a login notice is about, and its secret: named, never shown (no card
# number or Web-ID goes into mail).
LOGIN_IDS = {"card": ("カード番号", "暗証番号"), "web": ("Web-ID", "パスワード")}
_ENV.globals["login_ids"] = LOGIN_IDS


def _last4(value: str) -> str:
    if not re.fullmatch(r"\d{1,4}", value):
        raise ValueError("account_last4 is at most the last four digits of an account")
    return value


@dataclass(frozen=True)
class RepaymentReminder:
    """返済日のお知らせ, `days_before` the due date (0, 1, 3 or 7)."""

    KIND: ClassVar[str] = "repayment_reminder"
    due_date: date
    minimum_due: int
    payoff: int
    days_before: int

    def subject(self) -> str:
        when = "本日" if self.days_before == 0 else f"{self.due_date.month}月{self.due_date.day}日"
        return f"【瞬フリ】ご返済日のお知らせ（{when}）"


@dataclass(frozen=True)
class TransferSettled:
    KIND: ClassVar[str] = "transfer_settled"
    transfer_id: str
    amount: int
    settled_at: datetime
    bank_name: str
    account_last4: str

    def __post_init__(self) -> None:
        _last4(self.account_last4)

    def subject(self) -> str:
        return "【瞬フリ】お振込みが完了しました"


@dataclass(frozen=True)
class RepaymentReceived:
    KIND: ClassVar[str] = "repayment_received"
    repayment_id: str
    amount: int
    to_interest: int
    to_principal: int
    principal_after: int
    settled_at: datetime
    bank_name: str
    account_last4: str

    def __post_init__(self) -> None:
        _last4(self.account_last4)
        if self.to_interest + self.to_principal != self.amount:
            raise ValueError("the split of a repayment must add up to its amount")

    def subject(self) -> str:
        return "【瞬フリ】ご返済を確認しました"


@dataclass(frozen=True)
class OverdueNotice:
    KIND: ClassVar[str] = "overdue_notice"
    missed_due_date: date
    amount_to_lift: int

    def subject(self) -> str:
        return "【瞬フリ】ご返済の確認ができておりません"


@dataclass(frozen=True)
class PayeeAdded:
    """A security notice: a payee was registered (sent whatever the member's settings).
    The account is named by bank, branch and its last four digits only."""

    KIND: ClassVar[str] = "payee_added"
    bank_name: str
    branch_name: str
    account_last4: str
    added_at: datetime

    def __post_init__(self) -> None:
        _last4(self.account_last4)

    def subject(self) -> str:
        return "【瞬フリ】振込先口座が登録されました"


@dataclass(frozen=True)
class AddressConfirmation:
    """The only mail sent to an address not yet confirmed; its link is single use."""

    KIND: ClassVar[str] = "address_confirmation"
    confirm_url: str
    expires_at: datetime

    def subject(self) -> str:
        return "【瞬フリ】メールアドレスのご確認"


def _login_id(id_kind: str) -> None:
    if id_kind not in LOGIN_IDS:
        raise ValueError(f"id_kind must be one of {sorted(LOGIN_IDS)}")


@dataclass(frozen=True)
class LoginLocked:
    """The in-person lock: wrong secrets in a row from the member's own browsers and apps
    (or the PIN asked again inside a session). Sent whatever the mail settings say."""

    KIND: ClassVar[str] = "login_locked"
    id_kind: str  # card | web
    at: datetime

    def __post_init__(self) -> None:
        _login_id(self.id_kind)

    def subject(self) -> str:
        return "【瞬フリ】ログインがロックされました"


@dataclass(frozen=True)
class UnknownClientFailures:
    """Failed logins from a browser or app the member never logged in from: the first of
    a series, and each time such clients are paused (`paused_minutes` > 0). Sent whatever
    the mail settings say."""

    KIND: ClassVar[str] = "login_unknown_client"
    id_kind: str  # card | web
    at: datetime
    paused_minutes: int

    def __post_init__(self) -> None:
        _login_id(self.id_kind)

    def subject(self) -> str:
        if self.paused_minutes > 0:
            return "【瞬フリ】新しいブラウザ・アプリからのログインを一時停止しました"
        return "【瞬フリ】新しいブラウザ・アプリからのログインに失敗がありました"


@dataclass(frozen=True)
class ContractDocument:
    """契約締結時書面, delivered by mail (the applicant agreed to electronic delivery at
    the contract). The card number is never here, only its last four digits. It goes to
    the application's address before that address is confirmed, so it carries the
    confirmation link (`confirm_url`; empty when the link is not wanted)."""

    KIND: ClassVar[str] = "contract_document"
    contract_id: str
    contracted_at: datetime
    card_last4: str
    credit_limit: int
    rate_bp: int
    due_day: int
    late_charge_bp: int
    repayment_method_ja: str
    minimum_table: tuple[tuple[str, str], ...]
    interest_free_days: int
    confirm_url: str
    confirm_expires_at: datetime | None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}", self.card_last4):
            raise ValueError("card_last4 is the last four digits of a card number")

    def subject(self) -> str:
        return "【瞬フリ】ご契約内容のお知らせ（契約締結時書面）"


MailContent = (RepaymentReminder | TransferSettled | RepaymentReceived | OverdueNotice
               | PayeeAdded | AddressConfirmation | LoginLocked | UnknownClientFailures
               | ContractDocument)
KINDS = tuple(c.KIND for c in (RepaymentReminder, TransferSettled, RepaymentReceived,
                               OverdueNotice, PayeeAdded, AddressConfirmation, LoginLocked,
                               UnknownClientFailures, ContractDocument))


@dataclass(frozen=True)
class Envelope:
    """Who, from whom, and the links every mail carries.

    `settings_url` is the member's mail settings page; `unsubscribe_url` goes into
    `List-Unsubscribe` (the settings page when not given). `one_click` adds
    `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): set it only when
    `unsubscribe_url` stops the mail on a bare POST, without a login.
    """

    to: str
    sender: str
    settings_url: str
    unsubscribe_url: str | None = None
    one_click: bool = False


def message_id(kind: str, key: str, to: str, domain: str) -> str:
    """The same outbox key always gives the same `Message-ID`, so a resend is recognisable
    as the same message; the hash keeps the member's address and ids out of it."""
    digest = hashlib.sha256(f"{kind}\x00{key}\x00{to}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def compose(content: MailContent, envelope: Envelope, *, key: str, now: datetime) -> EmailMessage:
    """The message for one outbox row (`key`: due date, transfer id, repayment id...)."""
    sender = _address(envelope.sender)
    _address(envelope.to)
    values = {f.name: getattr(content, f.name) for f in fields(content)}
    context = {**values, "settings_url": envelope.settings_url, "subject": content.subject()}
    text = _ENV.get_template(f"{content.KIND}.txt.j2").render(context)
    html = _ENV.get_template(f"{content.KIND}.html.j2").render(context)
    # Ids and links may hold any digits; every other text is scanned.
    given = [v for k, v in values.items() if k.endswith(("_id", "_url"))]
    given += [v for v in (envelope.settings_url, envelope.unsubscribe_url) if v]
    safe = given + [str(escape(v)) for v in given]  # as they appear in the HTML part
    for part in (content.subject(), text, html):
        _refuse_numbers(part, safe)

    message = EmailMessage()
    message["Subject"] = content.subject()
    message["From"] = sender
    message["To"] = envelope.to
    message["Date"] = format_datetime(to_jst(now))
    message["Message-ID"] = message_id(content.KIND, key, envelope.to, sender.domain)
    message["List-Unsubscribe"] = f"<{envelope.unsubscribe_url or envelope.settings_url}>"
    if envelope.one_click:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-Shunfuri-Kind"] = content.KIND
    message.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    return message


def _address(raw: str) -> Address:
    message = EmailMessage()
    message["To"] = raw  # the standard's address parser, with its defects
    header = message["To"]
    if header.defects:
        raise ValueError("not a valid mail address")
    addresses = header.addresses
    if len(addresses) != 1 or not addresses[0].domain or not addresses[0].username:
        raise ValueError("expected exactly one mail address")
    return addresses[0]


def _refuse_numbers(text: str, safe: list[str]) -> None:
    for value in sorted(safe, key=len, reverse=True):
        text = text.replace(value, " ")
    if _ACCOUNT_LIKE.search(text) or _CARD_LIKE.search(text):
        raise UnsafeMail("a mail must not carry an account or card number")
