"""The more precise words some raise sites use for a code (`code:variant`).

The public code, status and title stay the code's; only `detail` / `detail_ja` change,
and they may cite the refusal's fields and facts as `{name}` (format syntax: `{amount:,}`,
`{due.month}`). A variant names the raise site's situation, not a new refusal.
"""

from __future__ import annotations

from shunfuri.catalogue.entry import Variant

_WAIT = "Wait {retry_after} s (the Retry-After header), then try again."
_WAIT_JA = "{retry_after}秒ほど待ってから、もう一度お試しください。"
_PIN_REMEDY = "ほかの人に推測されにくい4桁の数字を設定してください。"
_PIN_GUESSABLE = "推測されやすいためお使いいただけません。"

# Sliding-window limits (`members.login_rate`), by scope: `too_many_requests:<scope>`.
_RATES = {
    "too_many_requests:login": Variant(f"Too many login attempts from this address. {_WAIT}"),
    "too_many_requests:staff-login": Variant(
        f"Too many login attempts from this address. {_WAIT}"),
    "too_many_requests:web_id": Variant(f"Too many Web-ID changes by this member. {_WAIT}"),
    "too_many_requests:web_id_address": Variant(
        f"Too many Web-ID changes from this address. {_WAIT}"),
    "too_many_requests:eligibility": Variant(
        f"Too many お試し診断 requests from this address. {_WAIT}",
        "短い時間にお試し診断が何度も行われました。" + _WAIT_JA),
    "too_many_requests:application": Variant(
        f"Too many applications from this address. {_WAIT}",
        "短い時間にお申し込みが何度も送信されました。" + _WAIT_JA),
    "too_many_requests:apply_pages": Variant(
        f"Too many application form posts from this address. {_WAIT}",
        "短い時間にお申し込みの画面から何度も送信されました。" + _WAIT_JA),
    "too_many_requests:confirmation_mails": Variant(
        "At most {per_day} confirmation mails a day. Wait {retry_after} s "
        "(the Retry-After header), then register the address again.",
        "確認メールの送信は1日{per_day}回までです。時間をおいてから、もう一度お試しください。"),
}

# `guessable_pin:<reason>`, one per `domain.pins.REASONS`.
_PINS = {
    f"guessable_pin:{reason}": Variant(detail_ja=text + _PIN_GUESSABLE + _PIN_REMEDY)
    for reason, text in {
        "all_same": "同じ数字を4つ並べた暗証番号は、",
        "run_up": "「1234」のように続いた数字は、",
        "run_down": "「9876」のように続いた数字は、",
        "birth_mmdd": "生年月日の月日と同じ数字は、",
        "birth_ddmm": "生年月日の日と月を並べた数字は、",
        "birth_year": "生まれた年（西暦）と同じ数字は、",
        "phone_last4": "電話番号の下4桁と同じ数字は、",
    }.items()
}

# "Nothing of yours at this id", saying what was looked for.
_NOT_FOUND = {
    "not_found:member": Variant("No member has this id."),
    "not_found:payee": Variant("You have no payee with this id."),
    "not_found:staff": Variant("No staff account has this id."),
    "not_found:review": Variant("No review has this id."),
    "not_found:application": Variant("No application has this id."),
    "not_found:transfer_payee": Variant(
        "No payee with this id is registered to you; register it with POST /v1/payees."),
    "not_found:repayment_account": Variant(
        "No account with this id is registered to you; repayments are collected "
        "from one of your registered accounts (GET /v1/payees)."),
}

