"""Schemathesis over /openapi.json with every check it has (`schemathesis run --checks all`
does the same against a running server): every operation, with and without credentials.

No input may produce a 500; every answer must be one the schema documents (status code,
content type, headers, body); a 405 lists every method of its path in `Allow`; a request
the schema calls invalid is refused, and one it calls valid is accepted - except for what
no JSON Schema can say, which the server alone decides (`BEYOND_A_SCHEMA` below). Bounded:
a fixed number of examples per operation and deterministic generation, so `make test`
stays quick and repeatable.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.member_helpers import PIN, bearer, create_member, token_for

MAX_EXAMPLES = 20
# A 503 is a documented answer (service_closed on Monday mornings, database_unavailable);
# any other 5xx - above all a 500 - is a failure. (This replaces the built-in
# not_a_server_error, which would refuse every 5xx.)
CLEAR_503 = {"service_closed", "database_unavailable", "not_ready", "overloaded"}


@schemathesis.check
def no_server_error(ctx, response, case):  # type: ignore[no-untyped-def]
    if response.status_code < 500:
        return None
    code = None
    try:
        code = response.json().get("code")
    except Exception:  # noqa: BLE001 - not JSON is a failure too
        pass
    if response.status_code != 503 or code not in CLEAR_503:
        raise AssertionError(f"server error {response.status_code} ({code}): {response.text[:300]}")
    return None


_TEXT_CODES = ("required", "invalid_characters", "too_long")
FORM_TEXT_RULES = {
    *((field, code) for field in ("name_kanji", "name_kana", "address", "employer_name")
      for code in _TEXT_CODES),
    ("name_kana", "not_kana"),
    *(("birth_date", code) for code in ("required", "invalid_date", "in_future", "too_early")),
    *((field, code) for field in ("phone", "employer_phone")
      for code in ("required", "invalid_phone")),
    ("postal_code", "required"), ("postal_code", "invalid_postal_code"),
}


def beyond_a_schema(response) -> str | None:  # type: ignore[no-untyped-def]
    """Why the server refused a request the schema allows, when no JSON Schema could have
    said it; None for any other answer. The whole list:

    - a card number's Luhn check digit (a checksum over the digits);
    - whether a bank or branch code is in the Zengin master (data that changes monthly;
      whether a branch exists depends on the bank code beside it);
    - a holder name's length once converted to Zengin half-width kana (ｶﾞ is two
      characters, runs of spaces are one; the schema states which characters may be
      typed);
    - a list cursor the API did not issue (opaque: only `next_cursor` is one);
    - a mail address's finer rules beyond its stated shape (email-validator: dots, label
      lengths, special-use domains such as .test or .localhost);
    - whether an account is in the member's own name (本人名義: the member's kana name is
      data the desk records, not a shape), and a kana name's length once converted.
    - the application form's text rules (`domain.person_fields`): a name of letters of any
      script (Unicode categories), kana only, a date that exists and is not in the future,
      the digits a phone number has for its prefix, a postal code's seven digits, text
      that is blank once its spaces are collapsed or too long once NFKC-normalised, and
      the employer that some employments require. Only when every refused field is such
      a text field refused by such a rule; numbers, choices and lengths are stated.
    """
    if response.status_code != 422:
        return None
    body = response.json()
    errors = body.get("errors") or ()
    if errors and all((e.get("field"), e.get("code")) in FORM_TEXT_RULES or (
            e.get("field") == "email" and e.get("message", "").startswith(
                "refused by the mail address rules")) for e in errors):
        return "the application form's text rules"
    if body.get("code") in ("unknown_bank", "unknown_branch"):
        return "the Zengin master"
    if body.get("code") == "payee_not_own_name":
        return "the member's own name"
    for error in body.get("errors") or ():
        if error.get("field") == "card_number" and "check digit" in error.get("message", ""):
            return "the card number's check digit"
        if error.get("field") in ("holder_name", "name_kana") and "once converted" in error.get(
                "message", ""):
            return "the holder name's converted length"
        if error.get("field") == "cursor":
            return "a cursor the API did not issue"
        if error.get("field") == "address" and error.get("message", "").startswith(
                "refused by the mail address rules"):
            return "the mail address rules"
    return None


def _load_schema():  # type: ignore[no-untyped-def]
    # The app reads its database from the settings at request time, so it can be built
    # (and its OpenAPI document read) before the `db` fixture points it at the test db.
    from api.app import create_app

    loaded = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    loaded.config.checks.update(included_check_names=["all"],
                                excluded_check_names=["not_a_server_error"])
    # 423 Locked answers the state of a login, as 409 answers the state of a transfer:
    # three wrong PINs in a row lock it, whatever the shape of the fourth request.
    # 429 likewise: a login identifier that failed from clients without a Device-Token is
    # closed to them for a while (too_many_attempts), and asking whether Web-IDs are free
    # is throttled (too_many_requests).
    acceptance = loaded.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "423", "429"]
    # `/readyz?deep=1` waits up to 5 s for a worker that this in-process app does not
    # have; it is exercised by the e2e and chaos suites against a real system.
    return loaded.exclude(path="/readyz")


schema = _load_schema()


def run(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call()
    skipped = [positive_data_acceptance] if beyond_a_schema(response) else []
    case.validate_response(response, additional_checks=[no_server_error],
                           excluded_checks=[not_a_server_error, *skipped])


@pytest.fixture()
def member(client, admin_headers):  # type: ignore[no-untyped-def]
    created = create_member(client, admin_headers, credit_limit=500_000)
    token = token_for(client, created["card_number"])
    client.post("/v1/payees", headers=bearer(token), json={
        "bank_code": "0009", "branch_code": "001", "account_type": "ordinary",
        "account_number": "1234567", "holder_name": "ﾔﾏﾀﾞ ﾀﾛｳ", "pin": PIN})
    return {"id": created["member_id"], "token": token}


def live_token(member) -> str:  # type: ignore[no-untyped-def]
    """The member as the fixture made them, before each example: the staff operations
    may have suspended them, reported the card lost or recorded a kana name that is not the
    payee's, three wrong PINs locked them, a
    logout or a Web-ID change revoked the token. A fresh token costs no PIN hashing."""
    from sqlalchemy import delete, select, update

    from shunfuri.clock import wall_now
    from shunfuri.db.models import AuthSession, LoginFailure, Member
    from shunfuri.db.session import session_factory
    from shunfuri.services.members import tokens

    with session_factory().begin() as session:
        session.execute(update(Member).where(Member.id == member["id"])
                        .values(status="active", card_lost=False, name_kana=None,
                                name_key=None))
        session.execute(delete(LoginFailure))
        alive = session.scalar(select(AuthSession.token_hash).where(
            AuthSession.token_hash == tokens.digest(member["token"]),
            AuthSession.revoked_at.is_(None)))
        if alive is None:
            member["token"] = tokens.issue(session, member_id=member["id"], now=wall_now(),
                                           ttl_seconds=900)
    return member["token"]


# One database per test (emptied after it), shared by that test's examples on purpose.
SHARED = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)


@schema.parametrize()
@SHARED
def test_without_credentials(case, db):  # type: ignore[no-untyped-def]
    run(case)


@schema.parametrize()
@SHARED
def test_with_member_and_staff_credentials(case, member, admin_headers):  # type: ignore[no-untyped-def]
    case.headers = {**(case.headers or {}), **bearer(live_token(member)), **admin_headers}
    run(case)


def test_only_what_no_schema_can_say_is_excused(client, admin_headers):  # type: ignore[no-untyped-def]
    """The excuses above are narrow: a malformed card number or an unknown field is not
    one of them."""
    check_digit = client.post("/v1/login", json={"card_number": "9123-4567-8901-2345",
                                                 "pin": "0000"})
    assert beyond_a_schema(check_digit) == "the card number's check digit"
    too_short = client.post("/v1/login", json={"card_number": "9123", "pin": "0000"})
    assert too_short.status_code == 422 and beyond_a_schema(too_short) is None
    wrong_pin = client.post("/v1/admin/members", headers=admin_headers,
                            json={"credit_limit": 0, "pin": "12"})
    assert wrong_pin.status_code == 422 and beyond_a_schema(wrong_pin) is None
    headers = bearer(token_for(client, create_member(client, admin_headers)["card_number"]))
    special = client.put("/v1/me/mail/address", headers=headers,
                         json={"address": "hanako@shunfuri.test"})
    assert beyond_a_schema(special) == "the mail address rules"
    shapeless = client.put("/v1/me/mail/address", headers=headers, json={"address": "0000"})
    assert shapeless.status_code == 422 and beyond_a_schema(shapeless) is None
    from tests.integration.application_helpers import form

    kana = client.post("/v1/applications", json=form(name_kana="Yamada"))
    assert beyond_a_schema(kana) == "the application form's text rules"
    with_a_number = client.post("/v1/applications", json=form(name_kana="Yamada",
                                                              requested_limit=15_000))
    assert with_a_number.status_code == 422 and beyond_a_schema(with_a_number) is None
