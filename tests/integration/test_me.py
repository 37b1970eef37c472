"""GET /v1/me: limit, outstanding, held and available credit for the token's member."""

from __future__ import annotations

from sqlalchemy import update

from tests.integration.member_helpers import bearer, create_member, token_for


def test_me_shows_credit(client, admin_headers):
    from shunfuri.db.models import Member
    from shunfuri.db.session import session_factory

    member = create_member(client, admin_headers, credit_limit=500_000)
    token = token_for(client, member["card_number"])
    with session_factory()() as session:
        session.execute(update(Member).where(Member.id == member["member_id"])
                        .values(outstanding=120_000, held=30_000))
        session.commit()
    response = client.get("/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "member_id": member["member_id"],
        "status": "active",
        "credit_limit": 500_000,
        "outstanding": 120_000,
        "held": 30_000,
        "available": 350_000,
        # Outstanding written straight to the row: no advance in the ledger, so nothing
        # accrues and nothing is due yet.
        "interest_due": 0,
        "payoff_today": 0,
        "next_due_date": None,
        "minimum_due": 0,
        "overdue": False,
    }


def test_me_needs_a_token(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_expired_token(client, admin_headers):
    from datetime import UTC, datetime, timedelta

    from api.deps import get_wall

    member = create_member(client, admin_headers)
    token = token_for(client, member["card_number"])
    # Token lifetimes run on real (wall) time; jump it past the 900 s TTL.
    client.app.dependency_overrides[get_wall] = lambda: datetime.now(UTC) + timedelta(seconds=901)
    try:
        response = client.get("/v1/me", headers=bearer(token))
    finally:
        client.app.dependency_overrides.clear()
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
