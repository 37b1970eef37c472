"""`make screenshots`: every page of the member site and of the staff console at PC
(1280 px) and phone (360 px)
width, into `docs/screenshots/` (or the folder given), from a real running system.

    python -m tests.browser.screenshots docs/screenshots [--only mail|site|staff|apply]

It starts `shunfuri up` on a fresh test database (like the browser tests), walks one
member through the site per width, and writes `<page>-pc.png` / `<page>-phone.png`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser import journey
from tests.browser.apply_screens import APPLY_PAGES, apply_tour
from tests.system import poll, running_system

# (file name, what it shows): the order of the tour and of docs/tour.md's gallery.
PAGES = (
    ("01-login", "ログイン（カード番号 / Web-ID）"),
    ("02-login-wrong-pin", "暗証番号の誤り"),
    ("03-locked", "3回間違えてロック"),
    ("03b-paused", "初めてのブラウザ：ログインの一時停止"),
    ("04-lost-card", "紛失・盗難の届出があるカード"),
    ("05-suspended", "利用停止"),
    ("06-top", "会員トップ"),
    ("07-payees-empty", "振込先口座（未登録）"),
    ("08-bank-search", "金融機関をかなで探す"),
    ("09-branch-search", "支店を探す"),
    ("10-account-form", "口座の情報（入力エラー）"),
    ("11-payee-confirm", "銀行へ送る表記で確認"),
    ("12-payees", "振込先口座"),
    ("13-transfer-form", "瞬フリ：金額の入力"),
    ("14-review-instant", "確認：最短10秒"),
    ("15-status-settled", "振込完了（受付からの秒数）"),
    ("16-review-sunday", "確認：日曜22時の三井住友は月曜7時"),
    ("17-status-scheduled", "振込予約中"),
    ("18-cancel", "予約の取り消し"),
    ("19-history", "お取引履歴"),
    ("20-web-id", "Web-ID設定"),
    ("21-not-found", "見つからないページ"),
    ("22-dues-overdue", "返済予定：期日を過ぎた最低返済額"),
    ("23-repay-form", "ご返済：金額の入力と完済金額"),
    ("24-repay-review", "ご返済：利息と元金の内訳の確認"),
    ("25-repay-settled", "ご返済完了"),
    ("26-dues", "返済予定と返済日の変更"),
    ("27-statement", "ご利用明細（CSVダウンロード）"),
)
# The staff console (/staff/); `--only staff` takes just these.
STAFF_PAGES = (
    ("31-staff-login", "スタッフ：ログイン"),
    ("32-staff-enrol", "スタッフ：確認コードの登録（QRコード）"),
    ("33-staff-home", "スタッフ：トップ（責任者）"),
    ("34-staff-search", "スタッフ：会員検索（全角・ハイフン付きカード番号）"),
    ("35-staff-member-locked", "スタッフ：ロック中の会員"),
    ("36-staff-pin-reset", "スタッフ：暗証番号の再設定（一度だけ表示）"),
    ("37-staff-queue", "スタッフ：振込キュー・バッチ・所要時間グラフ"),
    ("38-staff-doubts", "スタッフ：要確認の振込"),
    ("39-staff-inquired", "スタッフ：銀行に照会した結果"),
    ("40-staff-audit", "スタッフ：操作記録"),
    ("41-staff-accounts", "スタッフ：スタッフ管理"),
    ("42-staff-refused", "スタッフ：窓口には見られない画面"),
    ("43-staff-password", "スタッフ：初回ログインのパスワード変更"),
    ("44-staff-account", "スタッフ：アカウント（無効化・確認コードのリセット）"),
    ("45-staff-applications", "スタッフ：審査の一覧（審査担当）"),
    ("46-staff-application", "スタッフ：お申し込みの審査（承認できる上限額）"),
)
# The mail pages (tests/browser/mail_journey.py); `--only mail` takes just these.
MAIL_PAGES = (
    ("mail-1-settings", "メール設定（未登録）", "mail-settings"),
    ("mail-2-pending", "確認メールを送信", "mail-pending"),
    ("mail-3-confirm", "確認リンクを開いたところ", "mail-confirm"),
    ("mail-4-saved", "メール設定を保存", "mail-saved"),
    ("mail-5-mailbox", "開発用メールボックス", "mailbox"),
    ("mail-6-message", "お振込み完了メール", "mail-message"),
)


def locked_and_paused(page, system, shot) -> None:  # type: ignore[no-untyped-def]
    """03: three wrong PINs in a browser the member used before (the lock); 03b: in a
    browser they never used (a pause, not a lock)."""
    locked = journey.new_member(system.url)
    journey.log_in(page, locked)  # this browser becomes one the member logged in from
    page.get_by_role("button", name="ログアウト").click()
    for _ in range(3):
        journey.log_in(page, {**locked, "pin": "0000"})
    journey.log_in(page, locked)
    shot("03-locked")
    paused = journey.new_member(system.url)  # this browser never logged in as them
    for _ in range(3):
        journey.log_in(page, {**paused, "pin": "0000"})
    expect(page.get_by_role("alert")).to_contain_text("お休みしています")
    shot("03b-paused")


def tour(page, system, folder: Path, size: str, clock) -> None:  # type: ignore[no-untyped-def]
    def shot(name: str) -> None:
        journey.shot(page, folder, f"{name}-{size}")

    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    member = journey.new_member(system.url)
    page.goto("/login")
    shot("01-login")
    journey.log_in(page, {**member, "pin": "0000"})
    expect(page.get_by_role("alert")).to_be_visible()
    shot("02-login-wrong-pin")
    locked_and_paused(page, system, shot)
    lost = journey.new_member(system.url)
    journey.staff(system.url, lost, "report-card-lost")
    journey.log_in(page, lost)
    shot("04-lost-card")
    suspended = journey.new_member(system.url)
    journey.staff(system.url, suspended, "suspend")
    journey.log_in(page, suspended)
    shot("05-suspended")

    journey.log_in(page, member, card_number=journey.full_width_hyphenated(member["card_number"]))
    expect(page.get_by_role("heading", name="会員トップ")).to_be_visible()
    shot("06-top")
    page.goto("/payees")
    shot("07-payees-empty")
    page.goto("/payees/new?bank_q=みついすみとも")
    shot("08-bank-search")
    page.goto("/payees/new?bank=0009&branch_q=ジンボウチョウ")
    shot("09-branch-search")
    page.goto("/payees/new?bank=0009&branch=001")
    page.get_by_label("口座番号（7桁まで）").fill("12345678")
    page.get_by_label("口座名義（カナ）").fill("山田 太郎")
    page.get_by_role("button", name="確認する").click()
    shot("10-account-form")
    page.get_by_label("口座番号（7桁まで）").fill("１２３４５６７")
    page.get_by_label("口座名義（カナ）").fill("ヤマダ　タロウ")
    page.get_by_role("button", name="確認する").click()
    shot("11-payee-confirm")
    page.get_by_label("暗証番号（4桁）").fill(member["pin"])
    page.get_by_role("button", name="この内容で登録する").click()
    shot("12-payees")

    page.goto("/transfer")
    page.get_by_label("お借入れ金額（円）").fill("３０，０００")
    shot("13-transfer-form")
    page.get_by_role("button", name="振込日時を確認する").click()
    shot("14-review-instant")
    page.get_by_role("button", name="この内容で振り込む").click()
    expect(page.locator("#status-label")).to_have_text("振込完了")
    shot("15-status-settled")

    clock(f"{journey.SUNDAY_NIGHT}@1")
    page.goto("/transfer")
    page.get_by_label("お借入れ金額（円）").fill("20000")
    page.get_by_role("button", name="振込日時を確認する").click()
    shot("16-review-sunday")
    page.get_by_role("button", name="この日時で予約する").click()
    expect(page.locator("#status-label")).to_have_text("振込予約中")
    shot("17-status-scheduled")
    page.get_by_role("link", name="この予約を取り消す").click()
    shot("18-cancel")
    page.get_by_role("button", name="予約を取り消す").click()
    expect(page.locator("#status-label")).to_have_text("取消済み")
    page.goto("/transfers")
    shot("19-history")
    page.goto("/settings/web-id")
    shot("20-web-id")
    page.goto("/transfers/no-such-transfer")
    shot("21-not-found")

    # After the first advance's 30 free days, with the first due date (25 Dec) unpaid.
    clock("2027-01-12T10:00:00+09:00@1")
    page.goto("/dues")
    shot("22-dues-overdue")
    page.goto("/repay")
    page.get_by_label("ご返済額（円）").fill("10,000")
    shot("23-repay-form")
    page.get_by_role("button", name="内訳を確認する").click()
    shot("24-repay-review")
    page.get_by_role("button", name="この内容で返済する").click()
    expect(page.locator("#status-label")).to_have_text("ご返済完了")
    shot("25-repay-settled")
    page.goto("/dues")
    shot("26-dues")
    page.goto("/statement?month=2027-01")
    shot("27-statement")


def mail_tour(page, system, folder: Path, size: str, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.browser import mail_journey

    names = {step: name for name, _, step in MAIL_PAGES}
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    mail_journey.walk(page, system,
                      step=lambda step: journey.shot(page, folder, f"{names[step]}-{size}"))


def staff_tour(page, system, folder: Path, size: str, clock) -> None:  # type: ignore[no-untyped-def]
    """The staff console: a supervisor does the desk's and the operator's work, then a
    desk account is refused the operator's page."""

    def shot(name: str) -> None:
        journey.shot(page, folder, f"{name}-{size}")

    from tests.browser.staff_journey import add_account, enrol, fill_login, new_staff

    locked = journey.new_member(system.url)
    journey.lock_from_own_app(system.url, locked)
    stuck = journey.new_member(system.url)
    payee = journey.api_payee(system.url, stuck, "0009")
    system.bank(lose_response_rate=1.0)
    try:
        journey.api_transfer(system.url, stuck, payee, 20_000)
        poll(lambda: journey.transfers_of(system.url, stuck)[0]["status"] == "needs_attention",
             timeout=90, interval=0.5, what="a transfer needing attention")
    finally:
        system.bank(lose_response_rate=0.0)
    boss = new_staff(system, "supervisor", name="鈴木 一郎")
    page.goto("/staff/login")
    shot("31-staff-login")
    fill_login(page, boss)
    page.wait_for_url("**/staff/enrol")
    shot("32-staff-enrol")
    page.goto("/staff/login")
    enrol(page, boss)
    shot("33-staff-home")
    page.goto("/staff/members")
    page.get_by_label("カード番号・Web-ID・会員番号").fill(
        journey.full_width_hyphenated(locked["card_number"]))
    shot("34-staff-search")
    page.get_by_role("button", name="検索する").click()
    expect(page.locator("#member-status")).to_have_text("ログインロック中")
    shot("35-staff-member-locked")
    page.get_by_label("運転免許証").check()
    page.get_by_label("書類の顔写真・氏名・生年月日がご本人と一致することを確認しました").check()
    page.get_by_role("button", name="暗証番号を再設定する").click()
    expect(page.locator("#new-pin")).to_be_visible()
    shot("36-staff-pin-reset")
    page.goto("/staff/queue")
    shot("37-staff-queue")
    page.goto("/staff/doubts")
    shot("38-staff-doubts")
    page.locator("table.data tbody tr").first.get_by_role("button", name="銀行に照会する").click()
    expect(page.locator("#inquiry-result")).to_be_visible()
    shot("39-staff-inquired")
    page.goto("/staff/audit")
    shot("40-staff-audit")
    page.goto("/staff/accounts")
    newcomer = f"tanaka.{size}"
    drawn = add_account(page, newcomer)
    shot("41-staff-accounts")
    page.get_by_role("link", name=newcomer, exact=True).click()
    shot("44-staff-account")
    page.get_by_role("button", name="ログアウト").click()
    fill_login(page, newcomer, password=drawn)
    page.wait_for_url("**/staff/password")
    shot("43-staff-password")
    enrol(page, new_staff(system, "desk"))
    page.goto("/staff/queue")
    shot("42-staff-refused")


