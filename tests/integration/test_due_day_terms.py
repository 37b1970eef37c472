"""The due day is set by one service, whoever sets it (issue 23, item 12): the member
(`PUT /v1/me/due-day`, the 返済予定 page) and staff (`PUT /v1/admin/members/{id}/due-day`)
leave the same audit row, the member as its actor, and follow one clock rule: the
ledger event is business time (which due date the change applies to is a question of
the business calendar, and it must sort among the member's advances and repayments,
which are business instants), while the audit row and `members.updated_at` are real
time (when it happened). The member's path was unaudited and stamped `updated_at` with
business time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from shunfuri.clock import SimulatedClock, set_clock
from shunfuri.db.models import AuditEntry, Member, MemberEvent
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from tests import factories
from tests.integration.member_helpers import bearer
from tests.integration.test_web_pages import CSRF, signed_in

# The business clock stands a year from the wall clock, so the two cannot be confused.
BUSINESS = datetime(2025, 11, 10, 10, tzinfo=JST)


@pytest.fixture()
def business():
    set_clock(SimulatedClock(start=BUSINESS, speed=0.0001))
    yield
    set_clock(None)


def due_day_rows(member_id: int) -> tuple[list[AuditEntry], list[MemberEvent], Member]:
    with session_factory()() as session:
        audits = list(session.scalars(
            select(AuditEntry).where(AuditEntry.member_id == member_id,
                                     AuditEntry.action == "set_due_day")
            .order_by(AuditEntry.id)))
        events = list(session.scalars(
            select(MemberEvent).where(MemberEvent.member_id == member_id,
                                      MemberEvent.kind == "due_day").order_by(MemberEvent.id)))
        return audits, events, session.get(Member, member_id)


def assert_one_clock_rule(member_id: int, since: datetime, actor: str) -> None:
    audits, events, member = due_day_rows(member_id)
    until = datetime.now(UTC)
    assert len(audits) == 1, "the change is audited, once"
    assert len(events) == 1
    [audit], [event] = audits, events
    assert (audit.actor, audit.ok) == (actor, True)
    assert audit.detail == {"due_day_before": 25, "due_day": 5}
    assert since <= audit.at <= until  # real time
    assert since <= member.updated_at <= until  # real time
    assert abs(event.at - BUSINESS) < timedelta(minutes=1)  # business time
    assert (event.value, event.actor, member.due_day) == (5, actor, 5)


def test_the_members_api_change_is_audited_with_the_member_as_actor(client, business):
    m = factories.member()
    since = datetime.now(UTC)
    changed = client.put("/v1/me/due-day", json={"due_day": 5},
                         headers=bearer(factories.token(m)))
    assert changed.status_code == 200 and changed.json()["due_day"] == 5
    assert_one_clock_rule(m, since, f"member:{m}")


def test_the_members_page_change_is_audited_with_the_member_as_actor(
        client, admin_headers, business):
    m = signed_in(client, admin_headers)["member_id"]
    token = CSRF.search(client.get("/dues").text).group(1)
    since = datetime.now(UTC)
    changed = client.post("/dues/due-day", data={"due_day": "5", "csrf_token": token},
                          follow_redirects=False)
    assert changed.status_code == 303
    assert_one_clock_rule(m, since, f"member:{m}")
    refused = client.post("/dues/due-day", data={"due_day": "10", "csrf_token": token})
    assert refused.status_code == 422
    audits, events, member = due_day_rows(m)
    assert [(a.ok, a.detail) for a in audits[1:]] == [(False, {"refused": "invalid_due_day"})]
    assert len(events) == 1 and member.due_day == 5  # nothing written by the refusal


def test_staff_change_follows_the_same_rule(client, admin_headers, business):
    m = factories.member()
    since = datetime.now(UTC)
    changed = client.put(f"/v1/admin/members/{m}/due-day", json={"due_day": 5},
                         headers=admin_headers)
    assert changed.status_code == 200 and changed.json()["due_day"] == 5
    assert_one_clock_rule(m, since, "admin-key")
