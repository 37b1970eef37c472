"""Issue 23, item 4: money on a stolen session. Each test performs the attack (a valid
bearer token or web session in the wrong hands, an account in someone else's name) and
checks that it now fails, and what the member sees."""

from __future__ import annotations

from sqlalchemy import select

from shunfuri.db.models import AuditEntry, MemberMail, OutgoingMail, Payee
from shunfuri.db.session import session_factory
from tests.integration.member_helpers import (
    PIN,
    bearer,
    create_member,
    device_for,
    login_card,
    token_for,
)
from tests.integration.test_web_pages import CSRF, signed_in

THIEF = {"bank_code": "0005", "branch_code": "001", "account_type": "ordinary",
         "account_number": "7654321", "holder_name": "ｽｽﾞｷ ﾊﾅｺ"}
OWN = {**THIEF, "bank_code": "0009", "account_number": "1234567", "holder_name": "ヤマダ　タロウ"}
# Business time pinned to a Tuesday morning (the service and every bank open), as there.
from tests.security.test_security import business_hours  # noqa: E402, F401 - autouse fixture


def member_with_token(client, admin_headers):  # type: ignore[no-untyped-def]
    created = create_member(client, admin_headers, credit_limit=500_000)
    return {**created, "headers": bearer(token_for(client, created["card_number"]))}


def stored_payees() -> list[Payee]:
    with session_factory()() as session:
        return list(session.scalars(select(Payee)))


def mails(kind: str = "payee_added") -> list[OutgoingMail]:
    with session_factory()() as session:
        return list(session.scalars(select(OutgoingMail).where(OutgoingMail.kind == kind)))


def confirm_address(member_id: int, **settings: bool) -> None:
    from shunfuri.clock import wall_now

    with session_factory().begin() as session:
        session.add(MemberMail(member_id=member_id, address="taro@example.jp",
                               confirmed_at=wall_now(), updated_at=wall_now(), **settings))


def name_kana(client, admin_headers, member_id: int, name: str):  # type: ignore[no-untyped-def]
    return client.put(f"/v1/admin/members/{member_id}/name-kana", headers=admin_headers,
                      json={"name_kana": name})


# --- the PIN again (step-up) ------------------------------------------------------------


def test_a_stolen_bearer_token_cannot_add_a_payee_without_the_pin(client, admin_headers):
    victim = member_with_token(client, admin_headers)
    without = client.post("/v1/payees", headers=victim["headers"], json=THIEF)
    assert without.status_code == 422 and without.json()["code"] == "validation_error"
    assert {e["field"] for e in without.json()["errors"]} == {"pin"}
    guessed = client.post("/v1/payees", headers=victim["headers"], json={**THIEF, "pin": "0000"})
    assert guessed.status_code == 401 and guessed.json()["code"] == "invalid_credentials"
    assert guessed.json()["errors"] == [{"field": "pin", "message": "wrong PIN"}]
    assert stored_payees() == [] and mails() == []
    assert client.get("/v1/payees", headers=victim["headers"]).json() == []


def test_wrong_pins_on_a_new_payee_count_towards_the_lock_like_logins(client, admin_headers):
    victim = member_with_token(client, admin_headers)
    # The member's own app: a session is a client the member logged in from, so the PINs
    # asked again in it count with that app's logins toward the in-person lock.
    own_app = device_for(client, victim["card_number"])
    for _ in range(2):
        r = client.post("/v1/payees", headers=victim["headers"], json={**THIEF, "pin": "0000"})
        assert r.status_code == 401
    third = login_card(client, victim["card_number"], "1111", device=own_app)
    assert third.status_code == 401
    locked = login_card(client, victim["card_number"], PIN, device=own_app)
    assert locked.status_code == 423 and locked.json()["code"] == "account_locked"
    # Every session ended with the lock: the stolen token is worth nothing now.
    after = client.post("/v1/payees", headers=victim["headers"], json={**THIEF, "pin": PIN})
    assert after.status_code == 401 and after.json()["code"] in ("token_expired",
                                                                  "account_locked")
    assert stored_payees() == []


