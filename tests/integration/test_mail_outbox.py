"""The outbox against PostgreSQL and a real SMTP server (aiosmtpd, in process): address
confirmation, settings, the transfer-settled mail queued where the transfer settles,
each mail sent once — with the server down, with two senders, after a crash."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, text

from shunfuri.db.models import MemberMail, OutgoingMail
from shunfuri.db.session import session_factory
from shunfuri.gateway.fake import FakeBank
from shunfuri.mail.sink import kept_mail, running_sink
from shunfuri.mail.smtp import SmtpSender
from shunfuri.services.mail import outbox
from shunfuri.services.orders import pipeline
from shunfuri.settings import get_settings
from tests import factories
from tests.integration.test_settlement import TUESDAY_10, Clocks, accept, make_ctx

WALL = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
CARD_LIKE = "4000"  # factories' card numbers start with it; never 16 digits in a mail


class Wall:
    def __init__(self) -> None:
        self.at = WALL

    def __call__(self) -> datetime:
        return self.at


def mail_ctx(url: str, wall: Wall) -> outbox.MailContext:
    settings = get_settings()
    return outbox.MailContext(
        sessions=session_factory(), sender=SmtpSender.from_url(url), now=lambda: TUESDAY_10,
        wall=wall, mail_from="瞬フリ <no-reply@shunfuri.example>",
        public_url="https://shunfuri.example", pepper=settings.pin_pepper.get_secret_value())


def rows() -> list[OutgoingMail]:
    with session_factory()() as session:
        return list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def confirmed_member(address: str = "hanako@example.jp", **settings: bool | int) -> int:
    member = factories.member()
    with session_factory().begin() as session:
        values = dict(remind=True, remind_days_before=3, notify_transfer_settled=True,
                      notify_repayment_received=True, notify_overdue=True)
        session.add(MemberMail(member_id=member, address=address, confirmed_at=WALL,
                               updated_at=WALL, **{**values, **settings}))
    return member


def queue(member: int, n: int, wall: datetime = WALL) -> None:
    from shunfuri.mail.compose import OverdueNotice

    with session_factory().begin() as session:
        for i in range(n):
            outbox.enqueue(session, member_id=member, to="hanako@example.jp", key=f"k{i}",
                           content=OverdueNotice(datetime(2026, 11, 25).date(), 4_000 + i),
                           wall=wall)


def bearer(member: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.token(member)}"}


def test_address_confirmed_through_the_mailed_link(client, tmp_path: Path) -> None:
    member = factories.member()
    headers = bearer(member)
    assert client.get("/v1/me/mail", headers=headers).json() == {
        "address": None, "pending_address": None, "pending_expires_at": None, "remind": True,
        "remind_days_before": 3, "notify_transfer_settled": True,
        "notify_repayment_received": True, "notify_overdue": True}
    bad = client.put("/v1/me/mail/address", json={"address": "hanako@"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    response = client.put("/v1/me/mail/address", json={"address": "Hanako@Example.JP"},
                          headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["pending_address"] == "Hanako@example.jp"
    assert response.json()["address"] is None

    with running_sink(tmp_path / "mail") as sink:
        wall = Wall()
        wall.at = datetime.now(UTC)
        assert outbox.send_due(mail_ctx(sink.url, wall)).sent == 1
    [mail] = kept_mail(tmp_path / "mail")
    assert mail.kind == "address_confirmation" and mail.to == "Hanako@example.jp"
    link = next(w for w in mail.text().split() if w.startswith("https://shunfuri.example/mail/"))
    token = parse_qs(urlsplit(link).query)["t"][0]
    # The database never holds the token itself.
    with session_factory()() as session:
        dump = " ".join(str(r) for r in session.execute(text(
            "SELECT m::text FROM member_mail m UNION ALL SELECT o::text FROM outgoing_mail o")))
    assert token not in dump

    assert client.post("/v1/mail/confirm", json={"token": "0" * 64}).status_code == 404
    confirmed = client.post("/v1/mail/confirm", json={"token": token})
    assert confirmed.status_code == 200 and confirmed.json() == {"address": "Hanako@example.jp"}
    again = client.post("/v1/mail/confirm", json={"token": token})
    assert again.status_code == 404 and again.json()["code"] == "mail_link_invalid"
    assert "24時間" in again.json()["detail_ja"]
    shown = client.get("/v1/me/mail", headers=headers).json()
    assert (shown["address"], shown["pending_address"]) == ("Hanako@example.jp", None)


def test_a_link_expires_after_24_hours(db) -> None:
    from shunfuri.errors import ShunfuriError
    from shunfuri.services.mail import settings as mail_settings

    member = factories.member()
    pepper = get_settings().pin_pepper.get_secret_value()
    with session_factory()() as session:
        mail_settings.register_address(session, member_id=member, address="a@example.jp",
                                       wall=WALL, pepper=pepper)
    [row] = rows()
    token = outbox.confirmation_token(pepper, row.payload["nonce"])
    with session_factory()() as session, pytest.raises(ShunfuriError) as caught:
        mail_settings.confirm(session, token=token, wall=WALL + timedelta(hours=24))
    assert caught.value.code == "mail_link_invalid"
    with session_factory()() as session:
        assert mail_settings.confirm(session, token=token,
                                     wall=WALL + timedelta(hours=23)) == "a@example.jp"


def test_settings_change_and_refuse_other_days(client) -> None:
    headers = bearer(factories.member())
    changed = client.put("/v1/me/mail", json={"remind_days_before": 7, "notify_overdue": False},
                         headers=headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["remind_days_before"], changed.json()["notify_overdue"]) == (7, False)
    assert changed.json()["remind"] is True
    for bad in ({"remind_days_before": 2}, {"remind_days_before": False}, {"remind": "yes"},
                {"colour": "red"}):
        response = client.put("/v1/me/mail", json=bad, headers=headers)
        assert response.status_code == 422 and response.json()["code"] == "validation_error"
    assert client.get("/v1/me/mail", headers=headers).json()["remind_days_before"] == 7
    assert client.get("/v1/me/mail").status_code == 401


def test_transfer_settled_mail_queued_once_where_it_settles(db, tmp_path: Path) -> None:
    member = confirmed_member()
    off = confirmed_member("off@example.jp", notify_transfer_settled=False)
    unconfirmed = factories.member()
    transfer_ids = []
    for m in (member, off, unconfirmed):
        payee = factories.payee(m, account_number="7654321")
        transfer_ids.append(accept(m, payee, 30_000, TUESDAY_10).transfer["id"])
    bank = FakeBank()
    outcome, _ = pipeline.drain(make_ctx(bank, Clocks(TUESDAY_10)))
    assert outcome.settled == 3
    [queued] = rows()
    assert (queued.member_id, queued.kind, queued.key) == (member, "transfer_settled",
                                                            transfer_ids[0])
    # A second settlement of the same transfer queues nothing more.
    with session_factory().begin() as session:
        from shunfuri.db.models import Transfer
        from shunfuri.services.mail import events as mail_events

        t = session.get(Transfer, transfer_ids[0])
        assert mail_events.transfers_settled(session, [t], wall=WALL) == 0
    with running_sink(tmp_path / "mail") as sink:
        assert outbox.send_due(mail_ctx(sink.url, Wall())).sent == 1
        assert outbox.send_due(mail_ctx(sink.url, Wall())).sent == 0
    [mail] = kept_mail(tmp_path / "mail")
    raw = (tmp_path / "mail" / "new").iterdir().__next__().read_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    body = parsed.get_body(("plain",)).get_content() + parsed.get_body(("html",)).get_content()
    assert "30,000円" in body and "末尾4321" in body and transfer_ids[0] in body
    assert "7654321" not in body and b"7654321" not in raw
    assert "2026年12月1日（火） 10:00" in body


def test_smtp_down_then_back_sends_each_once(db, tmp_path: Path) -> None:
    member = confirmed_member()
    queue(member, 5)
    with running_sink(tmp_path / "mail") as sink:
        url, port = sink.url, sink.controller.port
    wall = Wall()
    down = outbox.send_due(mail_ctx(url, wall))
    # The first refusal ends the pass: one attempt counted, the rest handed back untried.
    assert (down.sent, down.retrying, down.released) == (0, 1, 4)
    tried = [r for r in rows() if r.attempts]
    assert len(tried) == 1 and tried[0].status == "queued" and "ConnectionRefused" in (
        tried[0].last_error or "")
    assert tried[0].next_attempt_at == WALL + outbox.backoff(1)
    with running_sink(tmp_path / "mail", port=port):
        first = outbox.send_due(mail_ctx(url, wall))
        assert first.sent == 4  # the failed one waits for its backoff
        wall.at = WALL + outbox.backoff(1)
        assert outbox.send_due(mail_ctx(url, wall)).sent == 1
        assert outbox.send_due(mail_ctx(url, wall)).sent == 0
    kept = kept_mail(tmp_path / "mail")
    assert len(kept) == 5 and len({m.message["Message-ID"] for m in kept}) == 5
    assert {r.status for r in rows()} == {"sent"}


def test_two_senders_share_the_outbox_never_sending_twice(db, tmp_path: Path) -> None:
    queue(confirmed_member(), 40)
    with running_sink(tmp_path / "mail") as sink:
        results: list[outbox.SendOutcome] = []
        start = threading.Barrier(2)

        def run() -> None:
            start.wait()
            ctx = mail_ctx(sink.url, Wall())
            total = outbox.SendOutcome()
            while (done := outbox.send_due(ctx, limit=5)).sent:
                total.sent += done.sent
            results.append(total)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sum(r.sent for r in results) == 40
    ids = [m.message["Message-ID"] for m in kept_mail(tmp_path / "mail")]
    assert len(ids) == len(set(ids)) == 40


def test_a_claim_whose_sender_died_is_sent_after_its_lease(db, tmp_path: Path) -> None:
    queue(confirmed_member(), 1)
    with session_factory().begin() as session:
        [claimed] = outbox.claim(session, wall=WALL, limit=10)  # ...and the worker dies
    with running_sink(tmp_path / "mail") as sink:
        wall = Wall()
        wall.at = WALL + outbox.LEASE - timedelta(seconds=1)
        assert outbox.send_due(mail_ctx(sink.url, wall)).sent == 0  # still leased
        wall.at = WALL + outbox.LEASE
        assert outbox.send_due(mail_ctx(sink.url, wall)).sent == 1
        # The dead worker's late record changes nothing.
        with session_factory().begin() as session:
            outbox.mark_failed_attempt(session, claimed, "late", wall=wall.at, permanent=False)
    [row] = rows()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(kept_mail(tmp_path / "mail")) == 1


def test_a_refused_recipient_is_not_retried(db) -> None:
    from aiosmtpd.handlers import Sink as Discard

    from shunfuri.mail.sink import start_server

    class Refusing(Discard):
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return "550 5.1.1 No such user"

    queue(confirmed_member(), 2)
    controller = start_server(Refusing())
    try:
        done = outbox.send_due(mail_ctx(f"smtp://127.0.0.1:{controller.port}", Wall()))
    finally:
        controller.stop()
    assert (done.sent, done.failed) == (0, 2)
    assert {(r.status, r.attempts) for r in rows()} == {("failed", 1)}


def test_a_mail_that_would_carry_a_card_number_is_never_sent(db, tmp_path: Path) -> None:
    member = confirmed_member()
    with session_factory()() as session:
        card = session.execute(text("SELECT card_number FROM members WHERE id = :m"),
                               {"m": member}).scalar()
    with session_factory().begin() as session:  # a payload gone wrong upstream
        outbox.enqueue(session, member_id=member, to="hanako@example.jp", key="t-1",
                       kind="transfer_settled", wall=WALL, payload={
                           "transfer_id": "t-1", "amount": 1_000,
                           "settled_at": "2026-12-01T10:00:00+09:00",
                           "bank_name": f"カード{card}", "account_last4": "4321"})
    with running_sink(tmp_path / "mail") as sink:
        done = outbox.send_due(mail_ctx(sink.url, Wall()))
    assert (done.sent, done.failed) == (0, 1)
    [row] = rows()
    assert row.status == "failed" and row.last_error.startswith("not composed: UnsafeMail")
    assert card not in (row.last_error or "")
    assert kept_mail(tmp_path / "mail") == []


def test_at_most_five_confirmation_mails_a_day(client) -> None:
    headers = bearer(factories.member())
    for n in range(5):
        r = client.put("/v1/me/mail/address", json={"address": f"a{n}@example.jp"},
                       headers=headers)
        assert r.status_code == 202, r.text
    r = client.put("/v1/me/mail/address", json={"address": "a5@example.jp"}, headers=headers)
    assert r.status_code == 429 and r.json()["code"] == "too_many_requests"
    assert 0 < int(r.headers["retry-after"]) <= 86_400
    assert "1日5回まで" in r.json()["detail_ja"]
    assert client.get("/v1/me/mail", headers=headers).json()["pending_address"] == "a4@example.jp"
    assert len([r for r in rows() if r.kind == "address_confirmation"]) == 5


def test_first_settings_requests_at_once_never_fail(db) -> None:
    from shunfuri.services.mail import settings as mail_settings

    member = factories.member()
    barrier, errors = threading.Barrier(4), []

    def change(days: int) -> None:
        barrier.wait()
        try:
            with session_factory()() as session:
                mail_settings.update_settings(session, member_id=member, wall=WALL,
                                              remind_days_before=days)
        except Exception as exc:  # noqa: BLE001 - any error is the failure we look for
            errors.append(exc)

    threads = [threading.Thread(target=change, args=(d,)) for d in (0, 1, 3, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with session_factory()() as session:
        assert session.get(MemberMail, member).remind_days_before in (0, 1, 3, 7)


def test_sends_are_counted_in_metrics(db, tmp_path: Path) -> None:
    from shunfuri import metrics

    def count(outcome: str) -> float:
        return metrics.MAIL.labels(kind="overdue_notice", outcome=outcome)._value.get()

    before = count("sent"), count("retrying")
    queue(confirmed_member(), 2)
    with running_sink(tmp_path / "mail") as sink:
        url = sink.url
        assert outbox.send_due(mail_ctx(url, Wall())).sent == 2
    queue(confirmed_member("b@example.jp"), 1)
    outbox.send_due(mail_ctx(url, Wall()))  # the server is gone now
    assert (count("sent") - before[0], count("retrying") - before[1]) == (2, 1)
