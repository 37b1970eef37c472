"""The staff console under `/staff/`: desk, operator and supervisor pages on the member
site's security rules (`web.security`) with a cookie and login of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    from web.staff import accounts, audit, auth, desk, operations, password, review

    for router in (auth.public, auth.enrolment, password.pages, desk.pages, operations.pages,
                   review.pages, audit.pages, accounts.pages):
        app.include_router(router)