def test_three_wrong_payee_pins_lock_the_card_and_end_the_stolen_session(client, admin_headers):
    victim = member_with_token(client, admin_headers)
    codes = [client.post("/v1/payees", headers=victim["headers"],
                         json={**THIEF, "pin": pin}).status_code
             for pin in ("0000", "1111", "2222")]
    assert codes == [401, 401, 401]
    assert client.get("/v1/me", headers=victim["headers"]).status_code == 401
    assert login_card(client, victim["card_number"], PIN).status_code == 423


def test_a_malformed_pin_or_account_counts_nothing(client, admin_headers):
    victim = member_with_token(client, admin_headers)
    for body in ({**THIEF, "pin": "12"}, {**THIEF, "pin": "abcd"},
                 {**THIEF, "bank_code": "9998", "pin": "0000"}) * 2:
        assert client.post("/v1/payees", headers=victim["headers"], json=body).status_code == 422
    added = client.post("/v1/payees", headers=victim["headers"], json={**OWN, "pin": PIN})
    assert added.status_code == 201, added.text


def test_the_right_pin_adds_the_payee_and_audits_it(client, admin_headers):
    member = member_with_token(client, admin_headers)
    added = client.post("/v1/payees", headers=member["headers"], json={**OWN, "pin": "４８２１"})
    assert added.status_code == 201, added.text
    assert "pin" not in added.json()
    with session_factory()() as session:
        row = session.scalar(select(AuditEntry).where(AuditEntry.action == "add_payee"))
    assert row.actor == f"member:{member['member_id']}" and row.ok
    assert row.detail == {"payee_id": added.json()["id"], "bank_code": "0009",
                          "account_last4": "4567"}


def test_a_new_payee_is_mailed_to_the_member_even_with_event_mail_off(client, admin_headers):
    from shunfuri.mail.compose import Envelope, compose
    from shunfuri.services.mail import outbox

    member = member_with_token(client, admin_headers)
    confirm_address(member["member_id"], remind=False, notify_transfer_settled=False,
                    notify_repayment_received=False, notify_overdue=False)
    added = client.post("/v1/payees", headers=member["headers"], json={**OWN, "pin": PIN})
    assert added.status_code == 201
    [row] = mails()
    assert (row.member_id, row.to_address, row.key) == (
        member["member_id"], "taro@example.jp", str(added.json()["id"]))
    message = compose(outbox.from_payload(row.kind, row.payload),
                      Envelope(to=row.to_address, sender="瞬フリ <no-reply@shunfuri.example>",
                               settings_url="https://shunfuri.example/settings/mail"),
                      key=row.key, now=row.created_at)
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "【瞬フリ】振込先口座が登録されました"
    assert "三井住友" in text and "末尾4567" in text and "お心当たりのない場合" in text
    assert "1234567" not in str(row.payload) and "1234567" not in text
    assert member["card_number"] not in text and PIN not in text


def test_no_payee_mail_without_a_confirmed_address_and_none_for_a_refusal(client,
                                                                          admin_headers):
    member = member_with_token(client, admin_headers)
    assert client.post("/v1/payees", headers=member["headers"],
                       json={**OWN, "pin": PIN}).status_code == 201
    assert mails() == []
    confirm_address(member["member_id"])
    assert client.post("/v1/payees", headers=member["headers"],
                       json={**THIEF, "pin": "0000"}).status_code == 401
    assert mails() == []


# --- 本人名義: the member's own name -------------------------------------------------------


def test_once_the_kana_name_is_known_a_payee_in_another_name_is_refused(client, admin_headers):
    member = member_with_token(client, admin_headers)
    recorded = name_kana(client, admin_headers, member["member_id"], "やまだ　たろう")
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["name_kana"] == "ヤマダ タロウ"
    refused = client.post("/v1/payees", headers=member["headers"], json={**THIEF, "pin": PIN})
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "payee_not_own_name"
    assert "本人名義の口座のみ" in body["detail_ja"] and "窓口" in body["detail_ja"]
    assert stored_payees() == []
    # The same name however it is spaced or written passes.
    for holder in ("ﾔﾏﾀﾞﾀﾛｳ", "ヤマダ　タロウ", "やまだ たろう"):
        ok = client.post("/v1/payees", headers=member["headers"],
                         json={**OWN, "holder_name": holder, "pin": PIN})
        assert ok.status_code == 201, ok.text
    # A thief without the PIN learns nothing about the name: the PIN is asked first.
    guessed = client.post("/v1/payees", headers=member["headers"], json={**THIEF, "pin": "0000"})
    assert guessed.json()["code"] == "invalid_credentials"


