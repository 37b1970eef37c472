"""Dependencies shared by the routes, as `Annotated` aliases."""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from api.schemas.common import MAX_ID
from shunfuri.clock import get_clock, wall_now
from shunfuri.db.models import Member
from shunfuri.db.session import request_session
from shunfuri.errors import ShunfuriError
from shunfuri.services.members import tokens
from shunfuri.services.staff.audit import Actor
from shunfuri.settings import Settings, get_settings


def get_session() -> Iterator[Session]:
    yield from request_session()


# Trivial dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency
# in the thread pool, and a thread hop costs more than these functions do.
async def get_now() -> datetime:
    return get_clock().now()


async def get_wall() -> datetime:
    """Real time (`shunfuri.clock.wall_now`); business rules use `NowDep`."""
    return wall_now()


SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
WallDep = Annotated[datetime, Depends(get_wall)]
async def settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings_dep)]


async def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ShunfuriError("not_authenticated")
    return token.strip()


TokenDep = Annotated[str, Depends(bearer_token)]


def current_member(session: SessionDep, token: TokenDep, wall: WallDep) -> Member:
    """The caller's member row, detached, with the connection already given back.

    FastAPI runs this and the endpoint in separate thread-pool hops. Holding a pooled
    connection between the hops lets a burst deadlock: every thread waits for a
    connection while every connection waits for a thread. So the row is detached and
    the transaction ended here; the endpoint takes a connection only when it needs one.
    """
    member = tokens.member_for(session, token=token, now=wall)
    session.expunge(member)
    session.rollback()
    return member


CurrentMember = Annotated[Member, Depends(current_member)]


_STAFF_ID = re.compile(r"[A-Za-z0-9._-]{1,48}", re.ASCII)
# Who the audit says acted when the automation key was used. The key names no person,
# so neither may the request: a header anyone with the key can set is never the actor.
KEY_ACTOR = "admin-key"


def staff_actor(
    request: Request,
    session: SessionDep,
    now: WallDep,
    settings: SettingsDep,
    x_admin_key: Annotated[str | None, Header(alias="X-Admin-Key")] = None,
    x_staff_id: Annotated[
        str | None,
        Header(alias="X-Staff-Id", description="Optional and unverified: recorded in the "
               "audit detail as `claimed_staff_id`, never as the actor"),
    ] = None,
) -> Actor:
    """The automation key's check; the audit's actor is `admin-key` from the client's
    address. A refusal is counted (`refusals`: a flood cannot grow the audit log), never
    with the key sent."""
    expected = settings.admin_key.get_secret_value().encode()
    given = (x_admin_key or "").encode()
    enabled = settings.admin_key_enabled
    client = request.client.host if request.client else None
    if not enabled or not hmac.compare_digest(given, expected):
        from shunfuri.services.staff import refusals

        raw_id = request.path_params.get("member_id", "")
        member_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() else None
        if member_id is not None and member_id > MAX_ID:
            member_id = None
        reason = ("key_not_configured" if not enabled
                  else "missing_key" if x_admin_key is None else "wrong_key")
        refusals.record(session, action="staff_key_refused", reason=reason, now=now,
                        source=client, member_id=member_id,
                        detail={"reason": reason, "method": request.method,
                                "path": request.url.path[:200]})
        session.commit()
        if not enabled:
            raise ShunfuriError("forbidden:key_switched_off")
        raise ShunfuriError("forbidden")
    claimed = {"claimed_staff_id": x_staff_id} if x_staff_id and _STAFF_ID.fullmatch(
        x_staff_id) else {}
    return Actor(KEY_ACTOR, source=client, detail=claimed)


StaffActor = Annotated[Actor, Depends(staff_actor)]
