"""Refusals as pages: what happened and what to do, from the error catalogue.

The text is the catalogue's `detail_ja` (one source for the API and the pages), with
a page title per code, and more remedy where a page can say more than a JSON field:
how to get a PIN reset in person, what to do about a lost card. A few codes' `detail_ja`
names API fields (`errors`, `Retry-After`, `retry_at`); their pages say it in words.
A code this file does not know still renders, with a generic title and its `detail_ja`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from shunfuri.errors import CATALOGUE, ShunfuriError
from web.filters import jst, wait_ja

TITLES_JA = {
    "invalid_credentials": "ログインできませんでした",
    "account_locked": "ログインがロックされています",
    "card_reported_lost": "このカードではログインできません",
    "account_suspended": "ご利用が停止されています",
    "too_many_requests": "しばらく時間をおいてお試しください",
    "too_many_attempts": "このブラウザからのログインをお休みしています",
    "not_authenticated": "ログインしてください",
    "token_expired": "もう一度ログインしてください",
    "not_found": "ページが見つかりません",
    "csrf_failed": "送信を受け付けられませんでした",
    "role_forbidden": "この画面は利用できません",
    "not_cancellable": "このお振込みは取り消せません",
    "service_closed": "ただいま瞬フリのサービス時間外です",
    "insufficient_credit": "ご利用可能額を超えています",
    "invalid_amount": "金額をご確認ください",
    "validation_error": "入力内容をご確認ください",
    "idempotency_key_reused": "お申し込みをやり直してください",
    "web_id_taken": "このWeb-IDは使えません",
    "mail_link_invalid": "確認用リンクが無効です",
    "database_unavailable": "ただいま処理できません",
    "not_ready": "ただいま処理できません",
    "internal_error": "システムエラーが発生しました",
    "method_not_allowed": "この操作はできません",
    "payload_too_large": "送信データが大きすぎます",
    "application_expired": "お申し込みの期限が過ぎています",
    "offer_not_open": "ご契約いただけるご提案がありません",
    "already_contracted": "ご契約の手続きは完了しています",
    "documents_not_requested": "収入証明書のご提出は不要です",
    "guessable_pin": "暗証番号を変更してください",
}
GENERIC_TITLE = "お手続きできませんでした"

# More to say on a page than the catalogue's one line: each entry is a list of points.
REMEDIES_JA: dict[str, list[str]] = {
    "account_locked": [
        "ロックは、正しい暗証番号を入力しても解除されません。",
        "暗証番号の再設定は、ご本人が自動契約機でお手続きください。"
        "運転免許証、または健康保険証と住民票などの書類もう1点をお持ちください。",
        "メールやお電話では暗証番号を再設定できません。",
    ],
    "card_reported_lost": [
        "Web-IDをお持ちの方は、Web-IDとパスワードでログインできます。",
        "カードの再発行を受けた方は、新しいカードのカード番号でログインしてください。",
        "紛失・盗難の届出がまだの場合は、すぐにお問い合わせ窓口へご連絡ください。",
    ],
    "account_suspended": [
        "ご返済の状況などにより、新しいお借入れとログインを停止しています。",
        "再開の条件は、お問い合わせ窓口でご案内しています。",
    ],
    "invalid_credentials": [
        "カード番号の全角数字・ハイフン・空白は、そのまま入力していただいてかまいません。",
        "以前にログインしたことのあるブラウザやアプリで3回続けて間違えるとロックされ、"
        "自動契約機での再設定が必要になります。",
    ],
}

# Codes whose `detail_ja` speaks of API fields: what the page says instead.
_WORDED = {
    "validation_error": "入力内容に誤りがあります。表示された項目を確認して、入力し直してください。",
    "idempotency_key_reused": "このお申し込み画面は別の内容ですでに送信されています。"
    "お手数ですが、瞬フリの画面からやり直してください。",
}


def title_ja(code: str) -> str:
    return TITLES_JA.get(code, GENERIC_TITLE)


def detail_ja(error: ShunfuriError) -> str:
    code = error.code
    if code == "too_many_requests" and error.detail_ja != error.entry.detail_ja:
        return error.detail_ja  # a limit that says its own words (the applicant's pages)
    if code == "too_many_requests":
        wait = error.extra.get("retry_after")
        seconds = f"{wait}秒ほど" if wait else "しばらく"
        return f"短い時間に何度もログインが試されました。{seconds}待ってから、もう一度お試しください。"
    if code == "too_many_attempts":
        return (
            "ログインに続けて失敗したため、このブラウザからのログインを一時的にお休みしています。"
            f"{wait_ja(error.extra.get('retry_after'))}ほど待ってから、もう一度お試しください。"
            "以前にログインしたことのあるブラウザやアプリからは、そのままログインできます。"
        )
    if code == "service_closed":
        retry_at = error.extra.get("retry_at")
        when = f"{jst(retry_at)}以降に" if retry_at else "再開後に"
        return (
            "瞬フリは毎週月曜日の0:00〜7:00と、1月1日の終日はお休みしています。"
            f"{when}お申し込みください。"
        )
    if code in _WORDED:
        return _WORDED[code]
    entry = CATALOGUE.get(code)
    return error.entry.detail_ja if entry is None else entry.detail_ja


def error_page(request: Request, error: ShunfuriError, *, detail: str | None = None,
               **context: Any) -> Response:
    """The refusal's page; `detail` says it in the page's own words instead, and a
    `back=(href, label)` in `context` is the way on it offers."""
    from web.site import render

    # The applicant's pages keep their own header and menu on a refusal.
    applying = request.url.path.startswith(("/apply", "/shindan"))
    context.setdefault("layout", "apply_base.html" if applying else "base.html")
    headers = {}
    if "retry_after" in error.extra:
        headers["Retry-After"] = str(error.extra["retry_after"])
    response = render(
        request,
        "refusal.html",
        status=error.status,
        code=error.code,
        title=title_ja(error.code),
        detail=detail or detail_ja(error),
        remedies=REMEDIES_JA.get(error.code, []),
        **context,
    )
    response.headers.update(headers)
    return response


def wants_html(request: Request) -> bool:
    """A browser asking for a page outside the API's paths (for 404s the router raises)."""
    path = request.url.path
    if path.startswith(("/v1/", "/docs", "/openapi", "/redoc", "/metrics", "/healthz",
                        "/readyz", "/static/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def page_for(request: Request, code: str) -> Response | None:
    """A page for a browser asking for a path no route serves; None for API clients."""
    from web.security import secure_headers

    if not wants_html(request):
        return None
    response = error_page(request, ShunfuriError(code))
    secure_headers(response)
    return response