def screener_tour(page, system, folder: Path, size: str, clock) -> None:  # type: ignore[no-untyped-def]
    """The screener's 審査 queue and one application a rule sent there (other lenders'
    count over the automatic limit)."""
    from tests.browser import review_journey as rj
    from tests.browser.staff_journey import enrol, new_staff

    app = rj.in_manual_review(system)
    page.goto("/staff/login")
    enrol(page, new_staff(system, "screener", name="佐藤 審査"))
    page.goto("/staff/applications")
    expect(page.locator(f"#application-{app['id']}")).to_be_visible()
    journey.shot(page, folder, f"45-staff-applications-{size}")
    page.locator(f"#application-{app['id']}").get_by_role("link", name="開く").click()
    expect(page.get_by_role("heading", name="お申し込みの審査")).to_be_visible()
    journey.shot(page, folder, f"46-staff-application-{size}")
    page.get_by_role("button", name="ログアウト").click()


def main(folder: Path, only: str | None = None) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    tours = {"site": (tour,), "mail": (mail_tour,), "staff": (staff_tour, screener_tour),
             "apply": (apply_tour,)}.get(only or "", (tour, mail_tour, staff_tour,
                                                     screener_tour, apply_tour))
    with running_system(clock=f"{journey.WEEKDAY_AFTERNOON}@1", redis_db=11,
                        SHUNFURI_DOUBT_MAX_ATTEMPTS="3") as system:

        def clock(spec: str) -> None:
            done = system.cli("clock", spec)
            assert done.returncode == 0, done.stderr
            wanted = spec[:13]  # the simulated hour is enough to tell the jump happened

            def moved() -> bool:
                quote = system.http.get("/v1/availability", params={"bank_code": "0033"})
                return (quote.json().get("settle_at") or "").startswith(wanted)

            poll(moved, timeout=10, what=f"clock at {spec}")

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**journey.launch_options())
            for size, viewport, mobile in (("pc", journey.PC, False),
                                           ("phone", journey.PHONE, True)):
                context = browser.new_context(
                    base_url=system.url, locale="ja-JP", viewport=viewport, is_mobile=mobile,
                    device_scale_factor=1,
                )
                page = context.new_page()
                page.set_default_timeout(20_000)
                for walk in tours:
                    walk(page, system, folder, size, clock)
                context.close()
            browser.close()
    made = sorted(p.name for p in folder.glob("*.png"))
    chosen = {"mail": MAIL_PAGES, "site": PAGES, "staff": STAFF_PAGES,
              "apply": APPLY_PAGES}.get(only or "", PAGES + MAIL_PAGES + STAFF_PAGES + APPLY_PAGES)
    pages = [name for name, *_ in chosen]
    expected = {f"{name}-{size}.png" for name in pages for size in ("pc", "phone")}
    missing = expected - set(made)
    print(f"{len(made)} screenshots in {folder}" + (f"; missing {missing}" if missing else ""))
    return 1 if missing else 0


def gallery() -> str:
    """docs/tour.md's table of screenshots (printed by `--gallery`; paths from docs/)."""
    rows = ["| page | PC (1280 px) | phone (360 px) |", "|---|---|---|"]
    for name, label, *_ in PAGES + MAIL_PAGES + STAFF_PAGES + APPLY_PAGES:
        rows.append(
            f"| {label} | ![{label}](screenshots/{name}-pc.png) "
            f"| ![{label}](screenshots/{name}-phone.png) |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:] == ["--gallery"]:
        print(gallery())
        sys.exit(0)
    args = sys.argv[1:]
    only = None
    if "--only" in args:  # `--only mail`: just the mail pages (or `site`, `staff`, `apply`)
        at = args.index("--only")
        only = args[at + 1]
        del args[at:at + 2]
    target = Path(args[0] if args else "docs/screenshots")
    sys.exit(main(target if target.is_absolute() else Path.cwd() / target, only))
