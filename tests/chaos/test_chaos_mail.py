"""Chaos around member mail: every mail the outbox holds reaches the SMTP server exactly
once, whatever happens to the server or the beat.

- `smtp_down_then_back`: members with confirmed addresses borrow under load (each
  settled transfer queues お振込み完了); the SMTP server is stopped for a while and
  started again on the same port.
- `two_beats_mail`: a second `celery beat` runs beside the first while transfers settle
  and the business clock crosses 08:00 JST on a reminder day: both beats queue and send
  mail (`mail.queue`, `mail.send`) at once.

Besides the transfer checks of every chaos scenario (tests/chaos/harness.py): the
outbox holds one row per settled transfer of these members (and one reminder each on
the reminder day), every row ends `sent`, and the server received each message once —
counted by `Message-ID`, which the outbox key decides.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import text

from shunfuri.mail.compose import message_id
from shunfuri.mail.sink import kept_mail
from tests.chaos.harness import Load
from tests.chaos.test_chaos import assert_clean, set_clock
from tests.e2e.conftest import new_member
from tests.system import ROOT, poll

pytestmark = pytest.mark.e2e

BORROW_DAY = "2026-12-03T10:00:00+09:00"  # Thursday: first due date 25 Dec
REMINDER_MORNING = "2026-12-22T07:59:57+09:00"  # 3 days before 25 Dec (the default)
DOMAIN = "shunfuri.localhost"  # of the default SHUNFURI_MAIL_FROM
INSTANT_BANKS = ("0009", "0033")


def confirm_address(system, smtp_sink, member: dict) -> None:  # type: ignore[no-untyped-def]
    address = f"member{member['member_id']}@example.jp"
    r = system.http.put("/v1/me/mail/address", json={"address": address},
                        headers=member["headers"])
    assert r.status_code == 202, r.text

    def link() -> str | None:
        for mail in kept_mail(smtp_sink.maildir):
            if mail.to == address and mail.kind == "address_confirmation":
                found = re.search(r"/mail/confirm\?t=([0-9a-f]+)", mail.text())
                return found.group(1) if found else None
        return None

    token = poll(link, timeout=60, interval=0.25, what=f"the confirmation mail to {address}")
    r = system.http.post("/v1/mail/confirm", json={"token": token})
    assert r.status_code == 200 and r.json() == {"address": address}, r.text
    member["address"] = address


def _new_member_retrying(system) -> dict:  # type: ignore[no-untyped-def]
    """`new_member`, retried as the API's 503 `database_unavailable` asks a client to: the
    scenarios before this module restart PostgreSQL and end its backends, and the first request
    on a pooled connection from before that is answered 503 (the pool then drops it)."""

    def attempt() -> dict | None:
        try:
            return new_member(system, credit_limit=5_000_000)
        except AssertionError as refused:
            if "database_unavailable" in str(refused):
                return None
            raise

    return poll(attempt, timeout=30, interval=0.5, what="a member created at the desk")


@pytest.fixture(scope="module")
def mail_members(system, smtp_sink) -> list[dict]:  # type: ignore[no-untyped-def]
    members = [_new_member_retrying(system) for _ in range(4)]
    for member in members:
        confirm_address(system, smtp_sink, member)
    return members


def outbox_rows(engine, members: list[dict]) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT kind, key, to_address, status, attempts FROM outgoing_mail "
            "WHERE member_id = ANY(:m) AND kind <> 'address_confirmation'"),
            {"m": [m["member_id"] for m in members]}))


def settled_ids(engine, members: list[dict]) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text(
            "SELECT id FROM transfers WHERE status = 'settled' AND member_id = ANY(:m)"),
            {"m": [m["member_id"] for m in members]})}


def check_mail(run, engine, smtp_sink, members: list[dict]) -> list:  # type: ignore[no-untyped-def]
    """Every settled transfer of `members` has its mail row, every row ends `sent`, and
    the server got each exactly once. Adds what is missing or repeated to the result."""
    def all_sent() -> bool:
        rows = outbox_rows(engine, members)
        return bool(rows) and all(r.status == "sent" for r in rows)

    poll(all_sent, timeout=120, interval=0.5, what="every queued mail to be sent")
    rows = outbox_rows(engine, members)
    queued = {r.key for r in rows if r.kind == "transfer_settled"}
    settled = settled_ids(engine, members)
    expected = {message_id(r.kind, r.key, r.to_address, DOMAIN) for r in rows}
    got = Counter(str(m.message["Message-ID"]) for m in kept_mail(smtp_sink.maildir)
                  if m.kind != "address_confirmation")
    missing = (expected - set(got)) | {f"unqueued {t}" for t in settled - queued}
    repeated = {k: n for k, n in got.items() if n > 1}
    run.result.lost += len(missing)
    run.result.doubled += sum(n - 1 for n in repeated.values())
    if missing or repeated:
        run.result.problems.append(f"mail missing {sorted(missing)[:5]} repeated {repeated}")
    run.stats["mails"] = len(rows)
    run.stats["smtp_attempts_failed"] = sum(r.attempts - 1 for r in rows)
    assert len(settled) > 0 and queued == settled, (len(settled), len(queued))
    return rows


def test_smtp_down_then_back(system, harness, profile, engine, smtp_sink, mail_members):
    set_clock(system, BORROW_DAY)
    load = Load(system, mail_members, rate=profile.rate, banks=INSTANT_BANKS)
    try:
        with harness.scenario("smtp_down_then_back", load=load) as (run, _load):
            time.sleep(profile.load_s)
            with run.window():
                smtp_sink.stop()
                # Mail keeps being queued; its sends fail and wait for their backoff.
                poll(lambda: _count(engine, mail_members, "last_error IS NOT NULL") > 0,
                     timeout=30, interval=0.25, what="a send to meet the stopped server")
                time.sleep(profile.bank_down_s)
                smtp_sink.start()
            time.sleep(profile.load_s)
    finally:
        smtp_sink.start()
    rows = check_mail(run, engine, smtp_sink, mail_members)
    print(f"[chaos] smtp_down_then_back mail: {run.stats['mails']} sent, "
          f"{run.stats['smtp_attempts_failed']} failed attempts retried", flush=True)
    assert run.stats["smtp_attempts_failed"] > 0, "no send met the stopped server"
    assert {r.status for r in rows} == {"sent"}
    assert_clean(run.result)


def _count(engine, members: list[dict], where: str) -> int:  # type: ignore[no-untyped-def]
    """Outbox rows of `members` matching `where`."""
    with engine.connect() as conn:
        return conn.execute(text(
            f"SELECT COUNT(*) FROM outgoing_mail WHERE member_id = ANY(:m) AND {where}"),
            {"m": [m["member_id"] for m in members]}).scalar()


def test_two_beats_mail_nothing_twice(system, harness, profile, engine, smtp_sink,
                                      mail_members):
    set_clock(system, BORROW_DAY)
    log_path = system.data_dir / "beat-mail-2.log"
    beat = None
    load = Load(system, mail_members, rate=profile.rate, banks=INSTANT_BANKS)
    try:
        with harness.scenario("two_beats_mail", load=load) as (run, _load):
            with open(log_path, "w") as log, run.window():
                beat = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "workers.app", "beat",
                     "-s", str(system.data_dir / "celerybeat-schedule-mail-2"),
                     "--loglevel", "INFO"],
                    env=system.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                time.sleep(profile.beat_load_s)  # transfers settle, mail goes out
                set_clock(system, REMINDER_MORNING)  # the load goes on across 08:00
                poll(lambda: _count(engine, mail_members, "kind = 'repayment_reminder'")
                     == len(mail_members),
                     timeout=60, interval=0.5, what="a reminder queued for each member")
                time.sleep(profile.beat_load_s)
                assert beat.poll() is None, "the second beat exited"
    finally:
        if beat is not None and beat.poll() is None:
            os.killpg(beat.pid, signal.SIGTERM)
            beat.wait(timeout=20)
        set_clock(system, BORROW_DAY)
    sends = log_path.read_text()
    assert "mail-queue" in sends and "mail-send" in sends, "the second beat sent no mail task"
    rows = check_mail(run, engine, smtp_sink, mail_members)
    reminders = [r for r in rows if r.kind == "repayment_reminder"]
    assert sorted(r.key for r in reminders) == ["2026-12-25"] * len(mail_members)
    assert_clean(run.result)


def _answered(response: httpx.Response) -> httpx.Response | None:
    return None if response.status_code == 503 else response


def test_mail_settings_answer_during_the_run(system, mail_members) -> None:
    """The members' settings as the API shows them (a sanity check of the fixture)."""
    with httpx.Client(base_url=system.url, timeout=10) as http:
        for member in mail_members:
            # A 503 database_unavailable is a pooled connection from before an earlier
            # scenario's PostgreSQL restart (the API pings none): retried, as it asks.
            answer = poll(lambda m=member: _answered(http.get("/v1/me/mail", headers=m["headers"])),
                          timeout=30, interval=0.5, what="GET /v1/me/mail answered")
            assert answer.status_code == 200, answer.text
            shown = answer.json()
            assert shown["address"] == member["address"] and shown["remind_days_before"] == 3
