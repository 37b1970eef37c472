"""Refusals about becoming a member: applications, the screener, the ongoing review."""

from __future__ import annotations

from shunfuri.catalogue.entry import Entry

ENTRIES: dict[str, Entry] = {
    "documents_not_requested": Entry(
        409, "Documents not requested",
        "This application is not waiting for income proof (its `status` says where it "
        "stands), so nothing was changed. Send proof only when the status is "
        "`documents_needed`.",
        "このお申し込みは、現在は収入証明書をお待ちしている状態ではないため、受け付けませんでした"
        "（変更はありません）。お申し込みの状況をご確認ください。",
        title_ja="収入証明書のご提出は不要です",
    ),
    "offer_not_open": Entry(
        409, "No offer to accept",
        "This application has no offer open for acceptance (its `status` says where it "
        "stands); nothing was changed. A contract is possible only while the status is "
        "`approved`.",
        "このお申し込みには、現在ご契約いただけるご提案がありません（変更はありません）。"
        "お申し込みの状況をご確認ください。",
        title_ja="ご契約いただけるご提案がありません",
    ),
    "application_expired": Entry(
        409, "Application expired",
        "The 14 days to accept the offer or to send the income proof have passed, so this "
        "application has ended. Please apply again.",
        "ご契約（または収入証明書のご提出）の期限が過ぎたため、このお申し込みは終了しました。"
        "お手数ですが、あらためてお申し込みください。",
        title_ja="お申し込みの期限が過ぎています",
    ),
    "already_contracted": Entry(
        409, "Already contracted",
        "This application is already contracted and the member exists (`member_id`). The "
        "card number is shown only once, at the contract; log in with it (it is also on "
        "your card) or with your Web-ID.",
        "このお申し込みはすでにご契約済みです。カード番号はご契約時に一度だけ表示しています。"
        "カード番号（お手元のカードにも記載）またはWeb-IDでログインしてください。",
        title_ja="ご契約の手続きは完了しています",
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
}
