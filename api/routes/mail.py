"""The member's mail: address (confirmed by a link) and the four settings."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from api.deps import CurrentMember, SessionDep, SettingsDep, WallDep
from api.schemas.mail import (
    MailAddressIn,
    MailConfirmIn,
    MailConfirmOut,
    MailSettingsIn,
    MailSettingsOut,
)
from shunfuri.services.mail import settings as mail_settings

router = APIRouter(tags=["mail"])

_LINK_REFUSED: dict[int | str, dict[str, Any]]
_LINK_REFUSED = {404: {"description": "mail_link_invalid: unknown, used or older than 24 h",
                       "content": {"application/problem+json": {}}}}


@router.get("/v1/me/mail", response_model=MailSettingsOut, summary="Your mail address and settings")
def get_mail(member: CurrentMember, session: SessionDep, wall: WallDep) -> MailSettingsOut:
    return MailSettingsOut(**asdict(mail_settings.get(session, member_id=member.id, wall=wall)))


@router.put("/v1/me/mail", response_model=MailSettingsOut,
            summary="Change the mail settings (reminder and its days before, event mails)")
def put_mail(body: MailSettingsIn, member: CurrentMember, session: SessionDep,
             wall: WallDep) -> MailSettingsOut:
    values = body.model_dump(exclude_none=True)
    result = mail_settings.update_settings(session, member_id=member.id, wall=wall, **values)
    return MailSettingsOut(**asdict(result))


_TOO_MANY: dict[int | str, dict[str, Any]]
_TOO_MANY = {429: {"description": "too_many_requests: 5 confirmation mails a day; see "
                                  "Retry-After", "content": {"application/problem+json": {}}}}


@router.put("/v1/me/mail/address", response_model=MailSettingsOut, status_code=202,
            responses=_TOO_MANY,
            summary="Register (or change) your mail address: a confirmation link is mailed")
def put_address(body: MailAddressIn, member: CurrentMember, session: SessionDep,
                wall: WallDep, settings: SettingsDep) -> MailSettingsOut:
    """The address is used only after its link (single use, 24 h) is opened; until then
    it is `pending_address` and mail keeps going to the confirmed one, if any."""
    result = mail_settings.register_address(
        session, member_id=member.id, address=body.address, wall=wall,
        pepper=settings.pin_pepper.get_secret_value())
    return MailSettingsOut(**asdict(result))


@router.post("/v1/mail/confirm", response_model=MailConfirmOut, responses=_LINK_REFUSED,
             summary="Confirm a mail address with the token from its link (no login needed)")
def confirm(body: MailConfirmIn, session: SessionDep, wall: WallDep) -> MailConfirmOut:
    return MailConfirmOut(address=mail_settings.confirm(session, token=body.token, wall=wall))
