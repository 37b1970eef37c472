"""The screener's services: an application rule 5 sent to manual review stays there until a
screener approves (never above what the rules allow) or declines (with a reason), audited
either way; the 審査 queue shows the bureau's answer and the rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shunfuri.clock import get_clock, wall_now
from shunfuri.db.models import AuditEntry
from shunfuri.db.session import session_factory
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import review, screening
from shunfuri.services.staff.audit import Actor
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import (
    application,
    bearer,
    context,
    form,
    new_phone,
)

# Fixtures (pytest finds them by these names).
at = helpers.at
bureau = helpers.bureau
bureau_process = helpers.bureau_process

SCREENER = Actor("staff:sato", source="127.0.0.1")


def in_review(client, bureau) -> dict:
    phone = new_phone()
    bureau.record(kana_name="やまだ はなこ", birth_date="1990-04-01", phone=phone,
                  other_balance=200_000, other_count=3)
    created = client.post("/v1/applications", json=form(phone=phone)).json()
    assert screening.screen(context(bureau), created["id"]) == "manual_review"
    for _ in range(2):  # redelivered: stays with the screener
        assert screening.screen(context(bureau), created["id"]) is None
    return {"id": created["id"], "headers": bearer(created["token"])}


def audit_rows(action: str) -> list[AuditEntry]:
    with session_factory()() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)))


def test_queue_shows_the_bureau_answer_the_rule_and_the_maximum(client, at, bureau):
    app = in_review(client, bureau)
    view = client.get(f"/v1/applications/{app['id']}", headers=app["headers"]).json()
    assert (view["status"], view["reason_code"]) == ("manual_review", "many_other_lenders")
    with session_factory()() as session:
        [item] = review.queue(session)
    assert item.row.id == app["id"] and item.rule == 5 and item.age == 36
    assert (item.bureau.other_count, item.bureau.other_balance) == (3, 200_000)
    # Room 1,333,333 - 200,000; no proof: min(500,000, 800,000); requested 300,000.
    assert item.figures.room == 1_133_333 and item.maximum.credit_limit == 300_000
    assert "ヤマダ" not in repr(item)


def test_approve_above_the_rules_is_refused_and_audited_then_approved(client, at, bureau):
    app = in_review(client, bureau)
    with session_factory()() as session:
        for limit in (310_000, 5_000, 105_000):
            with pytest.raises(ShunfuriError) as refused:
                review.approve(session, app["id"], credit_limit=limit, actor=SCREENER,
                               now=get_clock().now(), wall=wall_now())
            assert refused.value.code == "limit_not_allowed"
            assert refused.value.extra["maximum"] == 300_000
        view = review.approve(session, app["id"], credit_limit=200_000, actor=SCREENER,
                              now=get_clock().now(), wall=wall_now())
    assert view["status"] == "approved" and view["offer"] == {"credit_limit": 200_000,
                                                             "rate_bp": 1780}
    rows = audit_rows("screener_approve")
    assert [(r.ok, r.actor) for r in rows] == [(False, "staff:sato")] * 3 + [(True, "staff:sato")]
    assert rows[-1].detail == {"application_id": app["id"], "credit_limit": 200_000,
                               "rate_bp": 1780}
    with session_factory()() as session, pytest.raises(ShunfuriError) as again:
        review.decline(session, app["id"], reason="考え直した", actor=SCREENER,
                       now=get_clock().now(), wall=wall_now())
    assert again.value.code == "not_in_review"
    assert application(app["id"]).status == "approved"


def test_decline_needs_a_reason_and_keeps_it_in_the_audit(client, at, bureau):
    app = in_review(client, bureau)
    with session_factory()() as session:
        with pytest.raises(ShunfuriError) as empty:
            review.decline(session, app["id"], reason="  ", actor=SCREENER,
                           now=get_clock().now(), wall=wall_now())
        assert empty.value.code == "validation_error"
        view = review.decline(session, app["id"], reason="他社の返済状況を確認したため",
                              actor=SCREENER, now=get_clock().now(), wall=wall_now())
    assert (view["status"], view["reason_code"]) == ("declined", "screener_declined")
    [row] = audit_rows("screener_decline")
    assert (row.ok, row.reason, row.detail) == (True, "他社の返済状況を確認したため",
                                                {"application_id": app["id"]})
    applicant = client.get(f"/v1/applications/{app['id']}", headers=app["headers"]).json()
    assert "他社" not in applicant["detail_ja"]
