"""One acceptance rule set (`domain.acceptance`), every way through it: the API's
`submit` (the one-statement insert, falling back to the full path when it misses),
`accept_with_token` (the full path alone), and the member pages' review and confirm
(`services.transfers.confirm`) must give the same answer to the same inputs, refusals
included (code, status and every detail).

Each example builds identical worlds (member, payees, token, a transfer made earlier
with an Idempotency-Key), one per path, sends the same request through each, and
compares the answers with the ids of each world mapped to their roles. The pages are
asked only what a signed-in member can ask them (a live session of an active member;
the review makes no transfer, so it is compared for requests without an earlier key).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from shunfuri import catalogue
from shunfuri.db.models import AuthSession, Member, Transfer
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import iso_jst, parse_instant
from shunfuri.domain.own_name import member_kana
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import tokens
from shunfuri.services.transfers import accept as transfers
from shunfuri.services.transfers import confirm
from tests import factories
from tests.examples import examples

WALL = factories.WALL + timedelta(days=1)
INSTANTS = {
    "open": "2026-12-01T10:00:00+09:00",  # Tuesday: every bank open
    "monday_closed": "2026-11-30T06:30:00+09:00",
    "new_year": "2027-01-01T12:00:00+09:00",
    "smbc_maintenance": "2026-11-29T21:30:00+09:00",  # 0009 scheduled, 0005 scheduled
    "after_1450": "2026-12-01T15:00:00+09:00",  # 0005 scheduled for tomorrow 09:30
}
PRIOR = {"payee": "own_0009", "amount": 2000}


@dataclass(frozen=True)
class Case:
    status: str
    token: str
    instant: str
    payee: str
    amount: int
    outstanding: int
    key: str
    name: str = "unknown"
    stopped: bool = False  # the ongoing review stopped new advances
    overdue_mark: bool = False  # marked overdue by the daily job; the ledger owes nothing


CASES = st.builds(
    Case,
    status=st.sampled_from(["active", "active", "suspended", "locked"]),
    token=st.sampled_from(["live", "live", "revoked", "expired", "unknown"]),
    instant=st.sampled_from(list(INSTANTS)),
    payee=st.sampled_from(["own_0009", "own_0005", "own_other_holder", "foreign", "unknown"]),
    amount=st.sampled_from([1000, 2000, 10_000, 50_000, 1500, 0, -1000, 60_000]),
    outstanding=st.sampled_from([0, 45_000]),
    key=st.sampled_from(["none", "fresh", "replay_same", "replay_other"]),
    name=st.sampled_from(["unknown", "own", "own", "other"]),
    stopped=st.sampled_from([False, False, False, True]),
    overdue_mark=st.sampled_from([False, False, False, True]),
)
# The member's kana name as the desk recorded it: unknown, the name on the payees as
# typed another way (spaces, hiragana), or someone else's (the payees are not theirs).
NAMES = {"unknown": None, "own": "やまだたろう", "other": "スズキ ハナコ"}


@dataclass
class World:
    member: int
    token: str
    payees: dict[str, int]
    prior: str | None


def build(case: Case) -> World:
    member = factories.member(credit_limit=50_000)
    other = factories.member()
    payees = {"own_0009": factories.payee(member, bank_code="0009"),
              "own_0005": factories.payee(member, bank_code="0005"),
              "own_other_holder": factories.payee(member, holder_name="ｽｽﾞｷ ﾊﾅｺ"),
              "foreign": factories.payee(other, bank_code="0009"),
              "unknown": 10**12 + member}
    prior = None
    if case.key.startswith("replay"):
        with session_factory()() as session:
            made = transfers.accept(
                session, member=session.get(Member, member), payee_id=payees[PRIOR["payee"]],
                amount=PRIOR["amount"], idempotency_key="k", now=parse_instant(INSTANTS["open"]),
                wall=WALL,
            )
        prior = made.transfer["id"]
    kept, key = member_kana(NAMES[case.name]) if NAMES[case.name] else (None, None)
    with session_factory().begin() as session:  # the name recorded after the prior transfer
        session.execute(update(Member).where(Member.id == member)
                        .values(status=case.status, outstanding=case.outstanding,
                                name_kana=kept, name_key=key,
                                credit_review_since=WALL if case.stopped else None,
                                credit_review_reasons="over_total_volume" if case.stopped
                                else None,
                                overdue_since=WALL.date() if case.overdue_mark else None))
        issued_at = WALL - timedelta(hours=2) if case.token == "expired" else WALL
        token = tokens.issue(session, member_id=member, now=issued_at, ttl_seconds=3600)
    if case.token == "revoked":
        with session_factory().begin() as session:
            session.execute(update(AuthSession).where(AuthSession.member_id == member)
                            .values(revoked_at=WALL))
    if case.token == "unknown":
        token = uuid.uuid4().hex
    return World(member, token, payees, prior)


def request(case: Case, world: World) -> dict:
    payee, amount = case.payee, case.amount
    if case.key == "replay_same":
        payee, amount = PRIOR["payee"], PRIOR["amount"]
    return dict(
        token=world.token, payee_id=world.payees[payee], amount=amount,
        idempotency_key={"none": None, "fresh": f"f-{uuid.uuid4().hex}"}.get(case.key, "k"),
        now=parse_instant(INSTANTS[case.instant]), wall=WALL,
    )


def answer(path, case: Case, world: World) -> tuple:  # type: ignore[no-untyped-def]
    """The path's answer with this world's ids replaced by their roles."""
    with session_factory()() as session:
        try:
            result = path(session, **request(case, world))
        except ShunfuriError as exc:
            got: tuple = ("refused", exc.code, catalogue.status(exc), sorted(exc.extra.items()))
        else:
            view = dict(result.transfer)
            role = {v: k for k, v in world.payees.items()}[view.pop("payee_id")]
            transfer_id = view.pop("id")
            same = "prior" if transfer_id == world.prior else "new"
            got = ("accepted", result.created, same, role, sorted(view.items()))
    with session_factory()() as session:
        stored = session.scalar(select(func.count()).select_from(Transfer)
                                .where(Transfer.member_id == world.member))
    return got, stored


def _signed_in(session, world: World):  # type: ignore[no-untyped-def]
    return session.get(Member, world.member)


def page_confirm(world: World):  # type: ignore[no-untyped-def]
    """The pages' confirm, with what the review showed (as the form carries it)."""
    def path(session, *, token, payee_id, amount, idempotency_key, now, wall):  # type: ignore[no-untyped-def]
        member = _signed_in(session, world)
        try:
            shown = confirm.review(session, member=member, payee_id=payee_id, amount=amount,
                                   now=now).fingerprint
        except ShunfuriError:
            shown = "instant"  # a form posted again after a refusal: confirm refuses too
        session.rollback()
        done = confirm.confirm(session, member=member, payee_id=payee_id, amount=amount,
                               key=idempotency_key or f"web-{uuid.uuid4().hex}", shown=shown,
                               now=now, wall=wall)
        assert isinstance(done, confirm.Confirmed), "the decision moved at a fixed instant"
        return done
    return path


