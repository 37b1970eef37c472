"""Business-clock mail against PostgreSQL: the 08:00 JST reminders, overdue notices and
repayments received — queued once per member, kind and key however often the beat runs,
with the amounts of `services.repayments.dues` (spec/repayment.md)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from shunfuri.db.models import MailRun, Member, MemberMail, OutgoingMail, Repayment
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import parse_instant
from shunfuri.gateway.fake import FakeBank
from shunfuri.services.mail import events as mail_events
from shunfuri.services.mail import outbox
from shunfuri.services.orders import pipeline
from tests import factories
from tests.integration.test_mail_outbox import confirmed_member
from tests.integration.test_settlement import Clocks, accept, make_ctx

WALL = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
ADVANCE_AT = parse_instant("2026-12-01T10:00:00+09:00")  # Tuesday, SMBC: instant


def borrower(amount: int = 30_000, **settings: bool | int) -> tuple[int, int]:
    """A member with a confirmed address and one settled advance (first due: 25 Dec)."""
    member = confirmed_member(**settings)
    payee = factories.payee(member, account_number="7654321")
    accept(member, payee, amount, ADVANCE_AT)
    outcome, _ = pipeline.drain(make_ctx(FakeBank(), Clocks(ADVANCE_AT)))
    assert outcome.settled == 1
    with session_factory().begin() as session:  # the settled mail is not what we test here
        session.execute(OutgoingMail.__table__.delete())
    return member, payee


def run(step, at: str) -> int | None:  # type: ignore[no-untyped-def]
    with session_factory().begin() as session:
        return step(session, now=parse_instant(at), wall=WALL)


def queued(kind: str) -> list[OutgoingMail]:
    with session_factory()() as session:
        return list(session.scalars(select(OutgoingMail).where(OutgoingMail.kind == kind)
                                    .order_by(OutgoingMail.id)))


def test_reminder_three_days_before_from_0800_once(db) -> None:
    member, _ = borrower()
    assert run(mail_events.reminders, "2026-12-21T09:00:00+09:00") == 0  # 4 days before
    assert run(mail_events.reminders, "2026-12-21T12:00:00+09:00") is None  # done today
    assert run(mail_events.reminders, "2026-12-22T07:59:59+09:00") is None  # before 08:00
    assert run(mail_events.reminders, "2026-12-22T08:00:00+09:00") == 1
    assert run(mail_events.reminders, "2026-12-22T08:00:05+09:00") is None
    assert run(mail_events.reminders, "2026-12-23T08:00:00+09:00") == 0  # same due date
    [row] = queued("repayment_reminder")
    assert (row.member_id, row.key, row.to_address) == (member, "2026-12-25", "hanako@example.jp")
    # 30,000 yen after the latest advance -> 4,000 a month; the first 30 days are free.
    assert row.payload == {"due_date": "2026-12-25", "minimum_due": 4_000, "payoff": 30_000,
                           "days_before": 3}
    with session_factory()() as session:
        assert session.get(MailRun, ("reminders", datetime(2026, 12, 23).date())) is not None


def test_reminder_on_the_day_itself_and_only_with_reminders_on(db) -> None:
    borrower(remind_days_before=0)
    borrower(remind=False)
    assert run(mail_events.reminders, "2026-12-24T08:00:00+09:00") == 0
    assert run(mail_events.reminders, "2026-12-25T08:00:00+09:00") == 1
    [row] = queued("repayment_reminder")
    assert row.payload["days_before"] == 0


def test_a_day_the_system_was_down_is_made_up_next_morning(db) -> None:
    borrower(remind_days_before=7)  # 18 Dec; nothing ran until the 20th
    assert run(mail_events.reminders, "2026-12-20T08:30:00+09:00") == 1
    assert queued("repayment_reminder")[0].payload["days_before"] == 5


def test_two_beats_queue_each_reminder_once(db) -> None:
    members = [borrower()[0] for _ in range(6)]
    barrier = threading.Barrier(2)
    results: list[int | None] = []

    def beat() -> None:
        barrier.wait()
        results.append(run(mail_events.reminders, "2026-12-22T08:00:01+09:00"))

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r or 0 for r in results) == 6
    assert sorted(r.member_id for r in queued("repayment_reminder")) == sorted(members)


def test_nothing_to_remind_once_the_minimum_is_paid(db) -> None:
    member, payee = borrower()
    settle_repayment(member, payee, 5_000, "2026-12-10T12:00:00+09:00", to_interest=0)
    assert run(mail_events.reminders, "2026-12-22T08:00:00+09:00") == 0


def settle_repayment(member: int, payee: int, amount: int, at: str, *, to_interest: int) -> str:
    """What the repayment settlement writes (the ledger replays it)."""
    repayment_id = str(uuid.uuid4())
    when = parse_instant(at)
    with session_factory().begin() as session:
        session.add(Repayment(
            id=repayment_id, member_id=member, payee_id=payee, amount=amount, status="settled",
            bank_code="0009", accepted_at=when, settled_at=when, to_interest=to_interest,
            to_principal=amount - to_interest, updated_at=WALL, attempts=1, sent_at=WALL))
        session.execute(update(Member).where(Member.id == member).values(
            outstanding=Member.outstanding - (amount - to_interest)))
    return repayment_id


def test_repayment_received_once_with_the_principal_after(db) -> None:
    member, payee = borrower()
    other, other_payee = borrower(notify_repayment_received=False)
    first = settle_repayment(member, payee, 10_000, "2026-12-10T12:00:00+09:00", to_interest=0)
    settle_repayment(other, other_payee, 1_000, "2026-12-10T12:00:00+09:00", to_interest=0)
    assert run(mail_events.repayments_received, "2026-12-10T12:00:01+09:00") == 1
    assert run(mail_events.repayments_received, "2026-12-10T12:00:02+09:00") == 0
    [row] = queued("repayment_received")
    assert (row.member_id, row.key) == (member, first)
    # Older than a day (the setting was off, say): news no more.
    settle_repayment(member, payee, 1_000, "2026-12-11T12:00:00+09:00", to_interest=0)
    with session_factory()() as session:
        assert mail_events.repayments_received(
            session, now=parse_instant("2026-12-11T12:00:01+09:00"),
            wall=WALL + mail_events.RECENT + timedelta(seconds=1)) == 0
    assert row.payload["principal_after"] == 20_000
    assert (row.payload["amount"], row.payload["to_principal"]) == (10_000, 10_000)
    assert row.payload["account_last4"] == "4321"


def test_overdue_notice_once_per_missed_due_date(db) -> None:
    member, _ = borrower()
    quiet, _ = borrower(notify_overdue=False)
    assert run(mail_events.overdue_notices, "2026-12-26T00:00:01+09:00") == 0  # not marked
    with session_factory().begin() as session:  # what the daily overdue job writes
        session.execute(update(Member).where(Member.id.in_([member, quiet]))
                        .values(overdue_since=datetime(2026, 12, 26).date()))
    assert run(mail_events.overdue_notices, "2026-12-26T00:00:05+09:00") == 1
    assert run(mail_events.overdue_notices, "2026-12-26T00:01:00+09:00") == 0
    [row] = queued("overdue_notice")
    assert (row.member_id, row.key) == (member, "2026-12-25")
    assert row.payload["missed_due_date"] == "2026-12-25"
    assert row.payload["amount_to_lift"] >= 4_000


def test_a_member_without_a_confirmed_address_gets_nothing(db) -> None:
    member, _ = borrower()
    with session_factory().begin() as session:
        session.execute(update(MemberMail).where(MemberMail.member_id == member)
                        .values(confirmed_at=None))
    assert run(mail_events.reminders, "2026-12-22T08:00:00+09:00") == 0
    assert outbox.backoff(1) < outbox.backoff(2) <= outbox.BACKOFF_MAX


def test_a_repayment_collected_through_the_bank_is_mailed_once(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Through the repayment path itself (accept, collect, settle) and the overdue job."""
    from shunfuri.mail.sink import kept_mail, running_sink
    from shunfuri.services.repayments import accept as repayments
    from shunfuri.services.repayments import overdue_marks
    from tests.integration.test_mail_outbox import Wall, mail_ctx

    member, payee = borrower()
    at = parse_instant("2026-12-26T10:00:00+09:00")  # 25 Dec was missed
    result = overdue_marks.mark_overdue(session_factory(), now=at)
    assert result.marked == 1
    assert run(mail_events.overdue_notices, "2026-12-26T10:00:01+09:00") == 1
    with session_factory()() as session:
        accepted = repayments.accept(session, member_id=member, payee_id=payee, amount=10_000,
                                     idempotency_key="r1", now=at, wall=WALL)
    outcome, _ = pipeline.drain_repayments(make_ctx(FakeBank(), Clocks(at)))
    assert outcome.settled == 1
    assert run(mail_events.repayments_received, "2026-12-26T10:00:05+09:00") == 1
    assert run(mail_events.repayments_received, "2026-12-26T10:00:06+09:00") == 0
    [received] = queued("repayment_received")
    assert received.key == accepted.repayment["id"]
    assert received.payload["to_interest"] + received.payload["to_principal"] == 10_000
    with session_factory()() as session:
        assert session.get(Member, member).overdue_since is None  # lifted by paying
    with running_sink(tmp_path / "mail") as sink:
        assert outbox.send_due(mail_ctx(sink.url, Wall())).sent == 2
    kinds = sorted(m.kind for m in kept_mail(tmp_path / "mail"))
    assert kinds == ["overdue_notice", "repayment_received"]
    texts = " ".join(m.text() for m in kept_mail(tmp_path / "mail"))
    assert "2026年12月25日（金）" in texts and "10,000円" in texts and "7654321" not in texts


def test_a_pass_cut_short_goes_on_from_its_cursor(db) -> None:
    members = [borrower()[0] for _ in range(5)]
    at = "2026-12-22T08:00:00+09:00"
    with session_factory().begin() as session:
        assert mail_events.reminders(session, now=parse_instant(at), wall=WALL, chunk=2) == 2
    with session_factory()() as session:
        run_row = session.get(MailRun, ("reminders", datetime(2026, 12, 22).date()))
        assert (run_row.cursor, run_row.done_at) == (members[1], None)
    # ...the worker is cut short here; the next beat goes on from member 3.
    counts = []
    while (n := run(lambda s, **kw: mail_events.reminders(s, chunk=2, **kw), at)) is not None:
        counts.append(n)
    assert counts == [2, 1]
    assert sorted(r.member_id for r in queued("repayment_reminder")) == members
