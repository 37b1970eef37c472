"""The applicant's pages in-process (TestClient, real PostgreSQL and Redis): the /apply
steps carry what was typed in hidden fields and store nothing until the final
submission; refusals field by field with full-width input; one application per
confirmation page; the follow-up token shown once and kept in a cookie scoped to the
application; 続きから on another device."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from shunfuri.db.models import Base
from shunfuri.db.session import session_factory
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import count_applications
from tests.integration.apply_page_helpers import (
    STEP_VALUES,
    STEPS,
    errors_in,
    form_of,
    hidden_names,
    send,
    submit,
    walk_to_confirm,
)

at = helpers.at


def row_counts() -> dict[str, int]:
    with session_factory()() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def test_every_field_has_a_label_autocomplete_and_keyboard(client, at):
    html = client.get("/apply").text
    for name in ("name_kanji", "name_kana", "birth_date"):
        assert f'<label for="f-{name}">' in html
    assert re.search(r'id="f-birth_date"[^>]*autocomplete="bday"[^>]*inputmode="numeric"', html)
    assert 'method="post" action="/apply"' in html and "novalidate" in html
    page = send(client, html, "/apply", {**STEP_VALUES["name"], "go": "next"})
    for name, attrs in (("phone", ('type="tel"', 'autocomplete="tel"', 'inputmode="tel"')),
                        ("email", ('type="email"', 'autocomplete="email"')),
                        ("postal_code", ('autocomplete="postal-code"', 'inputmode="numeric"'))):
        tag = re.search(rf'<input id="f-{name}"[^>]*>', page.text).group(0)
        assert all(a in tag for a in attrs), tag
        assert f'<label for="f-{name}">' in page.text
    work = send(client, page.text, "/apply", {**STEP_VALUES["contact"], "go": "next"})
    assert '<legend>ご職業</legend>' in work.text
    assert re.search(r'id="f-employer_phone"[^>]*autocomplete="work tel"', work.text)


def test_steps_carry_earlier_answers_in_hidden_fields_and_store_nothing(client, at):
    before = row_counts()
    page = client.get("/apply")
    for i, step in enumerate(STEPS):
        page = send(client, page.text, "/apply", {**STEP_VALUES[step], "go": "next"})
        assert page.status_code == 200, errors_in(page.text)
        if i + 1 < len(STEPS):
            # Everything typed so far rides along, never in the URL.
            carried = {n for s in STEPS[:i + 1] for n in STEP_VALUES[s] if STEP_VALUES[s][n]}
            assert carried <= hidden_names(page.text, "/apply"), step
            assert "?" not in page.url.path
    html = page.text
    # The confirmation shows the canonical values the application will carry.
    for shown in ("山田 花子", "ヤマダ ハナコ", "1990年4月1日", "09012345678", "〒150-0001",
                  "会社員", "4,000,000円", "0件", "300,000円", "提出しない"):
        assert shown in html, shown
    assert row_counts() == before  # nothing stored before the final submission


def test_refusals_are_shown_field_by_field_and_the_step_stays(client, at):
    page = client.get("/apply")
    bad = send(client, page.text, "/apply", {"name_kanji": "山田 花子", "name_kana": "Yamada",
                                             "birth_date": "１９９０年１３月１日", "go": "next"})
    assert bad.status_code == 422
    errors = errors_in(bad.text)
    assert set(errors) == {"name_kana", "birth_date"}
    assert "全角カタカナ" in errors["name_kana"] and "正しい日付" in errors["birth_date"]
    assert 'aria-invalid="true"' in bad.text and 'role="alert"' in bad.text
    assert "Yamada" in bad.text  # what was typed stays in its field, to be corrected
    page = send(client, bad.text, "/apply", {"name_kana": "ヤマダ　ハナコ",
                                             "birth_date": "19900401", "go": "next"})
    bad = send(client, page.text, "/apply", {"phone": "０１２－３４", "email": "hanako＠example",
                                             "postal_code": "１５０", "address": "",
                                             "go": "next"})
    assert set(errors_in(bad.text)) == {"phone", "email", "postal_code", "address"}
    # Going back checks nothing and keeps what was typed.
    back = send(client, bad.text, "/apply", {"go": "back"})
    assert back.status_code == 200 and 'value="ヤマダ　ハナコ"' in back.text
    assert count_applications() == 0


def test_employer_needed_except_pension_and_unemployed(client, at):
    page = client.get("/apply")
    for step in STEPS[:2]:
        page = send(client, page.text, "/apply", {**STEP_VALUES[step], "go": "next"})
    bad = send(client, page.text, "/apply", {"employment": "employee", "go": "next"})
    assert set(errors_in(bad.text)) == {"employer_name", "employer_phone"}
    ok = send(client, page.text, "/apply", {"employment": "pension_only", "go": "next"})
    assert ok.status_code == 200 and "ご年収" in ok.text


def test_one_application_per_confirmation_page_and_the_code_shown_once(client, at):
    confirm = walk_to_confirm(client)
    first = submit(client, confirm.text)
    assert first.status_code == 303, errors_in(first.text)
    location = first.headers["location"]
    assert re.fullmatch(r"/apply/[0-9a-f-]{36}", location)
    cookies = first.headers.get_list("set-cookie")
    token_cookie = next(c for c in cookies if c.startswith("shunfuri_application="))
    assert f"Path={location}" in token_cookie and "HttpOnly" in token_cookie
    assert "samesite=lax" in token_cookie.lower()
    again = submit(client, confirm.text)  # a double click, or the form sent again
    assert again.headers["location"] == location
    assert count_applications() == 1
    status = client.get(location)
    assert status.status_code == 200
    code = re.search(r'id="follow-up-code">([^<]+)<', status.text).group(1)
    assert len(code.replace(" ", "")) == 43
    assert "審査中" in status.text or "ご契約いただけます" in status.text
    assert 'data-follow="' + location + '/panel"' in status.text
    reload = client.get(location)
    assert "follow-up-code" not in reload.text  # shown once
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in reload.text


def test_nothing_is_stored_when_the_submission_is_refused(client, at):
    confirm = walk_to_confirm(client)
    no_consent = send(client, confirm.text, "/apply/submit")
    assert no_consent.status_code == 422 and 'id="e-consent"' in no_consent.text
    tampered = submit(client, confirm.text, phone="12")  # a hidden field changed by hand
    assert tampered.status_code == 422
    assert set(errors_in(tampered.text)) == {"phone"} and "ご連絡先" in tampered.text
    assert count_applications() == 0


def test_edit_from_the_confirmation_returns_to_it(client, at):
    confirm = walk_to_confirm(client)
    edit = send(client, confirm.text, "/apply", {"go": "edit:income"})
    assert 'name="editing" value="1"' in edit.text and "確認画面へ戻る" in edit.text
    back = send(client, edit.text, "/apply", {"annual_income": "５，０００，０００円", "go": "next"})
    assert "入力内容の確認" in back.text and "5,000,000円" in back.text


def test_continue_on_another_device_with_the_typed_code(client, another, at):
    confirm = walk_to_confirm(client)
    location = submit(client, confirm.text).headers["location"]
    code = re.search(r'id="follow-up-code">([^<]+)<', client.get(location).text).group(1)
    phone = another()
    asked = phone.get(location)
    assert asked.status_code == 200 and 'action="/apply/continue"' in asked.text
    assert "follow-up-code" not in asked.text and "審査中" not in asked.text
    # Never "A" blindly: a 256-bit code's last character is "A" one time in sixteen.
    wrong_last = "B" if code.endswith("A") else "A"
    wrong = send(phone, asked.text, "/apply/continue", {"code": code[:-1] + wrong_last})
    assert wrong.status_code == 404 and "正しくありません" in wrong.text
    typed_id = location.rsplit("/", 1)[1].upper().replace("-", "－")
    right = send(phone, asked.text, "/apply/continue",
                 {"application_id": typed_id, "code": code.replace(" ", "  ")})
    assert right.status_code == 303 and right.headers["location"] == location
    page = phone.get(location)
    assert "受付番号" in page.text and "follow-up-code" not in page.text
    assert 'id="status-panel"' in page.text


def test_the_form_token_is_required_on_every_post(client, at):
    page = client.get("/apply")
    data = {**form_of(page.text, "/apply"), **STEP_VALUES["name"], "go": "next"}
    data.pop("csrf_token")
    refused = client.post("/apply", data=data)
    assert refused.status_code == 403
    for path in ("/apply/submit", "/shindan", "/apply/continue"):
        assert client.post(path, data={"x": "1"}).status_code == 403
