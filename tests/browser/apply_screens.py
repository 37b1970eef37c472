"""`make screenshots` for becoming a member (`--only apply`): お試し診断, the /apply steps,
the status page in each state, the documents form, the contract's pages and the card
number shown once."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.browser import apply_journey as aj

DECISION = 30_000  # ms: a decision on this busy machine, with room to spare

# (file name, what it shows): the order of the tour and of docs/tour.md's gallery.
APPLY_PAGES = (
    ("apply-01-shindan", "お試し診断"),
    ("apply-02-shindan-answer", "お試し診断：その場で結果"),
    ("apply-03-name", "お申し込み：お名前・生年月日"),
    ("apply-04-contact-errors", "お申し込み：項目ごとの入力エラー"),
    ("apply-05-work", "お申し込み：ご職業・お勤め先"),
    ("apply-06-limit", "お申し込み：ご希望の限度額・収入証明書"),
    ("apply-07-confirm", "お申し込み：入力内容の確認"),
    ("apply-08-received", "受付完了：確認コード（一度だけ表示）・審査中"),
    ("apply-09-approved", "審査結果：ご契約いただけます"),
    ("apply-10-terms", "契約締結前書面"),
    ("apply-11-pin-refused", "ご契約：推測されやすい暗証番号"),
    ("apply-12-card", "ご契約完了：カード番号（一度だけ表示）"),
    ("apply-13-documents-needed", "収入証明書のお願い"),
    ("apply-14-documents", "収入証明書の内容を送る"),
    ("apply-15-manual-review", "担当者が確認しています"),
    ("apply-16-declined", "審査の結果（お断り）"),
    ("apply-17-continue", "続きから（受付番号と確認コード）"),
)


def _bureau(system, **faults: object) -> None:  # type: ignore[no-untyped-def]
    url = system.env_of_children()["SHUNFURI_BUREAU_URL"]
    httpx.post(f"{url}/v1/bureau/control", json=faults, timeout=10)


def apply_tour(page, system, folder: Path, size: str, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.browser import journey

    def shot(name: str) -> None:
        journey.shot(page, folder, f"{name}-{size}")

    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    page.goto("/shindan")
    shot("apply-01-shindan")
    aj.fill(page, [("生年月日", "１９９０／４／１"), ("年収（税込み・円）", "４，０００，０００"),
                   ("他社からのお借入れ残高（円）", "０")])
    page.get_by_role("button", name="診断する").click()
    shot("apply-02-shindan-answer")
    page.get_by_role("button", name="このままお申し込みへ進む").click()
    aj.fill(page, aj.STEPS["name"][:2])
    shot("apply-03-name")
    page.get_by_role("button", name="次へ進む").click()
    aj.fill(page, [("電話番号", "０９０－１２"), ("メールアドレス", "hanako＠example"),
                   ("郵便番号", "１５０－０００１"), ("ご住所", "東京都渋谷区神宮前１－２－３")])
    page.get_by_role("button", name="次へ進む").click()
    shot("apply-04-contact-errors")
    aj.fill(page, [("電話番号", aj.new_phone()), ("メールアドレス", "hanako@example.jp")])
    page.get_by_role("button", name="次へ進む").click()
    aj.fill(page, aj.STEPS["work"])
    shot("apply-05-work")
    page.get_by_role("button", name="次へ進む").click()
    aj.fill(page, aj.STEPS["income"])
    page.get_by_role("button", name="次へ進む").click()
    aj.fill(page, aj.STEPS["limit"])
    shot("apply-06-limit")
    page.get_by_role("button", name="入力内容を確認する").click()
    shot("apply-07-confirm")
    _bureau(system, outage=True)  # the decision waits, so the page shows 審査中 for a while
    try:
        aj.submit(page)
        expect(page.locator("#status-panel")).to_contain_text("時間がかかっています",
                                                              timeout=40_000)
        shot("apply-08-received")
    finally:
        _bureau(system, outage=False)
    expect(page.locator("#status-label")).to_have_text("ご契約いただけます", timeout=DECISION)
    page.reload()  # the code was shown once (above); a return visit sees the offer alone
    shot("apply-09-approved")
    page.get_by_role("link", name="契約内容を確認する").click()
    shot("apply-10-terms")
    page.get_by_role("link", name="内容を確認して、契約の手続きへ進む").click()
    aj.agree_and_pin(page, "0401")
    page.get_by_role("button", name="同意して契約する").click()
    shot("apply-11-pin-refused")
    aj.agree_and_pin(page, aj.PIN)
    page.get_by_role("button", name="同意して契約する").click()
    shot("apply-12-card")
    other_states(page, system, shot)


def other_states(page, system, shot) -> None:  # type: ignore[no-untyped-def]
    """Documents asked for, a screener's review, a decline, and 続きから."""
    number = aj.new_phone()
    aj.bureau_record(system, number.replace("-", ""), other_balance=995_000, other_count=1)
    page.goto("/apply")
    aj.walk(page, aj.answers(number))
    aj.submit(page)
    expect(page.locator("#status-label")).to_have_text("収入証明書をお送りください", timeout=DECISION)
    page.reload()  # the code was shown once; this view is the one a return visit sees
    shot("apply-13-documents-needed")
    page.get_by_role("link", name="収入証明書の内容を送る").click()
    page.get_by_label("源泉徴収票").check()
    page.get_by_label("書類に記載の年収（円）").fill("４，０００，０００")
    shot("apply-14-documents")
    number = aj.new_phone()
    aj.bureau_record(system, number.replace("-", ""), other_count=3)
    page.goto("/apply")
    aj.walk(page, aj.answers(number))
    aj.submit(page)
    expect(page.locator("#status-label")).to_have_text("担当者が確認しています", timeout=DECISION)
    page.reload()
    shot("apply-15-manual-review")
    page.goto("/apply")
    aj.walk(page, aj.answers(aj.new_phone(), work=[("無職", "check")]))
    aj.submit(page)
    expect(page.locator("#status-label")).to_have_text("審査の結果", timeout=DECISION)
    page.reload()
    shot("apply-16-declined")
    page.goto("/apply/continue")
    shot("apply-17-continue")
