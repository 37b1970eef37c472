"""Refusals about who may do what: logins, sessions, staff, forms, the member's secrets."""

from __future__ import annotations

from shunfuri.catalogue.entry import Entry

ENTRIES: dict[str, Entry] = {
    "validation_error": Entry(
        422, "Validation error",
        "Some fields are missing or malformed; see `errors` for each field and fix them.",
        "入力内容に誤りがあります。errors に示された項目を確認して、入力し直してください。",
        title_ja="入力内容をご確認ください",
        page_ja="入力内容に誤りがあります。表示された項目を確認して、入力し直してください。",
    ),
    "invalid_credentials": Entry(
        401, "Invalid credentials",
        "The card number / Web-ID or the PIN / password is wrong. Check them and try again; "
        "after 3 wrong attempts in a row the account is locked.",
        "カード番号（Web-ID）または暗証番号（パスワード）が正しくありません。"
        "確認してもう一度お試しください。3回続けて間違えるとロックされます。",
        title_ja="ログインできませんでした",
        remedies_ja=(
            "カード番号の全角数字・ハイフン・空白は、そのまま入力していただいてかまいません。",
            "以前にログインしたことのあるブラウザやアプリで3回続けて間違えるとロックされ、"
            "自動契約機での再設定が必要になります。",
        ),
    ),
    "account_locked": Entry(
        423, "Account locked",
        "Login is locked after 3 wrong attempts in a row. Bring photo ID to an automatic "
        "contract machine to reset your PIN; the correct PIN does not unlock it.",
        "暗証番号を3回続けて間違えたため、ログインがロックされています。"
        "本人確認書類をお持ちのうえ、自動契約機で暗証番号の再設定を行ってください。",
        title_ja="ログインがロックされています",
        remedies_ja=(
            "ロックは、正しい暗証番号を入力しても解除されません。",
            "暗証番号の再設定は、ご本人が自動契約機でお手続きください。"
            "運転免許証、または健康保険証と住民票などの書類もう1点をお持ちください。",
            "メールやお電話では暗証番号を再設定できません。",
        ),
    ),
    "card_reported_lost": Entry(
        403, "Card reported lost",
        "This card was reported lost or stolen and cannot be used to log in. Log in with "
        "your Web-ID, or have a new card issued and use its number.",
        "このカードは紛失・盗難の届出があるため、ログインに使えません。"
        "Web-IDでログインするか、カードの再発行を受けて新しいカード番号をご利用ください。",
        title_ja="このカードではログインできません",
        remedies_ja=(
            "Web-IDをお持ちの方は、Web-IDとパスワードでログインできます。",
            "カードの再発行を受けた方は、新しいカードのカード番号でログインしてください。",
            "紛失・盗難の届出がまだの場合は、すぐにお問い合わせ窓口へご連絡ください。",
        ),
    ),
    "account_suspended": Entry(
        403, "Account suspended",
        "Use of this account is suspended, so login and transfers are refused. Please "
        "contact us to learn how use can be resumed.",
        "ご利用が停止されているため、ログインとお振込みはできません。"
        "再開の方法については、お問い合わせ窓口へご連絡ください。",
        title_ja="ご利用が停止されています",
        remedies_ja=(
            "ご返済の状況などにより、新しいお借入れとログインを停止しています。",
            "再開の条件は、お問い合わせ窓口でご案内しています。",
        ),
    ),
    "not_authenticated": Entry(
        401, "Not authenticated",
        "A valid bearer token is required. Log in with POST /v1/login and send "
        "`Authorization: Bearer <token>`.",
        "ログインが必要です。ログインし直してから、もう一度お試しください。",
        title_ja="ログインしてください",
    ),
    "token_expired": Entry(
        401, "Session expired",
        "Your session has ended (expired, logged out or revoked). Log in again.",
        "セッションの有効期限が切れました。もう一度ログインしてください。",
        title_ja="もう一度ログインしてください",
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
        title_ja="この画面は利用できません",
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
        title_ja="しばらく時間をおいてお試しください",
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
        title_ja="このブラウザからのログインをお休みしています",
    ),
    "csrf_failed": Entry(
        403, "Form expired",
        "The form was sent without a valid form token (it expired, or came from another "
        "site). Open the page again and resend it.",
        "フォームの有効期限が切れたか、正しくない送信元からのお申し込みのため、受け付けられませんでした。"
        "ページを開き直してから、もう一度送信してください。",
        title_ja="送信を受け付けられませんでした",
    ),
    "web_id_taken": Entry(
        409, "Web-ID taken",
        "This Web-ID is already used by someone else. Choose another one.",
        "このWeb-IDはほかの方が使用しています。別のWeb-IDを指定してください。",
        title_ja="このWeb-IDは使えません",
    ),
    "guessable_pin": Entry(
        422, "PIN too easy to guess",
        "This PIN is easy to guess (four equal digits, a run such as 1234 or 9876, your "
        "birth date or the last four digits of your phone number); `reason` says which. "
        "Choose another 4-digit PIN.",
        "推測されやすい暗証番号（同じ数字の並び、連続した数字、生年月日、電話番号の下4桁）は"
        "お使いいただけません。ほかの4桁の数字を設定してください。",
        title_ja="暗証番号を変更してください",
    ),
    "mail_link_invalid": Entry(
        404, "Confirmation link not valid",
        "This confirmation link is unknown, already used or older than 24 hours. Register "
        "the address again in the mail settings to get a new link.",
        "この確認用リンクは無効です（使用済み、または24時間の有効期限切れ）。"
        "お手数ですが、メール設定からもう一度アドレスを登録して、新しいリンクをお受け取りください。",
        title_ja="確認用リンクが無効です",
    ),
}
