"""お試し診断 as a page (`/shindan`), tested as the API's is: the rule's two sentences on the
same page, refusals field by field, and nothing of the inputs anywhere - no row in any
table, no Redis key, no log line (every logger at DEBUG), nothing in /metrics, no
cookie, never in a URL. Then the per-address rate limits of the applicant's pages and
of the API (one budget for both doors)."""

from __future__ import annotations

import logging
import re

import pytest

from api.access_log import masked
from shunfuri.broker import get_redis
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import form
from tests.integration.apply_page_helpers import (
    STEP_VALUES,
    errors_in,
    form_of,
    send,
    submit,
    walk_to_confirm,
)
from tests.integration.test_eligibility_api import TRACES, row_counts

at = helpers.at


def shindan(client, **typed: str):  # type: ignore[no-untyped-def]
    page = client.get("/shindan")
    return send(client, page.text, "/shindan", typed)


def answer(html: str) -> str:
    found = re.search(r'id="answer" role="status">([^<]+)<', html)
    return found.group(1) if found else ""


def test_the_answer_is_on_the_same_page_in_one_of_two_sentences(client, at):
    page = client.get("/shindan")
    assert page.status_code == 200 and 'method="post" action="/shindan"' in page.text
    for name in ("birth_date", "annual_income", "other_borrowing"):
        assert f'<label for="f-{name}">' in page.text
    assert re.search(r'id="f-birth_date"[^>]*autocomplete="bday"', page.text)
    yes = shindan(client, birth_date="２００８／１２／１", annual_income="３００，０００円",
                  other_borrowing="０")
    assert yes.status_code == 200 and answer(yes.text) == "ご融資可能と思われます"
    no = shindan(client, birth_date="2008-12-02", annual_income="300000", other_borrowing="0")
    assert answer(no.text) == "ご希望に添えない可能性があります"
    assert 'href="/apply"' in no.text
    thin = shindan(client, birth_date="1990-01-01", annual_income="29997", other_borrowing="0")
    assert answer(thin.text) == "ご希望に添えない可能性があります"
    # From the answer to the application, with the three figures carried (not stored).
    start = send(client, yes.text, "/apply")
    assert start.status_code == 200 and 'value="２００８／１２／１"' in start.text
    assert {"annual_income", "other_balance"} <= set(form_of(start.text, "/apply"))


def test_refusals_are_field_by_field_and_never_repeat_a_value_as_an_answer(client, at):
    bad = shindan(client, birth_date="1990-13-01", annual_income="", other_borrowing="-1")
    assert bad.status_code == 422 and answer(bad.text) == ""
    assert set(errors_in(bad.text)) == {"birth_date", "annual_income", "other_borrowing"}
    assert 'aria-invalid="true"' in bad.text


def test_nothing_of_the_inputs_is_kept_logged_counted_or_put_in_a_url(client, at, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    client.get("/shindan")  # the visitor's form cookie is made before the counts
    client.get("/metrics")
    rows, keys = row_counts(), get_redis().dbsize()
    pages = [
        shindan(client, birth_date="1987-06-23", annual_income="7654321",
                other_borrowing="123457"),
        shindan(client, birth_date="１９８７年６月２３日", annual_income="7,654,321",
                other_borrowing="123,457"),
        shindan(client, birth_date="1987/6/23", annual_income="7654321",
                other_borrowing="-123457"),
    ]
    assert [p.status_code for p in pages] == [200, 200, 422]
    assert all("/shindan" == p.url.path and not p.url.query for p in pages)
    assert not any("set-cookie" in p.headers for p in pages)
    assert row_counts() == rows and get_redis().dbsize() == keys
    logged = "\n".join(record.getMessage() for record in caplog.records)
    scraped = client.get("/metrics").text
    for trace in TRACES:
        assert trace not in logged, trace
        assert trace not in scraped, trace
    # A query string on these paths (a form rebuilt as a GET) never reaches the access log.
    assert masked("/shindan?birth_date=1987-06-23") == "/shindan?[query not logged]"
    assert masked("/apply?annual_income=7654321") == "/apply?[query not logged]"


@pytest.fixture()
def limits(monkeypatch):  # type: ignore[no-untyped-def]
    from shunfuri.settings import get_settings

    def apply(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"SHUNFURI_{name.upper()}_RATE_LIMIT", value)
        get_settings.cache_clear()

    yield apply
    monkeypatch.undo()
    get_settings.cache_clear()


def test_eligibility_is_limited_per_address_on_both_doors(client, at, limits):
    limits(eligibility="3/minute")
    body = {"birth_date": "1990-01-01", "annual_income": 4_000_000, "other_borrowing": 0}
    assert client.post("/v1/eligibility", json=body).status_code == 200
    typed = {"birth_date": "1990-01-01", "annual_income": "4000000", "other_borrowing": "0"}
    assert shindan(client, **typed).status_code == 200
    assert client.post("/v1/eligibility", json=body).status_code == 200
    refused = shindan(client, **typed)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "お試し診断が何度も" in refused.text and "ログイン画面へ" not in refused.text
    api = client.post("/v1/eligibility", json=body)
    assert api.status_code == 429 and api.json()["code"] == "too_many_requests"
    assert "お試し診断" in api.json()["detail_ja"] and api.headers["retry-after"]


def test_applications_and_the_form_posts_are_limited(client, at, limits):
    limits(application="1/minute", apply_pages="60/minute")
    confirm = walk_to_confirm(client)
    assert client.post("/v1/applications", json=form()).status_code == 202
    refused = submit(client, confirm.text)
    assert refused.status_code == 429 and "お申し込みが何度も" in refused.text
    assert client.post("/v1/applications", json=form()).status_code == 429


def test_the_form_steps_are_limited(client, at, limits):
    limits(apply_pages="2/minute")
    page = client.get("/apply")
    for expected in (200, 200, 429):
        page_sent = send(client, page.text, "/apply", {**STEP_VALUES["name"], "go": "next"})
        assert page_sent.status_code == expected