def test_the_name_is_recorded_with_an_audit_row_and_refused_when_no_account_could_carry_it(
        client, admin_headers):
    member = member_with_token(client, admin_headers)
    bad = name_kana(client, admin_headers, member["member_id"], "山田太郎")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "name_kana"
    assert name_kana(client, admin_headers, member["member_id"], "ﾔﾏﾀﾞ ﾀﾛｳ").status_code == 200
    assert name_kana(client, admin_headers, member["member_id"], "ヤマダ ジロウ").status_code == 200
    with session_factory()() as session:
        rows = list(session.scalars(select(AuditEntry).where(
            AuditEntry.action == "set_name_kana").order_by(AuditEntry.id)))
    assert [(r.ok, (r.detail or {}).get("name_kana_before"), (r.detail or {}).get("name_kana"))
            for r in rows] == [(False, None, None), (True, None, "ヤマダ タロウ"),
                               (True, "ヤマダ タロウ", "ヤマダ ジロウ")]
    assert client.get(f"/v1/admin/members/{member['member_id']}",
                      headers=admin_headers).json()["name_kana"] == "ヤマダ ジロウ"


def test_money_to_or_from_an_old_payee_in_another_name_is_refused_once_the_name_is_known(
        client, admin_headers):
    member = member_with_token(client, admin_headers)
    old = client.post("/v1/payees", headers=member["headers"], json={**THIEF, "pin": PIN})
    assert old.status_code == 201  # registered before anyone knew the member's name
    before = client.post("/v1/transfers", headers=member["headers"],
                         json={"payee_id": old.json()["id"], "amount": 10_000})
    assert before.status_code == 202, before.text
    assert name_kana(client, admin_headers, member["member_id"], "ヤマダ タロウ").status_code == 200
    for headers in ({}, {"Prefer": "wait=1"}, {"Idempotency-Key": "after-the-name"}):
        refused = client.post("/v1/transfers", headers={**member["headers"], **headers},
                              json={"payee_id": old.json()["id"], "amount": 10_000})
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "payee_not_own_name"
        assert "お振込み・ご返済には使えません" in refused.json()["detail_ja"]
    repaid = client.post("/v1/repayments", headers=member["headers"],
                         json={"payee_id": old.json()["id"], "amount": 1_000})
    assert repaid.status_code == 422 and repaid.json()["code"] == "payee_not_own_name"
    # The payee stays listed (history keeps it); an own account works at once.
    assert [p["id"] for p in client.get("/v1/payees", headers=member["headers"]).json()] == [
        old.json()["id"]]
    own = client.post("/v1/payees", headers=member["headers"], json={**OWN, "pin": PIN})
    ok = client.post("/v1/transfers", headers=member["headers"],
                     json={"payee_id": own.json()["id"], "amount": 10_000})
    assert ok.status_code == 202, ok.text


# --- the pages ----------------------------------------------------------------------------


def preview_token(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/payees/new", params={"bank": "0005", "branch": "001"})
    return CSRF.search(page.text).group(1)


def post_payee(client, token: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/payees", follow_redirects=False, data={
        **THIEF, "csrf_token": token, **extra})


