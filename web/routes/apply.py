"""The application in steps (`/apply`): one form POST per step, works without JavaScript.

Nothing is stored before the final submission (`POST /apply/submit`); until then what
the earlier steps received travels in the page's hidden fields (`web.apply_form` says
why). The confirmation page carries an idempotency key made when it is shown, so a
double click, a reload or the back button make one application; the submission goes
through `intake.submit`, the API's own path. Then the browser keeps the follow-up token
in a cookie for the application's pages and goes to its status page, which shows the
token once.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shunfuri import messages
from shunfuri.clock import get_clock, wall_now
from shunfuri.domain.age import jst_day
from shunfuri.domain.application_form import ApplicationForm
from shunfuri.errors import ShunfuriError
from shunfuri.services.applications import intake, throttle
from shunfuri.settings import get_settings
from web import applicant
from web import apply_form as af
from web.db import PageSession, released
from web.errors import error_page
from web.filters import yen
from web.site import render
from web.site import router as site_router

router = site_router()

CONSENT_JA = "信用情報機関への照会にご同意いただける場合は、チェックを入れてください。"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[tuple[str, str]]


def _step_page(request: Request, index: int, values: dict[str, str], *,
               errors: dict[str, str] | None = None, editing: bool = False,
               status: int = 200) -> Response:
    return render(request, "apply_step.html", status=status, section="apply",
                  steps=af.STEPS, index=index, step=af.STEPS[index], fields=af.FIELDS,
                  values=values, errors=errors or {}, editing=editing)


def _confirm_page(request: Request, values: dict[str, str], form: tuple[ApplicationForm, str],
                  *, key: str | None = None, consent_error: str = "",
                  status: int = 200) -> Response:
    return render(request, "apply_confirm.html", status=status, section="apply",
                  steps=af.STEPS, values=values, sections=sections(*form),
                  key=key or af.new_key(), consent_error=consent_error)


def sections(form: ApplicationForm, email: str) -> list[Section]:
    """The confirmation page's summary, from the canonical values (as they will be sent)."""
    born = form.birth_date
    work = [("ご職業", messages.EMPLOYMENT_JA[form.employment])]
    if form.employer_name:
        work += [("お勤め先の名称", form.employer_name),
                 ("お勤め先の電話番号", form.employer_phone or "")]
    proof = form.income_proof
    return [
        Section("name", "お名前・生年月日", [
            ("お名前", form.name_kanji), ("フリガナ", form.name_kana),
            ("生年月日", f"{born.year}年{born.month}月{born.day}日")]),
        Section("contact", "ご連絡先・ご住所", [
            ("電話番号", form.phone), ("メールアドレス", email),
            ("郵便番号", f"〒{form.postal_code[:3]}-{form.postal_code[3:]}"),
            ("ご住所", form.address)]),
        Section("work", "ご職業・お勤め先", work),
        Section("income", "ご年収・他社からのお借入れ", [
            ("年収", yen(form.annual_income)), ("他社からのお借入れ件数", f"{form.other_count}件"),
            ("他社からのお借入れ残高", yen(form.other_balance))]),
        Section("limit", "ご希望の限度額・収入証明書", [
            ("ご希望の利用限度額", yen(form.requested_limit)),
            ("収入証明書", f"{messages.PROOF_KINDS_JA[proof.kind]}（記載の年収 "
                        f"{yen(proof.annual_income)}）" if proof else "提出しない")]),
    ]


@router.get("/apply")
def apply_page(request: Request) -> Response:
    return _step_page(request, 0, {})


@router.post("/apply")
async def apply_step(request: Request) -> Response:
    """A step was sent: the same step with its refusals, the next one, an earlier one
    (戻る, 修正する), or the confirmation page. Nothing is stored."""
    posted = await request.form()
    await run_in_threadpool(throttle.check, applicant.address_of(request), throttle.PAGES)
    values = af.values_of(posted)
    go = str(posted.get("go") or "next")
    if go == "start":  # from お試し診断, with its figures
        return _step_page(request, 0, values)
    editing = posted.get("editing") == "1"
    current = af.step_index(posted.get("step"))
    today = jst_day(get_clock().now())
    target = af.advance(values, current, go, editing, today)
    if target.step is None:
        assert target.form is not None
        return _confirm_page(request, values, target.form)
    # 修正する from the confirmation: the step then leads straight back to it.
    editing = (editing or go.startswith("edit:")) and go != "back"
    return _step_page(request, target.step, values, errors=target.errors, editing=editing,
                      status=422 if target.errors else 200)


@router.post("/apply/submit")
async def apply_submit(request: Request, session: PageSession) -> Response:
    """The final submission: one application per confirmation page (its key)."""
    posted = await request.form()
    await run_in_threadpool(throttle.check, applicant.address_of(request), throttle.APPLICATION)
    values = af.values_of(posted)
    key = str(posted.get("key") or "")
    today = jst_day(get_clock().now())
    form, errors = af.check(values, today)
    if form is None:  # a hidden field changed by hand: back to the first refused step
        refused = af.first_refused(errors) or 0
        return _step_page(request, refused, values, errors=af.only_step(errors, refused),
                          status=422)
    if not af.valid_key(key):
        return _confirm_page(request, values, form)
    if posted.get("consent") != "yes":
        return _confirm_page(request, values, form, key=key, consent_error=CONSENT_JA,
                             status=422)
    try:
        submitted = await run_in_threadpool(_submit, session, af.raw_of(values), key)
    except ShunfuriError as refused:
        if refused.code != "validation_error":
            return error_page(request, refused)
        page = af.page_errors(refused)
        step = af.first_refused(page) or 0
        return _step_page(request, step, values, errors=af.only_step(page, step), status=422)
    application_id = submitted.application["id"]
    response = RedirectResponse(applicant.path_of(application_id), status_code=303)
    applicant.keep(response, application_id, submitted.token, show=True)
    return response


def _submit(session: Session, raw: dict, key: str) -> intake.Submitted:
    with released(session):
        return intake.submit(session, raw, idempotency_key=key, now=get_clock().now(),
                             wall=wall_now(),
                             pepper=get_settings().pin_pepper.get_secret_value())
