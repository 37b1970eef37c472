"""Refusals about money: payees, transfers, repayments, rates and the bank."""

from __future__ import annotations

from shunfuri.catalogue.entry import Entry

ENTRIES: dict[str, Entry] = {
    "unknown_bank": Entry(
        422, "Unknown bank",
        "This bank code is not in the Zengin bank master. Check the 4-digit bank code.",
        "この金融機関コードは全銀の金融機関一覧にありません。4桁のコードを確認してください。",
    ),
    "unknown_branch": Entry(
        422, "Unknown branch",
        "This branch code does not exist for this bank in the Zengin master. Check the "
        "3-digit branch code.",
        "この支店コードは指定の金融機関にありません。3桁の支店コードを確認してください。",
    ),
    "invalid_holder_name": Entry(
        422, "Invalid holder name",
        "The account holder name has a character banks cannot carry. Use katakana, A-Z, "
        "0-9, space and ( ) . - / only.",
        "口座名義に使えない文字が含まれています。カタカナ、英大文字、数字、空白と "
        "( ) . - / だけで入力してください。",
    ),
    "payee_not_own_name": Entry(
        422, "Not an account in your own name",
        "Shunfuri pays into and collects from accounts in your own name only (本人名義), and "
        "this account's holder name is not your name in kana as we hold it (compared in the "
        "bank's half-width kana; spaces do not matter). Use an account in your own name; if "
        "the name we hold is wrong, ask the desk to correct it.",
        "本人名義の口座のみご利用いただけます。この口座の名義（カナ）が、ご登録のお名前"
        "（カナ）と一致しません。ご本人名義の口座を登録してください。ご登録のお名前に誤りが"
        "ある場合は、窓口で訂正をお申し付けください。",
    ),
    "invalid_amount": Entry(
        422, "Invalid amount",
        "The amount must be whole yen, at least 1,000, in steps of 1,000.",
        "お振込み金額は1,000円以上、1,000円単位で指定してください。",
        title_ja="金額をご確認ください",
    ),
    "insufficient_credit": Entry(
        409, "Insufficient credit",
        "The amount is more than your available credit. Ask for a smaller amount; "
        "GET /v1/me shows what is available.",
        "ご利用可能額を超えています。金額を減らしてお申し込みください。",
        title_ja="ご利用可能額を超えています",
    ),
    "service_closed": Entry(
        503, "Service closed",
        "Shunfuri is closed now (every Monday 00:00-07:00 JST and all of 1 January). "
        "Try again at `retry_at`.",
        "現在は瞬フリのサービス休止時間です（毎週月曜0:00〜7:00、元日終日）。"
        "retry_at の時刻以降にお申し込みください。",
        title_ja="ただいま瞬フリのサービス時間外です",
    ),
    "idempotency_key_reused": Entry(
        409, "Idempotency key reused",
        "This Idempotency-Key was already used with a different request. Use a new key "
        "for a new transfer.",
        "この Idempotency-Key は別の内容の申込みで使用済みです。新しい申込みには新しいキーを"
        "使ってください。",
        title_ja="お申し込みをやり直してください",
        page_ja=("このお申し込み画面は別の内容ですでに送信されています。"
            "お手数ですが、瞬フリの画面からやり直してください。"),
    ),
    "not_cancellable": Entry(
        409, "Not cancellable",
        "Only a transfer that is still `scheduled` can be cancelled; this one is past that.",
        "予約中（scheduled）のお振込みだけが取り消せます。このお振込みは取り消せません。",
        title_ja="このお振込みは取り消せません",
    ),
    "invalid_repayment_amount": Entry(
        422, "Invalid repayment amount",
        "A repayment must be whole yen and at least 1,000, or exactly today's full payoff "
        "amount (`payoff_today`) whatever its yen.",
        "ご返済額は1,000円以上（1円単位）で指定するか、本日の完済金額ちょうどを"
        "指定してください。",
    ),
    "repayment_too_large": Entry(
        422, "Repayment too large",
        "The amount is more than today's full payoff amount (`payoff_today`); nothing was "
        "collected. Repay at most that amount.",
        "ご返済額が本日の完済金額を超えているため、お受けできませんでした（お引落としは"
        "ありません）。完済金額以下の金額を指定してください。",
    ),
    "nothing_to_repay": Entry(
        409, "Nothing to repay",
        "There is no balance to repay (principal and interest are both 0); nothing was "
        "collected.",
        "現在ご返済いただくお借入れ残高はありません（お引落としはありません）。",
    ),
    "repayment_overdue": Entry(
        409, "Repayment overdue",
        "A minimum repayment is past its due date, so new transfers are refused. Repay "
        "`amount_due` yen (covering the overdue minimum and the interest due) by internet "
        "repayment; transfers are accepted again as soon as it is settled.",
        "返済期日までのご返済が確認できないため、新しいお振込みはお受けできません。"
        "遅れている最低返済額と利息をインターネット返済でお支払いいただくと、"
        "すぐにご利用を再開できます。",
    ),
    "invalid_rate": Entry(
        422, "Invalid rate",
        "The annual rate must be a whole number of basis points, 0 or more "
        "(1780 = 17.8 %).",
        "年率は0以上の整数のベーシスポイントで指定してください（1780 = 17.8%）。",
    ),
    "rate_above_legal_cap": Entry(
        409, "Rate above the legal cap",
        "The rate exceeds the Interest Rate Restriction Act cap for this member's credit "
        "limit (20 % below 100,000 yen, 18 % below 1,000,000 yen, 15 % from 1,000,000 yen). "
        "Set at most `cap_bp`.",
        "この利用限度額に対する利息制限法の上限金利を超えています（10万円未満は20%、"
        "100万円未満は18%、100万円以上は15%）。cap_bp 以下の年率を指定してください。",
    ),
    "limit_needs_lower_rate": Entry(
        409, "Limit needs a lower rate",
        "At this credit limit the member's current rate would exceed the Interest Rate "
        "Restriction Act cap (`cap_bp`). Lower the rate to at most `cap_bp` first, then "
        "change the limit.",
        "この利用限度額では、現在の年率が利息制限法の上限金利（cap_bp）を超えます。"
        "先に年率を上限以下に変更してから、利用限度額を変更してください。",
    ),
    "invalid_due_day": Entry(
        422, "Invalid due day",
        "The due day must be 5, 15, 25 or 31 (31 = the last day of each month).",
        "返済日は5日・15日・25日・月末（31）のいずれかを指定してください。",
    ),
    "bank_unavailable": Entry(
        503, "Bank unavailable",
        "The bank did not answer the status inquiry; nothing was changed. Ask again in a "
        "few minutes.",
        "銀行から回答が得られませんでした（変更はされていません）。数分後にもう一度確認してください。",
    ),
    "not_in_doubt": Entry(
        409, "Not in doubt",
        "This transfer is not waiting for staff (`needs_attention`), so there is nothing to "
        "send again; its status shows what is happening.",
        "このお振込みは担当者の確認待ち（needs_attention）ではないため、再送はできません。"
        "現在の状態をご確認ください。",
    ),
}
