"""How pages show money, instants and transfer states, in Japanese."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment

from shunfuri.domain.instants import to_jst

WEEKDAYS_JA = "月火水木金土日"
ACCOUNT_TYPES_JA = {"ordinary": "普通", "current": "当座", "savings": "貯蓄"}


def yen(amount: int | None) -> str:
    return "" if amount is None else f"{max(amount, 0):,}円"  # never show a negative credit


def _instant(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return to_jst(value)


def jst(value: datetime | str | None, seconds: bool = False) -> str:
    """`2026年12月1日(火) 14:50`, in Japan time (with `:05` seconds when asked)."""
    local = _instant(value)
    if local is None:
        return ""
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{local.year}年{local.month}月{local.day}日({WEEKDAYS_JA[local.weekday()]}) {clock}"


def iso(value: datetime | str | None) -> str:
    local = _instant(value)
    return "" if local is None else local.isoformat()


def wait_ja(seconds: int | None) -> str:
    """How long to wait, as a member reads it: `45秒`, `15分`, `2時間`, `1時間30分`."""
    if not seconds or seconds <= 0:
        return "しばらく"
    if seconds < 60:
        return f"{seconds}秒"
    hours, minutes = divmod(-(-seconds // 60), 60)
    if not hours:
        return f"{minutes}分"
    return f"{hours}時間{minutes}分" if minutes else f"{hours}時間"


def elapsed(start: datetime | str | None, end: datetime | str | None) -> str:
    """Seconds between two instants, one decimal: `2.4`."""
    a, b = _instant(start), _instant(end)
    if a is None or b is None:
        return ""
    return f"{max(0.0, (b - a).total_seconds()):.1f}"


@dataclass(frozen=True)
class StatusLabel:
    label: str
    tone: str  # css: info | wait | ok | stop
    explain: str


STATUS: dict[str, StatusLabel] = {
    "accepted": StatusLabel(
        "受付済み", "wait", "お申し込みを受け付けました。まもなく振込の手続きを始めます。"),
    "processing": StatusLabel(
        "振込手続き中", "wait",
        "銀行へ振込を依頼し、完了の連絡を確認しています。お客さまの操作は必要ありません。"
        "この間、お振込み金額はご利用可能額から差し引いています。"),
    "scheduled": StatusLabel(
        "振込予約中", "info",
        "予約を受け付けました。振込予定日時に自動で振り込みます。振込予定日時の前であれば取り消せます。"),
    "settled": StatusLabel("振込完了", "ok", "ご指定の口座へのお振込みが完了しました。"),
    "rejected": StatusLabel(
        "お受けできませんでした", "stop",
        "このお申し込みはお受けできませんでした。お振込みは行われていません。"),
    "failed": StatusLabel(
        "振込できませんでした", "stop",
        "銀行がこのお振込みを受け付けませんでした。お金は動いておらず、ご利用可能額は元に戻っています。"),
    "cancelled": StatusLabel(
        "取消済み", "info", "このお振込みは取り消されました。ご利用可能額は元に戻っています。"),
    "needs_attention": StatusLabel(
        "確認中", "wait",
        "銀行からの応答が届かないため、担当者がお振込みの結果を確認しています。"
        "確認が終わるまで、お振込み金額はご利用可能額から差し引いたままにしています。"
        "二重に振り込まれることはありません。"),
}

UNKNOWN_STATUS = StatusLabel("確認中", "wait", "お振込みの状況を確認しています。")

# Why a transfer was refused or failed (`failure_code`), as a member can act on it.
FAILURES_JA = {
    "insufficient_credit": "お申し込みの時点でご利用可能額が足りませんでした。金額を減らしてお申し込みください。",
    "account_suspended": "ご利用が停止されたため、お振込みを行いませんでした。お問い合わせ窓口へご連絡ください。",
    "account_closed": "振込先の口座が解約されているか、存在しません。振込先口座の情報をご確認ください。",
    "name_mismatch": "振込先の口座名義が銀行の登録と一致しませんでした。口座名義をご確認のうえ、振込先を登録し直してください。",
}
FAILURE_FALLBACK = "銀行がお振込みを受け付けませんでした。振込先口座の情報をご確認ください。"

DECISIONS_JA = {
    "realtime": "この銀行は24時間お振込みできるため、最短10秒でお振込みします。",
    "business_hours": "平日9:00〜14:50のお申し込みのため、最短10秒でお振込みします。",
    "realtime_maintenance": "振込先の銀行がシステムメンテナンス中のため、メンテナンス終了後にお振込みします。",
    "before_opening": "平日9:00より前のお申し込みのため、当日9:30ごろのお振込みになります。",
    "after_cutoff": "平日14:50以降のお申し込みのため、翌営業日9:30ごろのお振込みになります。",
    "non_business_day": "土日・祝日・年末年始はこの銀行の営業日ではないため、翌営業日9:30ごろのお振込みになります。",
}


# A repayment's states as the member reads them (same machine as transfers').
REPAYMENT_STATUS: dict[str, StatusLabel] = {
    "accepted": StatusLabel(
        "受付済み", "wait", "ご返済のお申し込みを受け付けました。まもなく口座からのお引落としを始めます。"),
    "processing": StatusLabel(
        "お引落とし手続き中", "wait",
        "銀行へお引落としを依頼し、完了の連絡を確認しています。お客さまの操作は必要ありません。"
        "二重に引き落とされることはありません。"),
    "settled": StatusLabel(
        "ご返済完了", "ok",
        "ご返済を受け付けました。利息、元金の順に充当し、元金分はご利用可能額に戻っています。"),
    "failed": StatusLabel(
        "お引落としできませんでした", "stop",
        "銀行がお引落としを受け付けませんでした。お金は動いていません。口座をご確認のうえ、"
        "もう一度お申し込みください。"),
    "rejected": StatusLabel(
        "お受けできませんでした", "stop",
        "お引落としの時点でご返済額が完済金額を超えていたため、お受けできませんでした。"
        "お金は動いていません。"),
    "needs_attention": StatusLabel(
        "確認中", "wait",
        "銀行からの応答が届かないため、担当者がお引落としの結果を確認しています。"
        "二重に引き落とされることはありません。"),
}


def repayment_label(status: str) -> StatusLabel:
    return REPAYMENT_STATUS.get(status, UNKNOWN_STATUS)


def due_day_ja(day: int | None) -> str:
    return "" if day is None else ("月末" if day == 31 else f"毎月{day}日")


def date_ja(value: Any) -> str:
    """`2026年12月25日(金)` from a date or `YYYY-MM-DD`."""
    from datetime import date

    if value is None or value == "":
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"


def status_label(status: str) -> StatusLabel:
    return STATUS.get(status, UNKNOWN_STATUS)


def failure_ja(code: str | None) -> str:
    return FAILURES_JA.get(code or "", FAILURE_FALLBACK)


def install(env: Environment) -> None:
    env.filters.update(yen=yen, jst=jst, iso=iso, account_type=_account_type, date_ja=date_ja,
                       due_day_ja=due_day_ja)
    env.globals.update(
        status_label=status_label, repayment_label=repayment_label, failure_ja=failure_ja,
        elapsed=elapsed,
        decisions_ja=DECISIONS_JA, statuses=STATUS,
    )


def _account_type(value: Any) -> str:
    return ACCOUNT_TYPES_JA.get(str(value), str(value))
