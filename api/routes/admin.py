"""The staff desk (`X-Admin-Key`): stands for the in-person counter / automatic contract
machine. Every action, allowed or refused, is written to the audit log, stamped with
real (wall) time, never the simulated clock."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep, SettingsDep, StaffActor, WallDep
from api.schemas.common import MAX_ID
from api.schemas.members import (
    CreateMemberIn,
    MemberOut,
    NameKanaIn,
    NewCardOut,
    ResetPinIn,
    UpdateMemberIn,
)
from shunfuri.db.models import Member
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import accounts as members
from shunfuri.services.members import own_name
from shunfuri.services.staff.audit import Actor

router = APIRouter(prefix="/v1/admin", tags=["staff"])


def member_out(member: Member) -> MemberOut:
    return MemberOut(
        member_id=member.id,
        status=member.status,
        card_lost=member.card_lost,
        credit_limit=member.credit_limit,
        outstanding=member.outstanding,
        held=member.held,
        available=members.available(member),
        name_kana=member.name_kana,
    )


def _known_id(session: SessionDep, member_id: int, *, actor: Actor, action: str,
              now: WallDep) -> int:
    """An id no row can have (out of BIGINT range) is refused before touching the tables."""
    if 1 <= member_id <= MAX_ID:
        return member_id
    members.audit(session, actor=actor, action=action, now=now, ok=False,
                  detail={"refused": "not_found"})
    session.commit()
    raise ShunfuriError("not_found:member")


@router.post("/members", status_code=201, response_model=NewCardOut,
             summary="Create a member; the system issues the card number")
def create_member(body: CreateMemberIn, actor: StaffActor, session: SessionDep, now: WallDep,
                  settings: SettingsDep) -> NewCardOut:
    created = members.create_member(
        session,
        credit_limit=body.credit_limit,
        pin=body.pin.get_secret_value(),
        web_id=body.web_id,
        password=body.password.get_secret_value() if body.password else None,
        now=now,
        pepper=settings.pin_pepper.get_secret_value(),
        actor=actor,
    )
    return NewCardOut(member_id=created.member_id, card_number=created.card_number)


@router.get("/members/{member_id}", response_model=MemberOut, summary="A member's state")
def get_member(member_id: int, actor: StaffActor, session: SessionDep, now: WallDep) -> MemberOut:
    _known_id(session, member_id, actor=actor, action="view_member", now=now)
    return member_out(members.get_member(session, member_id))


@router.post("/members/{member_id}/reset-pin", response_model=MemberOut,
             summary="New PIN after an in-person identity check; unlocks the login")
def reset_pin(member_id: int, body: ResetPinIn, actor: StaffActor, session: SessionDep,
              now: WallDep, settings: SettingsDep) -> MemberOut:
    _known_id(session, member_id, actor=actor, action="reset_pin", now=now)
    member = members.reset_pin(
        session, member_id, pin=body.pin.get_secret_value(), now=now,
        pepper=settings.pin_pepper.get_secret_value(), actor=actor,
    )
    return member_out(member)


@router.post("/members/{member_id}/suspend", response_model=MemberOut,
             summary="Suspend use (利用停止): no login, no transfer, tokens revoked")
def suspend(member_id: int, actor: StaffActor, session: SessionDep, now: WallDep) -> MemberOut:
    _known_id(session, member_id, actor=actor, action="suspend", now=now)
    return member_out(members.suspend(session, member_id, now=now, actor=actor))


@router.post("/members/{member_id}/reinstate", response_model=MemberOut,
             summary="Lift a suspension")
def reinstate(member_id: int, actor: StaffActor, session: SessionDep, now: WallDep,
              settings: SettingsDep) -> MemberOut:
    _known_id(session, member_id, actor=actor, action="reinstate", now=now)
    return member_out(members.reinstate(
        session, member_id, now=now, pepper=settings.pin_pepper.get_secret_value(), actor=actor
    ))


@router.post("/members/{member_id}/report-card-lost", response_model=MemberOut,
             summary="Card lost or stolen: card login refused from now on")
def report_card_lost(member_id: int, actor: StaffActor, session: SessionDep,
                     now: WallDep) -> MemberOut:
    _known_id(session, member_id, actor=actor, action="report_card_lost", now=now)
    return member_out(members.report_card_lost(session, member_id, now=now, actor=actor))


@router.post("/members/{member_id}/reissue-card", response_model=NewCardOut,
             summary="Issue a new card (new number); the old number stops working")
def reissue_card(member_id: int, actor: StaffActor, session: SessionDep,
                 now: WallDep) -> NewCardOut:
    _known_id(session, member_id, actor=actor, action="reissue_card", now=now)
    card = members.reissue_card(session, member_id, now=now, actor=actor)
    return NewCardOut(member_id=card.member_id, card_number=card.card_number)


@router.patch("/members/{member_id}", response_model=MemberOut,
              summary="Change the credit limit (0-5,000,000; not below outstanding + held)")
def update_member(member_id: int, body: UpdateMemberIn, actor: StaffActor, session: SessionDep,
                  now: WallDep) -> MemberOut:
    _known_id(session, member_id, actor=actor, action="set_credit_limit", now=now)
    return member_out(members.set_credit_limit(
        session, member_id, credit_limit=body.credit_limit, now=now, actor=actor
    ))


@router.put("/members/{member_id}/name-kana", response_model=MemberOut,
            summary="Record or correct the member's name in kana (本人名義: money then goes "
                    "only to and from accounts in that name)")
def set_name_kana(member_id: int, body: NameKanaIn, actor: StaffActor, session: SessionDep,
                  now: WallDep) -> MemberOut:
    _known_id(session, member_id, actor=actor, action="set_name_kana", now=now)
    return member_out(own_name.record_name_kana(
        session, member_id, name_kana=body.name_kana, now=now, actor=actor
    ))
