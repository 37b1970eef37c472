"""The error catalogue: one stable machine code, an HTTP status, a reason and a remedy.

Telling the member *why* and *what to do* is the point of the product, so every
refusal carries an English `detail` and a Japanese `detail_ja`. The API turns a
`ShunfuriError` into RFC 9457 problem details; the CLI prints the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    status: int
    title: str
    detail: str
    detail_ja: str


CATALOGUE: dict[str, Entry] = {
    "validation_error": Entry(
        422, "Validation error",
        "Some fields are missing or malformed; see `errors` for each field and fix them.",
        "入力内容に誤りがあります。errors に示された項目を確認して、入力し直してください。",
    ),
    "invalid_credentials": Entry(
        401, "Invalid credentials",
        "The card number / Web-ID or the PIN / password is wrong. Check them and try again; "
        "after 3 wrong attempts in a row the account is locked.",
        "カード番号（Web-ID）または暗証番号（パスワード）が正しくありません。"
        "確認してもう一度お試しください。3回続けて間違えるとロックされます。",
    ),
    "account_locked": Entry(
        423, "Account locked",
        "Login is locked after 3 wrong attempts in a row. Bring photo ID to an automatic "
        "contract machine to reset your PIN; the correct PIN does not unlock it.",
        "暗証番号を3回続けて間違えたため、ログインがロックされています。"
        "本人確認書類をお持ちのうえ、自動契約機で暗証番号の再設定を行ってください。",
    ),
    "card_reported_lost": Entry(
        403, "Card reported lost",
        "This card was reported lost or stolen and cannot be used to log in. Log in with "
        "your Web-ID, or have a new card issued and use its number.",
        "このカードは紛失・盗難の届出があるため、ログインに使えません。"
        "Web-IDでログインするか、カードの再発行を受けて新しいカード番号をご利用ください。",
    ),
    "account_suspended": Entry(
        403, "Account suspended",
        "Use of this account is suspended, so login and transfers are refused. Please "
        "contact us to learn how use can be resumed.",
        "ご利用が停止されているため、ログインとお振込みはできません。"
        "再開の方法については、お問い合わせ窓口へご連絡ください。",
    ),
    "not_authenticated": Entry(
        401, "Not authenticated",
        "A valid bearer token is required. Log in with POST /v1/login and send "
        "`Authorization: Bearer <token>`.",
        "ログインが必要です。ログインし直してから、もう一度お試しください。",
    ),
    "token_expired": Entry(
        401, "Session expired",
        "Your session has ended (expired, logged out or revoked). Log in again.",
        "セッションの有効期限が切れました。もう一度ログインしてください。",
    ),
    "operations_token_required": Entry(
        401, "Operations credential required",
        "This endpoint is for the operators' monitoring. Send the token configured in "
        "SHUNFURI_METRICS_TOKEN as `Authorization: Bearer <token>`.",
        "この情報は運用担当者の監視用です。SHUNFURI_METRICS_TOKEN に設定したトークンを "
        "Authorization: Bearer ヘッダーで送ってください。",
    ),
    "forbidden": Entry(
        403, "Forbidden",
        "The staff key is missing or wrong. Send the key from SHUNFURI_ADMIN_KEY in "
        "the X-Admin-Key header.",
        "スタッフ用キーがないか、正しくありません。X-Admin-Key ヘッダーを確認してください。",
    ),
    "role_forbidden": Entry(
        403, "Not allowed for this role",
        "Your staff role does not allow this page or action; the refusal was recorded. "
        "Ask a supervisor if you need it.",
        "この画面・操作は、あなたの担当（ロール）では利用できません。この操作は記録されました。"
        "必要な場合は責任者にご相談ください。",
    ),
    "staff_login_paused": Entry(
        429, "Login paused for this browser",
        "Too many wrong attempts at this login ID from browsers it has not signed in from "
        "before. Wait for the number of seconds in Retry-After, or sign in from a browser "
        "you have used before.",
        "このログインIDには、これまでに使われていないブラウザからの誤りが続いたため、"
        "しばらくの間このブラウザからはログインできません。時間をおいてお試しください。",
    ),
    "too_many_requests": Entry(
        429, "Too many requests",
        "Too many attempts from this address. Wait for the number of seconds in "
        "Retry-After, then try again.",
        "短時間に試行が多すぎます。Retry-After に示された秒数だけ待ってから、"
        "もう一度お試しください。",
    ),
    "too_many_attempts": Entry(
        429, "Too many attempts",
        "Logins to this ID failed too often from browsers and apps it was never used from, "
        "so such logins are paused for a while. Wait for the seconds in Retry-After, or log "
        "in from a browser or app you have logged in from before (an app sends its "
        "Device-Token).",
        "このIDへのログインに続けて失敗したため、これまでにログインしたことのないブラウザや"
        "アプリからのログインを一時的にお休みしています。Retry-After に示された秒数が過ぎて"
        "から、もう一度お試しください。以前にログインしたことのあるブラウザやアプリからは、"
        "そのままログインできます。",
    ),
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
    ),
    "insufficient_credit": Entry(
        409, "Insufficient credit",
        "The amount is more than your available credit. Ask for a smaller amount; "
        "GET /v1/me shows what is available.",
        "ご利用可能額を超えています。金額を減らしてお申し込みください。",
    ),
    "service_closed": Entry(
        503, "Service closed",
        "Shunfuri is closed now (every Monday 00:00-07:00 JST and all of 1 January). "
        "Try again at `retry_at`.",
        "現在は瞬フリのサービス休止時間です（毎週月曜0:00〜7:00、元日終日）。"
        "retry_at の時刻以降にお申し込みください。",
    ),
    "idempotency_key_reused": Entry(
        409, "Idempotency key reused",
        "This Idempotency-Key was already used with a different request. Use a new key "
        "for a new transfer.",
        "この Idempotency-Key は別の内容の申込みで使用済みです。新しい申込みには新しいキーを"
        "使ってください。",
    ),
    "not_cancellable": Entry(
        409, "Not cancellable",
        "Only a transfer that is still `scheduled` can be cancelled; this one is past that.",
        "予約中（scheduled）のお振込みだけが取り消せます。このお振込みは取り消せません。",
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
    "mail_link_invalid": Entry(
        404, "Confirmation link not valid",
        "This confirmation link is unknown, already used or older than 24 hours. Register "
        "the address again in the mail settings to get a new link.",
        "この確認用リンクは無効です（使用済み、または24時間の有効期限切れ）。"
        "お手数ですが、メール設定からもう一度アドレスを登録して、新しいリンクをお受け取りください。",
    ),
    "web_id_taken": Entry(
        409, "Web-ID taken",
        "This Web-ID is already used by someone else. Choose another one.",
        "このWeb-IDはほかの方が使用しています。別のWeb-IDを指定してください。",
    ),
    "guessable_pin": Entry(
        422, "PIN too easy to guess",
        "This PIN is easy to guess (four equal digits, a run such as 1234 or 9876, your "
        "birth date or the last four digits of your phone number); `reason` says which. "
        "Choose another 4-digit PIN.",
        "推測されやすい暗証番号（同じ数字の並び、連続した数字、生年月日、電話番号の下4桁）は"
        "お使いいただけません。ほかの4桁の数字を設定してください。",
    ),
    "documents_not_requested": Entry(
        409, "Documents not requested",
        "This application is not waiting for income proof (its `status` says where it "
        "stands), so nothing was changed. Send proof only when the status is "
        "`documents_needed`.",
        "このお申し込みは、現在は収入証明書をお待ちしている状態ではないため、受け付けませんでした"
        "（変更はありません）。お申し込みの状況をご確認ください。",
    ),
    "offer_not_open": Entry(
        409, "No offer to accept",
        "This application has no offer open for acceptance (its `status` says where it "
        "stands); nothing was changed. A contract is possible only while the status is "
        "`approved`.",
        "このお申し込みには、現在ご契約いただけるご提案がありません（変更はありません）。"
        "お申し込みの状況をご確認ください。",
    ),
    "application_expired": Entry(
        409, "Application expired",
        "The 14 days to accept the offer or to send the income proof have passed, so this "
        "application has ended. Please apply again.",
        "ご契約（または収入証明書のご提出）の期限が過ぎたため、このお申し込みは終了しました。"
        "お手数ですが、あらためてお申し込みください。",
    ),
    "already_contracted": Entry(
        409, "Already contracted",
        "This application is already contracted and the member exists (`member_id`). The "
        "card number is shown only once, at the contract; log in with it (it is also on "
        "your card) or with your Web-ID.",
        "このお申し込みはすでにご契約済みです。カード番号はご契約時に一度だけ表示しています。"
        "カード番号（お手元のカードにも記載）またはWeb-IDでログインしてください。",
    ),
    "not_in_review": Entry(
        409, "Not in review",
        "This application (or request to lift a review's stop) is not waiting for a "
        "screener; its status says where it stands. Nothing was changed.",
        "このお申し込み（またはご利用再開の審査）は審査担当者の判断待ちではないため、"
        "操作できません（変更はありません）。",
    ),
    "lift_not_allowed": Entry(
        409, "Lift not allowed",
        "On this request's bureau answer the ongoing-review rule still fails for the "
        "member's limit (`reasons`), so the stop stays; nothing was changed.",
        "信用情報の回答に照らすと、現在の利用限度額では基準を満たさないため、"
        "利用停止を解除できません（変更はありません）。",
    ),
    "limit_not_allowed": Entry(
        422, "Limit not allowed",
        "A screener may approve at most `maximum` yen (what the rules would offer without "
        "the many-lenders rule), from 10,000 yen in steps of 10,000; `maximum` null: the "
        "rules allow no line at all. Choose a limit within that.",
        "承認できる利用限度額は、規則で認められる上限（maximum）以下、1万円以上1万円単位です"
        "（maximum が空の場合は承認できません）。限度額を見直してください。",
    ),
    "csrf_failed": Entry(
        403, "Form expired",
        "The form was sent without a valid form token (it expired, or came from another "
        "site). Open the page again and resend it.",
        "フォームの有効期限が切れたか、正しくない送信元からのお申し込みのため、受け付けられませんでした。"
        "ページを開き直してから、もう一度送信してください。",
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
    "not_found": Entry(
        404, "Not found",
        "Nothing here for you. Check the id or the path.",
        "指定されたものは見つかりません。IDまたはURLを確認してください。",
    ),
    "method_not_allowed": Entry(
        405, "Method not allowed",
        "This path does not accept that HTTP method. See /docs.",
        "このURLではその操作はできません。",
    ),
    "payload_too_large": Entry(
        413, "Payload too large",
        "The request body is too large. Send at most 64 KiB of JSON.",
        "送信データが大きすぎます。",
    ),
    "unsupported_media_type": Entry(
        415, "Unsupported media type",
        "Send the body as application/json.",
        "application/json 形式で送信してください。",
    ),
    "not_ready": Entry(
        503, "Not ready",
        "A dependency (database or broker) is not answering. Retry shortly.",
        "システムが一時的に利用できません。しばらくしてからお試しください。",
    ),
    "overloaded": Entry(
        503, "Instant transfers are busy",
        "Instant transfers are arriving faster than they can be paid within the promised "
        "10 seconds, so this one was not accepted; nothing was changed and no credit is "
        "held. Try again after the seconds in Retry-After (the same Idempotency-Key is safe "
        "to reuse).",
        "ただいまお振込みが大変混み合っており、10秒以内のお振込みをお約束できないため、"
        "このお申し込みはお受けしていません（変更はされておらず、ご利用可能額も減っていません）。"
        "Retry-After に示された秒数が過ぎてから、もう一度お試しください。",
    ),
    "database_unavailable": Entry(
        503, "Database unavailable",
        "The database is not answering; nothing was changed. Retry in a few seconds "
        "(the same Idempotency-Key is safe to reuse).",
        "一時的に処理できませんでした（変更はされていません）。"
        "数秒後にもう一度お試しください。",
    ),
    "internal_error": Entry(
        500, "Internal error",
        "Something went wrong on our side; nothing was changed. Retry, and contact us "
        "if it persists.",
        "システムエラーが発生しました。時間をおいて再度お試しください。",
    ),
}


class ShunfuriError(Exception):
    """A refusal with a stable code; `extra` fields go into the problem body as-is."""

    def __init__(
        self, code: str, detail: str | None = None, *, detail_ja: str | None = None,
        **extra: Any,
    ) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"error code {code!r} is not in the catalogue")
        self.code = code
        self.entry = CATALOGUE[code]
        self.detail = detail or self.entry.detail
        # A refusal may say the very amount or date (`repayment_overdue`), or a reason more
        # precise than the code (a transfer in doubt); the catalogue's sentence is the fallback.
        self.detail_ja = detail_ja or self.entry.detail_ja
        self.extra = extra
        super().__init__(f"{code}: {self.detail}")

    @property
    def status(self) -> int:
        return self.entry.status

    def body(self) -> dict[str, Any]:
        return {
            "type": f"https://shunfuri.dev/problems/{self.code.replace('_', '-')}",
            "title": self.entry.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "detail_ja": self.detail_ja,
            **self.extra,
        }
