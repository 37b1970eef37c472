"""Payees: Zengin-checked, normalised, and private to their member."""

from __future__ import annotations

import pytest

from tests.integration.member_helpers import PIN, bearer, create_member, token_for

SMBC = {"bank_code": "0009", "branch_code": "001"}


def payee(**overrides):
    body = {**SMBC, "account_type": "ordinary", "account_number": "1234567",
            "holder_name": "ヤマダ タロウ", "pin": PIN}
    body.update(overrides)
    return body


@pytest.fixture()
def member_token(client, admin_headers):
    member = create_member(client, admin_headers)
    return token_for(client, member["card_number"])


def test_register_and_list(client, member_token):
    response = client.post("/v1/payees", json=payee(account_number="１２３", holder_name="やまだ　たろう"),
                           headers=bearer(member_token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["bank_code"] == "0009" and body["branch_code"] == "001"
    assert body["bank_name"] and body["branch_name"]
    assert body["account_type"] == "ordinary"
    assert body["account_number"] == "0000123"
    assert body["holder_name"] == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert isinstance(body["id"], int)
    listed = client.get("/v1/payees", headers=bearer(member_token))
    assert listed.status_code == 200
    assert listed.json() == [body]
    one = client.get(f"/v1/payees/{body['id']}", headers=bearer(member_token))
    assert one.json() == body


@pytest.mark.parametrize("account_type", ["ordinary", "current", "savings"])
def test_account_types(client, member_token, account_type):
    response = client.post("/v1/payees", json=payee(account_type=account_type),
                           headers=bearer(member_token))
    assert response.status_code == 201
    assert response.json()["account_type"] == account_type


@pytest.mark.parametrize(
    "overrides,code",
    [
        ({"bank_code": "9998"}, "unknown_bank"),
        ({"bank_code": "12"}, "validation_error"),
        ({"branch_code": "999"}, "unknown_branch"),
        ({"account_number": "12345678"}, "validation_error"),
        ({"account_number": "12-3456"}, "validation_error"),
        ({"account_number": "abc"}, "validation_error"),
        ({"account_number": 1234567}, "validation_error"),
        ({"account_type": "checking"}, "validation_error"),
        ({"holder_name": "山田太郎"}, "invalid_holder_name"),
        ({"holder_name": ""}, "validation_error"),
        ({"nickname": "mum"}, "validation_error"),
    ],
)
def test_refusals(client, member_token, overrides, code):
    response = client.post("/v1/payees", json=payee(**overrides), headers=bearer(member_token))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


def test_invalid_holder_name_says_which_character(client, member_token):
    response = client.post("/v1/payees", json=payee(holder_name="ヤマダ☆タロウ"),
                           headers=bearer(member_token))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_holder_name"
    assert body["character"] == "☆" and body["position"] == 4
    assert "☆" in body["detail"] and body["detail_ja"]


def test_a_member_cannot_read_another_members_payee(client, admin_headers):
    alice = token_for(client, create_member(client, admin_headers)["card_number"])
    bob = token_for(client, create_member(client, admin_headers)["card_number"])
    created = client.post("/v1/payees", json=payee(), headers=bearer(alice)).json()
    response = client.get(f"/v1/payees/{created['id']}", headers=bearer(bob))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    missing = client.get("/v1/payees/987654", headers=bearer(bob))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert response.json() == missing.json()  # indistinguishable from no such id
    assert client.get("/v1/payees", headers=bearer(bob)).json() == []
    assert client.get(f"/v1/payees/{created['id']}", headers=bearer(alice)).status_code == 200
    assert client.get("/v1/payees/99999999999999999999", headers=bearer(bob)).status_code == 404


def test_payees_need_a_token(client):
    assert client.get("/v1/payees").status_code == 401
    assert client.post("/v1/payees", json=payee()).status_code == 401
