"""The screener's pages in the staff console (TestClient, real PostgreSQL and Redis, the
bureau simulator process): only screeners and supervisors see applicants' personal data
(貸金業法 第41条の38) - the desk and operators are refused and the refusal audited; the
審査 queue shows each application with the bureau's answer, the rule and the maximum;
approve within it, decline with a reason, lift or keep a review's stop, each audited
with who and from where; the desk's member page shows the stop's reason, no figure."""

from __future__ import annotations

import re

from shunfuri.db.models import AuditEntry
from shunfuri.db.session import session_factory
from shunfuri.services.credit_review import stops, worker
from tests.integration import application_helpers as app_helpers
from tests.integration.application_helpers import application
from tests.integration.review_helpers import (
    BIRTH,
    KANA,
    Clocks,
    audit_rows,
    context,
    joined_member,
    member,
)
from tests.integration.staff_helpers import CSRF, csrf_of, enrolled
from tests.integration.test_application_review import in_review

at = app_helpers.at
bureau = app_helpers.bureau
bureau_process = app_helpers.bureau_process


def token_of(page) -> str:
    return CSRF.search(page.text).group(1)


def test_the_desk_and_operators_are_refused_the_screening_pages_and_audited(
        client, another, at, bureau):
    app = in_review(client, bureau)
    desk = another()
    enrolled(desk, "desk1", "desk")
    home = desk.get("/staff/")
    assert 'href="/staff/applications"' not in home.text
    token = token_of(home)
    for method, path in (("GET", "/staff/applications"), ("GET", "/staff/applications/live"),
                         ("GET", f"/staff/applications/{app['id']}"),
                         ("POST", f"/staff/applications/{app['id']}/approve"),
                         ("GET", "/staff/reviews/1"), ("POST", "/staff/reviews/1/lift")):
        answer = desk.request(method, path, data={"csrf_token": token, "limit": "100000"}
                              if method == "POST" else None)
        assert answer.status_code == 403, path
        assert "この画面は利用できません" in answer.text and "サンプル" not in answer.text
    operator = another()
    enrolled(operator, "ops1", "operator")
    assert operator.get("/staff/applications").status_code == 403
    refused = [r for r in audit_rows("staff_refused") if r.detail["needs"] == "application.review"]
    assert [r.actor for r in refused] == ["staff:desk1"] * 6 + ["staff:ops1"]
    assert application(app["id"]).status == "manual_review"


def test_a_screener_approves_within_the_maximum_from_the_queue(client, at, bureau):
    app = in_review(client, bureau)
    enrolled(client, "sato", "screener")
    home = client.get("/staff/")
    assert 'href="/staff/applications"' in home.text and 'href="/staff/members"' not in home.text
    queue = client.get("/staff/applications")
    assert queue.status_code == 200 and 'data-refresh="/staff/applications/live"' in queue.text
    row = re.search(rf'<tr id="application-{app["id"]}">(.*?)</tr>', queue.text, re.S).group(1)
    assert "山田 花子" in row and "規則5：他社借入件数が多い" in row
    assert "他社3件・200,000円" in row and "300,000円" in row
    assert client.get("/staff/applications/live").status_code == 200
    page = client.get(f"/staff/applications/{app['id']}")
    assert page.status_code == 200
    assert "株式会社サンプル" in page.text and "承認できる上限は300,000円です" in page.text
    [viewed] = audit_rows("view_application")
    assert viewed.detail["application_id"] == app["id"] and viewed.source == "testclient"
    too_much = client.post(f"/staff/applications/{app['id']}/approve",
                           data={"csrf_token": token_of(page), "limit": "３１０，０００"})
    assert too_much.status_code == 422 and 'id="e-limit"' in too_much.text
    assert application(app["id"]).status == "manual_review"
    done = client.post(f"/staff/applications/{app['id']}/approve", follow_redirects=False,
                       data={"csrf_token": token_of(page), "limit": "200,000"})
    assert (done.status_code, done.headers["location"]) == (
        303, "/staff/applications?done=approved")
    applicant = client.get(f"/v1/applications/{app['id']}", headers=app["headers"]).json()
    assert applicant["status"] == "approved"
    assert applicant["offer"] == {"credit_limit": 200_000, "rate_bp": 1780}
    approvals = audit_rows("screener_approve")
    assert [(a.ok, a.actor, a.source) for a in approvals] == [
        (False, "staff:sato", "testclient"), (True, "staff:sato", "testclient")]