def review_answer(case: Case, world: World) -> tuple:
    """The pages' review as the accepting paths would answer: accepted (new, with the
    decision and settle_at the review shows) or the same refusal."""
    req = request(case, world)
    with session_factory()() as session:
        try:
            seen = confirm.review(session, member=_signed_in(session, world),
                                  payee_id=req["payee_id"], amount=req["amount"],
                                  now=req["now"])
        except ShunfuriError as exc:
            return ("refused", exc.code, catalogue.status(exc), sorted(exc.extra.items()))
    return ("accepted", True, "new", seen.decision, iso_jst(seen.settle_at))


@settings(max_examples=examples(80), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(case=CASES)
def test_every_acceptance_path_gives_the_same_answer(db, case: Case):
    fast = answer(transfers.submit, case, build(case))
    full = answer(transfers.accept_with_token, case, build(case))
    assert fast == full
    if case.token != "live" or case.status != "active":
        return  # the pages are reached only with a live session, which a suspended or
        # locked member has not (`tokens._check`, and suspension revokes every session)
    world = build(case)
    assert answer(page_confirm(world), case, world) == full
    if case.key in ("none", "fresh"):
        got, _ = full
        expected = got if got[0] == "refused" else (
            "accepted", got[1], got[2], dict(got[4])["decision"], dict(got[4])["settle_at"])
        assert review_answer(case, build(case)) == expected


def test_the_examples_reach_both_acceptances_and_refusals(db):
    """The property is only worth its examples: the common case must be among them."""
    accepted = Case("active", "live", "open", "own_0009", 10_000, 0, "fresh")
    got, stored = answer(transfers.submit, accepted, build(accepted))
    assert got[0] == "accepted" and got[1] is True and stored == 1
    replay = Case("active", "live", "open", "own_0009", 10_000, 0, "replay_same")
    got, stored = answer(transfers.submit, replay, build(replay))
    assert got[:3] == ("accepted", False, "prior") and stored == 1
    other = Case("active", "live", "open", "own_0009", 10_000, 0, "replay_other")
    assert answer(transfers.submit, other, build(other))[0][1] == "idempotency_key_reused"
    named = Case("active", "live", "open", "own_0009", 10_000, 0, "fresh", "own")
    assert answer(transfers.submit, named, build(named))[0][:2] == ("accepted", True)
    for case in (Case("active", "live", "open", "own_other_holder", 10_000, 0, "fresh", "own"),
                 Case("active", "live", "open", "own_0009", 10_000, 0, "fresh", "other")):
        got, stored = answer(transfers.submit, case, build(case))
        assert got[:3] == ("refused", "payee_not_own_name", 422) and stored == 0