_ACCESS = {
    "invalid_credentials:current_pin": Variant(
        "The current PIN is wrong. After 3 wrong PINs in a row the account is locked."),
    "invalid_credentials:unknown_client": Variant(
        "The card number / Web-ID or the PIN / password is wrong. Check them and try again; "
        "after repeated failures, logins to this ID from browsers and apps it was never used "
        "from are paused for a while.",
        "カード番号（Web-ID）または暗証番号（パスワード）が正しくありません。"
        "確認してもう一度お試しください。続けて間違えると、これまでにログインしたことのない"
        "ブラウザやアプリからのログインを、しばらくの間お休みします。"),
    # The ongoing review's stop of new advances: what still works and whom to ask - never
    # why (the lender's line does not say; the bureau's answer is for judging, 貸金業法
    # 第41条の38).
    "account_suspended:credit_review": Variant(
        "New advances are stopped on this account after a periodic review of the credit "
        "line. Repayments work as before (POST /v1/repayments, or the member site); please "
        "contact us about resuming use.",
        "現在、新しいお借入れ（瞬フリ）はご利用いただけません。ご返済はこれまでどおり、"
        "会員サイトからお手続きいただけます。ご利用の再開については、お問い合わせ窓口へ"
        "ご連絡ください。"),
    "documents_not_requested:credit_review": Variant(
        "Income proof is asked for only while new advances are stopped by a review.",
        "現在、収入証明書をご提出いただく必要はありません。"),
    "forbidden:key_switched_off": Variant(
        "The staff API key is switched off on this production server: people use "
        "the staff console (/staff/); automation needs SHUNFURI_ADMIN_KEY set.",
        "この本番サーバーではスタッフ用キーが無効です。"
        "スタッフ画面（/staff/）をご利用ください。"),
    "validation_error:idempotency_key": Variant(
        "Idempotency-Key must be 1-255 printable ASCII characters, no spaces."),
    "validation_error:cursor": Variant(
        "The cursor is not one this API issued; pass `next_cursor` unchanged."),
    "validation_error:month": Variant(
        "`month` is a calendar month written YYYY-MM (for example 2026-12).",
        "月は「2026-12」のように、西暦4桁と月2桁をハイフンでつないで指定してください。"),
}

_MONEY = {
    "invalid_holder_name:character": Variant(
        "The account holder name cannot contain '{character}' (character {position}). "
        "Use katakana, A-Z, 0-9, space and ( ) . - / only."),
    "payee_not_own_name:for_money": Variant(
        "This account is not in your own name (本人名義), so Shunfuri cannot pay into or "
        "collect from it. Register an account in your own name and use that one.",
        "本人名義の口座のみご利用いただけます。この口座はご本人名義ではないため、"
        "お振込み・ご返済には使えません。ご本人名義の口座を振込先口座に登録してから、"
        "もう一度お申し込みください。"),
    "not_cancellable:in_doubt": Variant(
        "This transfer was sent to the bank and its answer has not arrived yet, so it cannot "
        "be cancelled: the bank may already have paid it. We are asking the bank. The status "
        "stays `processing` until it answers, then becomes `settled` (paid; the amount is "
        "added to your balance) or `failed` (not paid; the amount is available again).",
        "このお振込みは銀行へ送信済みで、銀行からの結果をまだ受け取っていないため、取り消しできません"
        "（すでにお振込みが完了している可能性があります）。現在、銀行に結果を確認しています。"
        "確認が取れるまで状態は「処理中（processing）」のままで、その金額はご利用可能額から"
        "差し引かれています。お振込みが完了していれば「完了（settled）」となりご利用残高に加わり、"
        "完了していなければ「不成立（failed）」となって金額はご利用可能額に戻ります。"),
    "repayment_overdue:missed": Variant(
        "The minimum repayment due on {missed_due_date} is unpaid, so new transfers "
        "are refused. Repay {amount_due:,} yen (covering the overdue minimum and "
        "the interest due) by internet repayment; transfers are accepted again as "
        "soon as it is settled.",
        "{due.month}月{due.day}日の返済期日までに最低返済額のお支払いが確認できない"
        "ため、新しいお振込みはお受けできません。インターネット返済で"
        "{amount_due:,}円（遅れている最低返済額と利息を含む金額）を"
        "お支払いいただくと、お支払いの確認後すぐにご利用を再開できます。"),
    "repayment_too_large:amount": Variant(detail_ja=(
        "ご返済額（{amount:,}円）が本日の完済金額（{payoff_today:,}円）を"
        "超えているため、お受けできませんでした（お引落としはありません）。"
        "{payoff_today:,}円以下の金額を指定してください。")),
    "invalid_repayment_amount:below_minimum": Variant(detail_ja=(
        "ご返済額は{minimum:,}円以上で指定するか、本日の完済金額"
        "（{payoff_today:,}円）ちょうどを指定してください。")),
    "rate_above_legal_cap:limit": Variant(detail_ja=(
        "利用限度額{credit_limit:,}円に対する利息制限法の上限金利は"
        "年{cap_percent}%です。{cap_bp}（年{cap_percent}%）以下の年率を"
        "指定してください。")),
    "limit_needs_lower_rate:limit": Variant(detail_ja=(
        "利用限度額を{new_limit:,}円にすると、上限金利は年{cap_percent}%"
        "になり、現在の年率（年{rate_percent}%）を下回ります。"
        "先に年率を{cap_bp}（年{cap_percent}%）以下に変更してから、"
        "利用限度額を変更してください。")),
}

VARIANTS: dict[str, Variant] = {**_RATES, **_PINS, **_NOT_FOUND, **_ACCESS, **_MONEY}
