"""Fixed Japanese wording for becoming a member, kept apart from the rules that choose it.

The domain decides with codes (`eligibility`, `screening`, `pins`, `person_fields`);
this catalogue says them in Japanese for the API's `message_ja` / `detail_ja` and the
pages, as the error catalogue (`shunfuri.catalogue`) does for refusals. No sentence here
ever contains a value the applicant typed.
"""

from __future__ import annotations

from typing import Any

# お試し診断: the only two answers, which never say which figure failed.
ELIGIBILITY_JA = {
    True: "ご融資可能と思われます",
    False: "ご希望に添えない可能性があります",
}

EMPLOYMENT_JA = {
    "employee": "会社員",
    "civil_servant": "公務員",
    "contract": "契約社員・派遣社員",
    "part_time": "パート・アルバイト",
    "self_employed": "自営業",
    "student": "学生",
    "pension_only": "年金のみ",
    "unemployed": "無職",
}

PROOF_KINDS_JA = {
    "withholding_slip": "源泉徴収票",
    "payslip": "給与明細書",
    "tax_return": "確定申告書",
}

# For the screener's page (staff): which rule decided, in a few words. What an applicant
# is told about a refusal is the service's choice, not this table's.
SCREENING_REASONS_JA = {
    "age_out_of_range": "規則1：申込日の年齢が対象外",
    "employment_not_eligible": "規則1：ご職業が対象外（年金のみ・無職）",
    "no_income": "規則1：年収がない",
    "bureau_delinquent": "規則2：信用情報に異動あり",
    "over_total_volume": "規則3：総量規制の余力が1万円未満",
    "income_proof_required": "規則4：収入証明書が必要",
    "many_other_lenders": "規則5：他社借入件数が多い",
}
# Why the ongoing review (途上与信) stopped a member's new advances, for the staff pages
# (the desk's member page, the screener's queue). The member is never told these.
CREDIT_REVIEW_REASONS_JA = {
    "bureau_delinquent": "信用情報に異動あり",
    "over_total_volume": "ご利用限度額と他社借入残高の合計が年収の3分の1を超過（総量規制）",
}
# The reason code of a screener's decline (`screener_declined`), for the staff pages.
SCREENER_DECLINED_JA = "審査担当者の判断による否決"

# What the applicant reads about their application, by status (the API's `detail_ja`, the
# status page). A decline never says why: the reason code is for the record and for staff.
APPLICATION_STATUS_JA = {
    "received": "お申し込みを受け付けました。ただいま審査を始めています。このままお待ちください。",
    "checking": "ただいま審査しています。結果が出るまで、このままお待ちください。",
    "approved": "審査の結果、ご契約いただけます。ご利用限度額は{limit}、年率は{rate}です。"
                "{until}までにご契約のお手続きをお済ませください。",
    "declined": "審査の結果、誠に申し訳ございませんが、今回はご希望に添いかねる結果となりました。",
    "documents_needed": "ご契約には収入証明書が必要です。{documents}のいずれかに記載の年収を、"
                        "{until}までにお送りください。",
    "manual_review": "担当者が審査を進めています。結果が出るまで、しばらくお待ちください。",
    "contracted": "ご契約が完了しました。カード番号と暗証番号（またはWeb-ID）でログインして、"
                  "すぐにご利用いただけます。",
    "expired": "お手続きの期限が過ぎたため、このお申し込みは終了しました。"
               "ご希望の場合は、あらためてお申し込みください。",
}
# Screening is waiting for the credit bureau (down or slow): nothing is decided on a guess.
BUREAU_WAIT_JA = ("信用情報機関への照会に時間がかかっています。お申し込みは受け付けておりますので、"
                  "結果が出るまでこのままお待ちください。")

FIELD_LABELS_JA = {
    "name_kanji": "お名前",
    "name_kana": "フリガナ",
    "birth_date": "生年月日",
    "phone": "電話番号",
    "email": "メールアドレス",
    "postal_code": "郵便番号",
    "address": "ご住所",
    "employment": "ご職業",
    "employer_name": "お勤め先の名称",
    "employer_phone": "お勤め先の電話番号",
    "annual_income": "年収",
    "other_count": "他社からのお借入れ件数",
    "other_balance": "他社からのお借入れ残高",
    "other_borrowing": "他社からのお借入れ残高",
    "requested_limit": "ご希望の利用限度額",
    "income_proof": "収入証明書",
    "kind": "収入証明書の種類",
    "income_proof.kind": "収入証明書の種類",
    "income_proof.annual_income": "収入証明書に記載の年収",
}
_CHOSEN = frozenset({"employment", "kind", "income_proof.kind"})
_COUNTED = frozenset({"other_count"})

# Messages that say more than the generic ones below, by (field, code).
_SPECIFIC_JA = {
    ("name_kana", "not_kana"):
        "フリガナは全角カタカナで入力してください（ひらがな・半角カナは自動で変換します）。",
    ("name_kana", "kana_too_long_for_bank"):
        "フリガナが長すぎて、銀行口座の名義（半角30文字まで）に収まりません。"
        "口座の名義と同じ表記で入力してください。",
    ("name_kanji", "invalid_characters"):
        "お名前に使えない文字が含まれています。漢字・かな・英字と空白で入力してください。",
    ("birth_date", "invalid_date"):
        "生年月日は「1990-04-01」や「1990/4/1」のように、正しい日付を入力してください。",
    ("birth_date", "in_future"): "生年月日が今日より後の日付になっています。ご確認ください。",
    ("birth_date", "too_early"): "生年月日は1900年以降の日付で入力してください。",
    ("email", "invalid_email"):
        "メールアドレスの形式が正しくありません。「name@example.jp」のように入力してください。",
    ("postal_code", "invalid_postal_code"):
        "郵便番号は7桁の数字で入力してください（〒やハイフンはなくてもかまいません）。",
}


def field_error_ja(field: str, code: str, **params: Any) -> str:
    """The Japanese for one field's refusal (`person_fields.FieldRefused`)."""
    specific = _SPECIFIC_JA.get((field, code))
    if specific:
        return specific
    label = FIELD_LABELS_JA.get(field, "入力内容")
    if code == "required":
        return f"{label}を選んでください。" if field in _CHOSEN else f"{label}を入力してください。"
    if code == "too_long":
        return f"{label}は{params['max']}文字以内で入力してください。"
    if code == "invalid_phone":
        return (f"{label}は0から始まる番号を、市外局番から入力してください"
                "（携帯電話は11桁、固定電話は10桁。ハイフンはなくてもかまいません）。")
    if code == "unknown_choice":
        return f"{label}を選択肢の中から選んでください。"
    if code == "not_whole_number":
        return f"{label}は数字で入力してください（全角の数字やカンマもお使いいただけます）。"
    if code == "out_of_range":
        low, high = _amount(field, params["low"]), _amount(field, params["high"])
        return f"{label}は{low}から{high}までで入力してください。"
    if code == "not_in_steps":
        return f"{label}は{_amount(field, params['step'])}単位で入力してください。"
    if code == "invalid_characters":
        return f"{label}に使えない文字が含まれています。ご確認ください。"
    return f"{label}の形式が正しくありません。ご確認ください。"


def _amount(field: str, value: int) -> str:
    """10000 -> 1万円, 5000000 -> 500万円, 1000000000 -> 10億円, 99 -> 99件."""
    if field in _COUNTED:
        return f"{value}件"
    if value >= 100_000_000 and value % 100_000_000 == 0:
        return f"{value // 100_000_000:,}億円"
    if value >= 10_000 and value % 10_000 == 0:
        return f"{value // 10_000:,}万円"
    return f"{value:,}円"
