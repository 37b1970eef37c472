"""Dependencies shared by the routes, as `Annotated` aliases."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from shunfuri.clock import get_clock
from shunfuri.db.models import Member
from shunfuri.db.session import session_factory
from shunfuri.errors import ShunfuriError
from shunfuri.services import tokens
from shunfuri.settings import Settings, get_settings


def get_session() -> Iterator[Session]:
    with session_factory()() as session:
        yield session


def get_now() -> datetime:
    return get_clock().now()


SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ShunfuriError("not_authenticated")
    return token.strip()


TokenDep = Annotated[str, Depends(bearer_token)]


def current_member(session: SessionDep, token: TokenDep, now: NowDep) -> Member:
    return tokens.member_for(session, token=token, now=now)


CurrentMember = Annotated[Member, Depends(current_member)]


def staff_actor(
    settings: SettingsDep,
    x_admin_key: Annotated[str | None, Header(alias="X-Admin-Key")] = None,
) -> str:
    expected = settings.admin_key.get_secret_value().encode()
    given = (x_admin_key or "").encode()
    if not hmac.compare_digest(given, expected):
        raise ShunfuriError("forbidden")
    return "staff"


StaffActor = Annotated[str, Depends(staff_actor)]
