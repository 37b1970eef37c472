"""お試し診断 (`/shindan`): three figures, answered on the same page with one of the
spec's two sentences. Public, no login.

Nothing of the inputs is kept: no row, no log line, no metric, no cookie; the form is a
POST (never a query string a log could print), and the answer page repeats the figures
only into its own form, for the visitor to change them. The only thing written is the
per-address rate limit's window in Redis (the address, not an input), shared with
`POST /v1/eligibility`.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from shunfuri.clock import get_clock
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import intake, throttle
from web.applicant import address_of
from web.apply_form import page_errors
from web.site import render
from web.site import router as site_router

router = site_router()

FIELDS = ("birth_date", "annual_income", "other_borrowing")


@router.get("/shindan")
def shindan_page(request: Request) -> Response:
    return render(request, "shindan.html", typed={}, errors={}, answer=None)


@router.post("/shindan")
async def shindan(request: Request) -> Response:
    posted = await request.form()
    typed = {name: str(posted.get(name) or "")[:64] for name in FIELDS}
    await run_in_threadpool(throttle.check, address_of(request), throttle.ELIGIBILITY)
    try:
        answer = intake.check_eligibility(typed, now=get_clock().now())
    except ShunfuriError as refused:
        if refused.code != "validation_error":
            raise
        return render(request, "shindan.html", status=422, typed=typed,
                      errors=page_errors(refused, FIELDS), answer=None)
    return render(request, "shindan.html", typed=typed, errors={}, answer=answer)
