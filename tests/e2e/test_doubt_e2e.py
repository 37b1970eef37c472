"""Money in doubt, with real processes (`shunfuri up`, simulated clock, bank simulator):

1. the issue's reproduction: Sunday 20:59:52, an SMBC transfer, the bank pays but every
   answer is lost; maintenance starts at 21:00. The transfer stays `processing` (never
   `scheduled`), the member's cancel is refused and says why, and once the bank answers
   again at Monday 07:00 it is `settled`, outstanding 10,000, reconcile clean;
2. the retry budget: a transfer the bank never confirms goes to `needs_attention`,
   shows on /metrics and in `shunfuri doubts`, and staff settle it through the bank.

Waits are polls with deadlines, never sleeps."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import ADMIN, new_member
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e


def set_clock(system, spec: str) -> None:
    result = system.cli("clock", spec, "--data-dir", str(system.data_dir))
    assert result.returncode == 0, result.stderr


def transfer(system, member, transfer_id: str) -> dict:
    r = system.http.get(f"/v1/transfers/{transfer_id}", headers=member["headers"])
    assert r.status_code == 200, r.text
    return r.json()


def reconcile(system) -> dict:
    done = system.cli("reconcile", "--json", "--data-dir", str(system.data_dir))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == (0 if report["clean"] else 1), done.stdout + done.stderr
    return report


def doubts(system) -> tuple[int, list[dict]]:
    done = system.cli("doubts", "--json", "--data-dir", str(system.data_dir))
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines() if line]


def test_an_answer_lost_across_smbc_maintenance_is_never_cancelled_and_settles():
    with running_system(clock="2026-11-29T20:59:40+09:00") as system:
        set_clock(system, "2026-11-29T20:59:52+09:00")  # Sunday, 8 s before maintenance
        system.bank(lose_response_rate=1.0)  # the bank pays; the answer is lost
        member = new_member(system, credit_limit=500_000)
        r = system.http.post("/v1/transfers", headers=member["headers"],
                             json={"payee_id": member["payees"]["0009"], "amount": 10_000})
        assert r.status_code == 202, r.text
        assert r.json()["decision"] == "instant"
        transfer_id = r.json()["id"]

        def held_for_maintenance() -> dict | None:
            got = transfer(system, member, transfer_id)
            # Never `scheduled` (cancellable), never final while the bank has not answered.
            assert got["status"] in ("accepted", "processing"), got
            return got if "maintenance" in (got["note"] or "") else None

        held = poll(held_for_maintenance, timeout=60, interval=0.5,
                    what="the transfer to be held in doubt over maintenance")
        assert "2026-11-30T07:00:00+09:00" in held["note"]
        cancel = system.http.post(f"/v1/transfers/{transfer_id}/cancel",
                                  headers=member["headers"])
        body = cancel.json()
        assert (cancel.status_code, body["code"], body["in_doubt"]) == (
            409, "not_cancellable", True)
        assert "銀行に結果を確認しています" in body["detail_ja"]
        assert "処理中（processing）" in body["detail_ja"]
        me = system.http.get("/v1/me", headers=member["headers"]).json()
        assert (me["outstanding"], me["held"], me["available"]) == (0, 10_000, 490_000)
        code, listed = doubts(system)
        assert code == 0 and [(d["id"], d["status"]) for d in listed] == [
            (transfer_id, "processing")]
        report = reconcile(system)  # paid by the bank, in doubt here: in flight, not lost
        assert (report["bank_paid"], report["in_flight"], report["missing"]) == (1, 1, 0)

        system.bank(lose_response_rate=0.0)  # the bank answers again
        set_clock(system, "2026-11-30T07:00:00+09:00")  # SMBC reopens
        settled = poll(lambda: (t := transfer(system, member, transfer_id))["status"]
                       == "settled" and t, timeout=90, interval=0.5,
                       what="the transfer to settle once the bank is asked")
        assert settled["settled_at"] and settled["note"] is None
        me = system.http.get("/v1/me", headers=member["headers"]).json()
        assert (me["outstanding"], me["held"]) == (10_000, 0)
        report = reconcile(system)
        assert (report["ledger"], report["bank_paid"], report["missing"], report["doubled"],
                report["in_flight"]) == (1, 1, 0, 0, 0)
        assert doubts(system) == (0, [])


def test_a_transfer_never_confirmed_goes_to_staff_who_settle_it_through_the_bank():
    with running_system(clock="2026-12-01T10:00:00+09:00",
                        SHUNFURI_DOUBT_MAX_ATTEMPTS="3") as system:
        system.bank(lose_response_rate=1.0)
        member = new_member(system)
        r = system.http.post("/v1/transfers", headers=member["headers"],
                             json={"payee_id": member["payees"]["0033"], "amount": 20_000})
        assert r.status_code == 202, r.text
        transfer_id = r.json()["id"]
        poll(lambda: transfer(system, member, transfer_id)["status"] == "needs_attention",
             timeout=60, interval=0.5, what="the retry budget to be spent")
        metrics = system.http.get("/metrics").text
        assert "shunfuri_transfers_needs_attention 1.0" in metrics
        code, listed = doubts(system)
        assert code == 1  # something needs attention
        assert [(d["id"], d["status"], d["attempts"]) for d in listed] == [
            (transfer_id, "needs_attention", 3)]
        assert listed[0]["last_error"] and listed[0]["age_seconds"] >= 0
        table = system.cli("doubts", "--data-dir", str(system.data_dir))
        assert transfer_id in table.stdout and "needs_attention" in table.stdout
        me = system.http.get("/v1/me", headers=member["headers"]).json()
        assert me["held"] == 20_000  # kept: never released automatically
        path = f"/v1/admin/transfers/{transfer_id}/inquire"
        refused = system.http.post(path, headers=ADMIN)
        assert (refused.status_code, refused.json()["code"]) == (503, "bank_unavailable")
        system.bank(lose_response_rate=0.0)
        resolved = system.http.post(path, headers={**ADMIN, "X-Staff-Id": "desk-7"})
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["bank"]["answer"] == "paid"
        assert resolved.json()["transfer"]["status"] == "settled"
        me = system.http.get("/v1/me", headers=member["headers"]).json()
        assert (me["outstanding"], me["held"]) == (20_000, 0)
        assert doubts(system) == (0, [])
        assert reconcile(system)["clean"]
