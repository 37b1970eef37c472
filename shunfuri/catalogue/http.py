"""Refusals of the request itself, and the system's own faults."""

from __future__ import annotations

from shunfuri.catalogue.entry import Entry

ENTRIES: dict[str, Entry] = {
    "not_found": Entry(
        404, "Not found",
        "Nothing here for you. Check the id or the path.",
        "指定されたものは見つかりません。IDまたはURLを確認してください。",
        title_ja="ページが見つかりません",
    ),
    "method_not_allowed": Entry(
        405, "Method not allowed",
        "This path does not accept that HTTP method. See /docs.",
        "このURLではその操作はできません。",
        title_ja="この操作はできません",
    ),
    "payload_too_large": Entry(
        413, "Payload too large",
        "The request body is too large. Send at most 64 KiB of JSON.",
        "送信データが大きすぎます。",
        title_ja="送信データが大きすぎます",
    ),
    "unsupported_media_type": Entry(
        415, "Unsupported media type",
        "Send the body as application/json.",
        "application/json 形式で送信してください。",
    ),
    "not_ready": Entry(
        503, "Not ready",
        "A dependency is not answering; retry shortly.",
        "システムが一時的に利用できません。しばらくしてからお試しください。",
        title_ja="ただいま処理できません",
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
        title_ja="ただいま混み合っています",
    ),
    "database_unavailable": Entry(
        503, "Database unavailable",
        "The database is not answering; nothing was changed. Retry in a few seconds "
        "(the same Idempotency-Key is safe to reuse).",
        "一時的に処理できませんでした（変更はされていません）。"
        "数秒後にもう一度お試しください。",
        title_ja="ただいま処理できません",
    ),
    "internal_error": Entry(
        500, "Internal error",
        "Something went wrong on our side; nothing was changed. Retry, and contact us "
        "if it persists.",
        "システムエラーが発生しました。時間をおいて再度お試しください。",
        title_ja="システムエラーが発生しました",
    ),
}
