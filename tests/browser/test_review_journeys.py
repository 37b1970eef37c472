"""The screener and the ongoing review in a real browser (issue 22, items 4, 6): a screener
opens the 審査 queue, is refused a limit above what the rules allow, approves within it
and the applicant's status turns approved; declines another with a reason; the desk is
refused the queue. A member the monthly review stopped logs in to the suspended page
(use stopped, repaying still open, how to reach us, never why), cannot reach 瞬フリ,
sends new income proof, and a screener lifts the stop on the bureau's fresh answer.
Every page is checked with axe, the member's and the queue also at 360 px."""

from __future__ import annotations

import redis
from playwright.sync_api import expect

from tests.browser import journey
from tests.browser import review_journey as rj
from tests.browser.staff_journey import enrol, new_staff
from tests.browser.test_staff_journeys import menu, other_page
from tests.system import poll
from workers.tasks import REVIEW_OPENED_KEY

NEXT_MONTH = "2027-01-05T13:00:00+09:00"  # a Tuesday: the January review month


def test_screener_approves_within_the_maximum_and_the_applicant_sees_it(page, phone, system,
                                                                      checked):
    app = rj.in_manual_review(system)
    enrol(page, new_staff(system, "screener", name="佐藤 審査"))
    menu(page, "審査")
    expect(page.get_by_role("heading", name="審査", exact=True)).to_be_visible()
    row = page.locator(f"#application-{app['id']}")
    expect(row).to_contain_text("規則5：他社借入件数が多い")
    expect(row).to_contain_text("他社3件・200,000円")
    expect(row).to_contain_text("300,000円")
    checked(page)
    row.get_by_role("link", name="開く").click()
    expect(page.get_by_role("heading", name="お申し込みの審査")).to_be_visible()
    expect(page.locator("#maximum")).to_contain_text("300,000円")
    checked(page)
    limit = page.get_by_label("利用限度額（円）")
    limit.fill("３１０，０００")
    page.get_by_role("button", name="この限度額で承認する").click()
    expect(page.locator("#e-limit")).to_contain_text("承認できる上限額以下")
    assert rj.status_of(system, app)["status"] == "manual_review"
    checked(page)
    page.get_by_label("利用限度額（円）").fill("200000")
    page.get_by_role("button", name="この限度額で承認する").click()
    expect(page.get_by_role("status")).to_contain_text("お申し込みを承認しました")
    view = rj.until_status(system, app, "approved")
    assert view["offer"] == {"credit_limit": 200_000, "rate_bp": 1780}
    phone_staff = new_staff(system, "screener", name="佐藤 審査")
    enrol(phone, phone_staff)
    phone.goto("/staff/applications")
    checked(phone, phone=True)


def test_screener_declines_with_a_reason_and_the_desk_is_refused(page, browser, system,
                                                                checked):
    app = rj.in_manual_review(system)
    with other_page(browser, system) as desk:
        enrol(desk, new_staff(system, "desk"))
        desk.goto("/staff/applications")
        expect(desk.get_by_role("heading", name="この画面は利用できません")).to_be_visible()
        expect(desk.get_by_role("navigation", name="スタッフメニュー")).not_to_contain_text("審査")
        checked(desk)
    enrol(page, new_staff(system, "supervisor", name="鈴木 一郎"))
    page.goto(f"/staff/applications/{app['id']}")
    page.get_by_role("button", name="否決する").click()
    expect(page.locator("#e-decline-reason")).to_be_visible()
    checked(page)
    page.get_by_label("否決の理由（記録に残ります。お申込者には表示しません）").fill(
        "勤務先の在籍が確認できないため")
    page.get_by_role("button", name="否決する").click()
    expect(page.get_by_role("status")).to_contain_text("お申し込みを否決しました")
    view = rj.until_status(system, app, "declined")
    assert view["reason_code"] == "screener_declined" and "在籍" not in view["detail_ja"]


def test_a_stopped_member_sees_the_suspended_page_sends_proof_and_a_screener_lifts(
        page, phone, browser, system, clock, checked):
    # The month opens once, at its first beat (a Redis mark): a journey before this one may
    # have left the clock in January with January opened, so the clock goes back to
    # December and this waits for the beat to open December before January comes again.
    clock(f"{journey.WEEKDAY_AFTERNOON}@1")
    marks = redis.Redis.from_url(system.broker_url)
    poll(lambda: (marks.get(REVIEW_OPENED_KEY) or b"").startswith(b"2026-12"), timeout=60,
         interval=0.5, what="the beat to open the December review month")
    member = rj.borrowing_member(system)
    rj.bureau(system, member["phone"], other_balance=1_500_000, other_count=2)
    clock(NEXT_MONTH)
    poll(lambda: rj.me(system, member)["status"] == "suspended", timeout=90, interval=0.5,
         what="the January review to stop the member")
    rj.bureau(system, member["phone"])  # the other lender was repaid meanwhile
    journey.log_in(phone, member)
    expect(phone.get_by_role("heading", name="ご利用を停止しています")).to_be_visible()
    expect(phone.locator("#suspended-lead")).to_contain_text("新しいお借入れ（瞬フリ）")
    expect(phone.get_by_role("heading", name="ご返済はこれまでどおりご利用いただけます")
           ).to_be_visible()
    expect(phone.locator("#contact-phone")).to_be_visible()
    for secret in ("信用情報", "他社", "異動", "総量規制", "1,500,000"):
        expect(phone.locator("main")).not_to_contain_text(secret)
    checked(phone, phone=True)
    phone.goto("/transfer")
    expect(phone).to_have_url(f"{system.url}/suspended")
    phone.get_by_role("link", name="返済する").click()
    expect(phone.get_by_role("heading", name="ご返済（インターネット返済）")).to_be_visible()
    phone.goto("/suspended")
    phone.get_by_role("link", name="収入証明書の内容を送る").click()
    checked(phone, phone=True)
    phone.get_by_label("源泉徴収票").check()
    phone.get_by_label("記載の年収（円）").fill("４，２００，０００")
    phone.get_by_role("button", name="この内容で送る").click()
    expect(phone.get_by_role("status")).to_contain_text("収入証明書をお預かりしました")

    enrol(page, new_staff(system, "screener", name="佐藤 審査"))
    menu(page, "審査")
    request = page.locator("tr[id^='review-']", has_text=f"{member['member_id']}")
    expect(request).to_contain_text("基準を満たす", timeout=60_000)  # the refresh brings it
    request.get_by_role("link", name="開く").click()
    expect(page.locator("#rule-result")).to_contain_text("満たす")
    checked(page)
    page.get_by_role("button", name="利用停止を解除する").click()
    expect(page.get_by_role("status")).to_contain_text("利用停止を解除しました")
    assert rj.me(system, member)["status"] == "active"
    phone.goto("/")
    expect(phone.get_by_role("link", name="瞬フリ（お借入れ）")).to_be_visible()
