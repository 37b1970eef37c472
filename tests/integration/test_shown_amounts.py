"""Every amount the API and the pages tell a member to pay is one a repayment may be
(issue 23, item 8): `GET /v1/me` and `GET /v1/dues` (payoff, minimum due, amount to lift),
and the one-click amounts of 返済予定 and ご返済. Each is tried for real: through
`POST /v1/repayments` for the API's figures, through the ご返済 form for the pages'."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import Member, MemberEvent, Repayment
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST, to_jst
from shunfuri.domain.ledger import AdvanceSettled, DueDayChanged, RateChanged, RepaymentSettled
from shunfuri.services.repayments import dues as dues_service
from shunfuri.services.repayments import overdue_marks
from tests import factories
from tests.examples import examples
from tests.integration.member_helpers import bearer
from tests.integration.test_dues import advance, settled_repayment
from tests.integration.test_web_pages import CSRF, signed_in
from tests.unit.test_ledger_properties import actions, build, starts
from tests.unit.test_shown_amounts import ISSUE

AMOUNT_LINK = re.compile(r'href="/repay\?amount=(\d+)"')


def history(member_id: int, payee_id: int, events: list, now: datetime) -> None:
    """The ledger events as the rows `services.repayments.dues` replays; `members.outstanding` the
    principal they leave (as settlement keeps it)."""
    for event in events:
        if isinstance(event, AdvanceSettled):
            advance(member_id, payee_id, event.amount, event.at)
        elif isinstance(event, RepaymentSettled):
            settled_repayment(member_id, payee_id, event.amount, event.at)
        else:
            kind, value = (("rate", event.rate_bp) if isinstance(event, RateChanged)
                           else ("due_day", event.due_day))
            with session_factory().begin() as session:
                session.add(MemberEvent(member_id=member_id, at=event.at, kind=kind,
                                        value=value, actor="test"))
    with session_factory().begin() as session:
        principal = dues_service.dues(session, member_id, now).principal
        member = session.get(Member, member_id)
        # Drawn advances may add up past any limit; the rate stays the one it was made at.
        member.credit_limit = max(member.credit_limit, principal)
        member.outstanding = principal


def accepted_by_api(client, headers: dict, payee_id: int, amount: int) -> None:  # type: ignore[no-untyped-def]
    """`POST /v1/repayments` takes it (202); the row is removed again, so the next amount
    is tried against the same balance (nothing in flight)."""
    answer = client.post("/v1/repayments", json={"payee_id": payee_id, "amount": amount},
                         headers=headers)
    assert answer.status_code == 202, (amount, answer.text)
    with session_factory().begin() as session:
        session.execute(delete(Repayment).where(Repayment.id == answer.json()["id"]))


def accepted_by_form(client, payee_id: int, amount: int) -> None:  # type: ignore[no-untyped-def]
    form = client.get(f"/repay?amount={amount}")
    token = CSRF.search(form.text).group(1)
    review = client.post("/repay/review", data={"payee_id": str(payee_id),
                                                "amount": str(amount), "csrf_token": token})
    assert review.status_code == 200, (amount, review.text)


def links(client, path: str) -> list[int]:  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200, page.text
    return [int(n) for n in AMOUNT_LINK.findall(page.text)]


def test_the_issue_example_on_the_api_and_the_pages(client, admin_headers):
    dec_1 = datetime(2026, 12, 1, 10, tzinfo=JST)
    set_clock(SimulatedClock(start=dec_1, speed=0.0001))
    try:
        m = signed_in(client, admin_headers, credit_limit=300_000)["member_id"]
        p = factories.payee(m)
        history(m, p, ISSUE, dec_1)
        overdue_marks.mark_overdue(session_factory(), now=dec_1)
        headers = bearer(factories.token(m))
        dues = client.get("/v1/dues", headers=headers).json()
        assert (dues["payoff_today"], dues["overdue"], dues["amount_to_lift"],
                dues["minimum_due"]) == (3_008, True, 1_000, 3_008)
        me = client.get("/v1/me", headers=headers).json()
        assert (me["payoff_today"], me["minimum_due"]) == (3_008, 3_008)
        page = client.get("/dues").text
        # "653円", not "653": the page's random CSRF token may hold those digits.
        assert 'id="pay-to-lift">1,000円を返済する<' in page and "653円" not in page
        assert links(client, "/repay") == [1_000, 3_008, 3_008]  # lift, minimum, payoff
        refused = client.post("/v1/transfers", json={"payee_id": p, "amount": 1_000},
                              headers={**headers, "Idempotency-Key": "while-overdue"})
        assert refused.status_code == 409 and refused.json()["amount_due"] == 1_000
        assert "1,000円" in refused.json()["detail_ja"]
        accepted_by_form(client, p, 1_000)
        accepted_by_api(client, headers, p, 1_000)
    finally:
        set_clock(None)


# No shrinking: each example is a member and its history in the database, and shrinking
# one took over five minutes; a failure is reported as drawn (the unit test of the same
# property, tests/unit/test_shown_amounts.py, shrinks).
@settings(max_examples=examples(12), deadline=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(start=starts, steps=actions, tail=st.integers(0, 120),
       due_day=st.sampled_from([5, 15, 25, 31]),
       in_flight=st.sampled_from([0, 0, 1_000, 2_500]))
def test_every_amount_the_api_and_the_pages_show_is_accepted(  # type: ignore[no-untyped-def]
        client, admin_headers, start, steps, tail, due_day, in_flight):
    events = [DueDayChanged(datetime.combine(start, time(9), JST), due_day),
              *build(start, steps)]
    last = max(to_jst(e.at).date() for e in events)
    now = datetime.combine(last + timedelta(days=tail), time(23), JST)
    set_clock(SimulatedClock(start=now, speed=0.0001))
    try:
        m = signed_in(client, admin_headers, credit_limit=500_000)["member_id"]  # 17.8 %: the default
        p = factories.payee(m)
        history(m, p, events, now)
        headers = bearer(factories.token(m))
        dues = client.get("/v1/dues", headers=headers).json()
        me = client.get("/v1/me", headers=headers).json()
        figures = {dues["payoff_today"], dues["minimum_due"], dues["amount_to_lift"],
                   me["payoff_today"], me["minimum_due"]} - {0}
        for amount in sorted(figures):
            accepted_by_api(client, headers, p, amount)
        if in_flight and dues["payoff_today"] > in_flight:
            kept = client.post(
                "/v1/repayments", json={"payee_id": p, "amount": in_flight}, headers=headers)
            assert kept.status_code == 202
        offered = set(links(client, "/dues")) | set(links(client, "/repay"))
        for amount in sorted(offered):
            accepted_by_form(client, p, amount)
    finally:
        set_clock(None)