def test_a_screener_declines_only_with_a_reason(client, at, bureau):
    app = in_review(client, bureau)
    enrolled(client, "chief", "supervisor")
    token = csrf_of(client, f"/staff/applications/{app['id']}")
    empty = client.post(f"/staff/applications/{app['id']}/decline",
                        data={"csrf_token": token, "reason": "  "})
    assert empty.status_code == 422 and 'id="e-decline-reason"' in empty.text
    done = client.post(f"/staff/applications/{app['id']}/decline", follow_redirects=False,
                       data={"csrf_token": token, "reason": "在籍確認が取れないため"})
    assert done.status_code == 303
    assert application(app["id"]).status == "declined"
    [declined] = audit_rows("screener_decline")
    assert (declined.actor, declined.reason) == ("staff:chief", "在籍確認が取れないため")


def stopped_with_request(bureau, income: int) -> tuple[int, int]:
    member_id, phone = joined_member(credit_limit=300_000, income=3_000_000)
    bureau.record(kana_name=KANA, birth_date=BIRTH, phone=phone, other_balance=987_654)
    worker.run(context(bureau, Clocks()))
    from shunfuri.services.credit_review import proofs

    with session_factory()() as session:
        review_id = proofs.send_proof(session, member_id, {
            "kind": "payslip", "annual_income": income}, now=Clocks().now(),
            wall=Clocks().wall()).id
    worker.run(context(bureau, Clocks()))
    return member_id, review_id


def test_a_screener_lifts_a_stop_when_the_rule_holds_and_cannot_when_it_fails(
        client, another, bureau):
    holds, holds_review = stopped_with_request(bureau, 4_000_000)  # 1,333,333 >= 1,287,654
    fails, fails_review = stopped_with_request(bureau, 3_600_000)  # 1,200,000 < 1,287,654
    enrolled(client, "sato", "screener")
    queue = client.get("/staff/applications").text
    assert f'id="review-{holds_review}"' in queue and f'id="review-{fails_review}"' in queue
    page = client.get(f"/staff/reviews/{fails_review}")
    assert "満たさない" in page.text and 'action="/staff/reviews/' in page.text
    assert f'/staff/reviews/{fails_review}/lift' not in page.text  # no button to press
    refused = client.post(f"/staff/reviews/{fails_review}/lift",
                          data={"csrf_token": token_of(page)})
    assert refused.status_code == 409 and stops.is_stopped(member(fails))
    page = client.get(f"/staff/reviews/{holds_review}")
    assert 'id="rule-result"' in page.text and "満たす" in page.text
    lifted = client.post(f"/staff/reviews/{holds_review}/lift", follow_redirects=False,
                         data={"csrf_token": token_of(page)})
    assert lifted.status_code == 303 and not stops.is_stopped(member(holds))
    kept = client.post(f"/staff/reviews/{fails_review}/keep", follow_redirects=False,
                       data={"csrf_token": token_of(page), "reason": "他社残高が多いため"})
    assert kept.status_code == 303 and stops.is_stopped(member(fails))
    assert [(r.ok, r.member_id) for r in audit_rows("credit_review_lift")] == [
        (False, fails), (True, holds)]
    assert {r.member_id for r in audit_rows("view_credit_review")} == {holds, fails}

    desk = another()
    enrolled(desk, "desk1", "desk")
    seen = desk.get(f"/staff/members/{fails}")
    assert 'id="credit-review-stop"' in seen.text
    assert "ご利用限度額と他社借入残高の合計が年収の3分の1を超過" in seen.text
    for figure in ("987,654", "987654", "3,600,000", "3600000"):
        assert figure not in seen.text, figure
    with session_factory()() as session:
        rows = session.query(AuditEntry).filter(AuditEntry.member_id == fails).all()
        assert all("987654" not in str(r.detail) for r in rows)