def test_a_stolen_web_session_cannot_add_a_payee_without_the_pin(client, admin_headers):
    member = signed_in(client, admin_headers)
    token = preview_token(client)
    preview = client.post("/payees/preview", data={**THIEF, "csrf_token": token})
    assert preview.status_code == 200
    assert 'id="f-pin"' in preview.text and 'type="password"' in preview.text
    missing = post_payee(client, token)
    assert missing.status_code == 422 and 'id="e-pin"' in missing.text
    wrong = post_payee(client, token, pin="0000")
    assert wrong.status_code == 401 and "暗証番号が正しくありません" in wrong.text
    assert "3回続けて間違えるとロック" in wrong.text
    assert stored_payees() == []
    post_payee(client, token, pin="1111")
    assert post_payee(client, token, pin="2222").status_code == 401  # the 3rd locks the card
    assert client.get("/payees", follow_redirects=False).status_code == 303  # signed out
    # The form's token was bound to the ended session: even the right PIN adds nothing.
    assert post_payee(client, token, pin=PIN).status_code == 403
    assert login_card(client, member["card_number"], PIN).status_code == 423
    assert stored_payees() == []


def test_the_member_with_the_pin_adds_a_payee_from_the_page(client, admin_headers):
    signed_in(client, admin_headers)
    done = post_payee(client, preview_token(client), pin=PIN)
    assert (done.status_code, done.headers["location"]) == (303, "/payees?added=1")
    assert "お知らせを" in client.get("/payees?added=1").text


def test_pages_refuse_an_account_in_another_name_and_say_why(client, admin_headers):
    member = signed_in(client, admin_headers)
    token = preview_token(client)
    assert post_payee(client, token, pin=PIN).status_code == 303  # before the name is known
    [old] = stored_payees()
    assert name_kana(client, admin_headers, member["member_id"], "ヤマダ タロウ").status_code == 200
    listed = client.get("/payees").text
    assert "ご本人名義ではないため" in listed and f"/transfer?payee={old.id}" not in listed
    form = client.get("/transfer")
    review = client.post("/transfer/review", data={
        "payee_id": str(old.id), "amount": "10000", "key": "web-x",
        "csrf_token": CSRF.search(form.text).group(1)})
    assert review.status_code == 422 and "ご本人名義ではないため" in review.text
    refused = post_payee(client, preview_token(client), pin=PIN)
    assert refused.status_code == 422 and "ご本人名義の口座のみ登録できます" in refused.text
    new = client.get("/payees/new", params={"bank": "0005", "branch": "001"}).text
    assert "ご本人名義（ヤマダ タロウ）の口座のみ" in new


def test_the_desk_records_the_name_from_an_identity_document_and_an_operator_cannot(
        client, admin_headers):
    from tests.integration.staff_helpers import enrolled

    member = create_member(client, admin_headers)
    path = f"/staff/members/{member['member_id']}"
    enrolled(client, "desk7", "desk")
    page = client.get(path)
    assert "お名前（カナ）の登録・訂正" in page.text and "未登録" in page.text
    token = CSRF.search(page.text).group(1)
    no_document = client.post(f"{path}/name-kana", data={"name": "ヤマダ タロウ",
                                                         "csrf_token": token})
    assert no_document.status_code == 422 and "本人確認書類を選んでください" in no_document.text
    kanji = client.post(f"{path}/name-kana", data={"name": "山田太郎", "csrf_token": token,
                                                    "document": "driving_licence"})
    assert kanji.status_code == 422 and 'id="e-name-kana"' in kanji.text
    done = client.post(f"{path}/name-kana", follow_redirects=False, data={
        "name": "やまだ　たろう", "document": "driving_licence", "csrf_token": token})
    assert (done.status_code, done.headers["location"]) == (303, f"{path}?done=name_kana")
    assert 'id="member-name-kana">ヤマダ タロウ<' in client.get(path).text
    with session_factory()() as session:
        row = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "set_name_kana", AuditEntry.ok.is_(True))).one()
    assert row.actor == "staff:desk7" and row.detail["id_document"] == "driving_licence"
    assert row.detail["name_kana"] == "ヤマダ タロウ" and row.source

    client.cookies.clear()
    enrolled(client, "ops7", "operator")
    refused = client.post(f"{path}/name-kana", data={
        "name": "スズキ ハナコ", "document": "driving_licence",
        "csrf_token": CSRF.search(client.get("/staff/").text).group(1)})
    assert refused.status_code == 403
    assert client.get(f"/v1/admin/members/{member['member_id']}",
                      headers=admin_headers).json()["name_kana"] == "ヤマダ タロウ"
