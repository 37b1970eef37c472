"""The member site: server-rendered Japanese pages, mounted in the API's FastAPI app.

Routes translate a form or a page view into the same service calls as the JSON API
(never the API over HTTP). `web.security` holds what every site shares (session cookie,
CSRF, security headers, error pages), parametrised by a `Site`; the staff console
(`web.staff`) is a second `Site` with its own cookie and login.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from web import errors  # noqa: F401 - `web.errors.page_for` serves the app's 404 pages

if TYPE_CHECKING:
    from fastapi import FastAPI

    from web.live import Waiter

STATIC = Path(__file__).resolve().parent / "static"


def mount(app: FastAPI, *, waiter: Waiter) -> None:
    """Add the member site's routes and static files to `app`.

    `waiter` returns the process's transfer-event listener (the one the API's `?wait=`
    long-polls use), so the live status page costs no database polling; it is passed in
    because `web` sits beside `api` and does not import it.
    """
    from fastapi.staticfiles import StaticFiles

    from web import live, staff
    from web.routes import (
        account,
        application,
        apply,
        auth,
        contract,
        dues,
        home,
        mail,
        payees,
        repay,
        shindan,
        suspended,
        transfer,
        transfers,
    )
    from web.security import production

    live.use(waiter)
    for module in (auth, home, account, mail, payees, transfer, transfers, repay, dues,
                   suspended):
        app.include_router(module.router)
    # Becoming a member (no login): `application` before `contract`, and its
    # /apply/continue before /apply/{id}.
    for module in (shindan, apply, application, contract):
        app.include_router(module.router)
    staff.mount(app)
    if not production():
        from web.routes import mailbox  # the development mailbox: never in production

        app.include_router(mailbox.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
