"""GET /v1/me: the member's status and credit."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentMember
from api.schemas_members import MeOut
from shunfuri.services.members import available

router = APIRouter(tags=["members"])


@router.get("/v1/me", response_model=MeOut, summary="Credit limit, used and available")
def me(member: CurrentMember) -> MeOut:
    return MeOut(
        member_id=member.id,
        status=member.status,
        credit_limit=member.credit_limit,
        outstanding=member.outstanding,
        held=member.held,
        available=available(member),
    )
