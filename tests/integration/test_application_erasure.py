"""The 180-day erasure (spec application.md, "Personal data"): a declined or expired
application's personal fields are emptied from `erasable_from(ended_at)` on - the 180
days counted as the Civil Code counts them, the end day not counted - keeping the
decision and its reason code; nothing else is touched; two beats at once erase once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from shunfuri.clock import get_clock, wall_now
from shunfuri.db.applications import APPLICATION_PERSONAL_FIELDS
from shunfuri.db.session import session_factory
from shunfuri.domain.application_states import erasable_from
from shunfuri.domain.instants import JST
from shunfuri.services.applications import erasure, screening, sweep
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import application, bearer, context, form

at = helpers.at
bureau = helpers.bureau
bureau_process = helpers.bureau_process

DECLINED_AT = helpers.TUESDAY  # 1 Dec 2026 10:00 JST
LAST_KEPT = datetime(2027, 5, 30, 23, 59, 59, 999999, tzinfo=JST)  # the 180th day counted
FIRST_ERASED = datetime(2027, 5, 31, 0, 0, tzinfo=JST)


def declined(client, bureau) -> dict:
    created = client.post("/v1/applications", json=form(
        employment="unemployed", employer_name=None, employer_phone=None)).json()
    assert screening.screen(context(bureau), created["id"]) == "declined"
    return created


def erase_at(now: datetime) -> int:
    return erasure.erase(session_factory(), now=now, wall=wall_now())


def test_kept_through_the_180th_day_and_erased_from_the_next_keeping_the_decision(
        client, at, bureau):
    created = declined(client, bureau)
    ended = application(created["id"]).ended_at
    assert erasable_from(ended) == FIRST_ERASED
    for kept in (DECLINED_AT + timedelta(days=179), DECLINED_AT + timedelta(days=180),
                 LAST_KEPT):
        assert erase_at(kept) == 0, kept
        assert application(created["id"]).name_kanji == "山田 花子"
    assert erase_at(FIRST_ERASED) == 1
    row = application(created["id"])
    assert all(getattr(row, name) is None for name in APPLICATION_PERSONAL_FIELDS)
    assert (row.token_nonce, row.request_hash) == (None, None)
    assert (row.status, row.reason_code, row.erased_at) == (
        "declined", "employment_not_eligible", FIRST_ERASED)
    assert erase_at(FIRST_ERASED + timedelta(days=30)) == 0  # once
    view = client.get(f"/v1/applications/{created['id']}", headers=bearer(created["token"]))
    assert (view.json()["status"], view.json()["reason_code"]) == (
        "declined", "employment_not_eligible")


def test_an_expired_offer_is_erased_and_live_or_contracted_ones_never(client, at, bureau):
    offered = client.post("/v1/applications", json=form()).json()
    assert screening.screen(context(bureau), offered["id"]) == "approved"
    phone = helpers.new_phone()
    bureau.record(kana_name="ヤマダ ハナコ", birth_date="1990-04-01", phone=phone, other_count=3)
    waiting = client.post("/v1/applications", json=form(phone=phone)).json()
    assert screening.screen(context(bureau), waiting["id"]) == "manual_review"
    contracted = client.post("/v1/applications", json=form()).json()
    assert screening.screen(context(bureau), contracted["id"]) == "approved"
    made = client.post(f"/v1/applications/{contracted['id']}/contract",
                       headers=bearer(contracted["token"]),
                       json={"agree": True, "pin": "2580", "due_day": 25})
    assert made.status_code == 201, made.text
    expired_on = datetime(2026, 12, 16, 0, 0, 1, tzinfo=JST)
    at(expired_on)
    assert sweep.expire(session_factory(), now=get_clock().now(), wall=wall_now()) == 1
    assert application(offered["id"]).status == "expired"
    far = erasable_from(application(offered["id"]).ended_at)
    assert erase_at(far - timedelta(microseconds=1)) == 0
    assert erase_at(far + timedelta(days=400)) == 1
    assert application(offered["id"]).name_kana is None
    for alive in (waiting, contracted):
        assert application(alive["id"]).name_kana == "ヤマダ ハナコ"


def test_two_beats_erasing_at_once_erase_each_application_once(client, at, bureau):
    ids = [declined(client, bureau)["id"] for _ in range(5)]
    counts: list[int] = []
    beats = [threading.Thread(target=lambda: counts.append(erase_at(FIRST_ERASED)))
             for _ in range(2)]
    for beat in beats:
        beat.start()
    for beat in beats:
        beat.join(timeout=30)
    assert len(counts) == 2 and sum(counts) == 5
    assert all(application(i).erased_at == FIRST_ERASED for i in ids)
