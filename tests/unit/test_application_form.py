"""The application form read whole: what people type (full-width digits, hyphens, 〒,
hiragana and half-width kana) made canonical, and every wrong field named at once with
a code and Japanese, never repeating what was typed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shunfuri import catalogue, messages
from shunfuri.domain import person_fields as pf
from shunfuri.domain.applicants import EMPLOYMENTS, PROOF_KINDS, IncomeProof
from shunfuri.domain.application_form import (
    read_application,
    read_eligibility,
    read_income_proof,
)
from shunfuri.errors import ShunfuriError
from tests.examples import examples

TODAY = date(2026, 12, 1)
TYPED = {
    "name_kanji": "山田　太郎",
    "name_kana": "やまだ　ﾀﾛｳ",
    "birth_date": "１９９０－０４－０１",
    "phone": "０９０－１２３４－５６７８",
    "email": "taro@example.jp",
    "postal_code": "〒１５０－０００１",
    "address": "東京都渋谷区神宮前１－２－３　サンプルビル４０１",
    "employment": "employee",
    "employer_name": "株式会社　見本",
    "employer_phone": "03-1234-5678",
    "annual_income": "４，０００，０００円",
    "other_count": "１",
    "other_balance": "200,000",
    "requested_limit": 500_000,
}


def form(**changes: Any) -> dict[str, Any]:
    return {**TYPED, **changes}


def refusals(raw: dict[str, Any]) -> dict[str, str]:
    """{field: code} of a refused form."""
    with pytest.raises(ShunfuriError) as caught:
        read_application(raw, TODAY)
    assert caught.value.code == "validation_error"
    return {item["field"]: item["code"] for item in caught.value.extra["errors"]}


def test_a_form_typed_on_a_phone_comes_out_canonical() -> None:
    read = read_application(TYPED, TODAY)
    assert (read.name_kanji, read.name_kana) == ("山田 太郎", "ヤマダ タロウ")
    assert (read.birth_date, read.phone, read.postal_code) == (
        date(1990, 4, 1), "09012345678", "1500001")
    assert read.address == "東京都渋谷区神宮前1-2-3 サンプルビル401"
    assert (read.employment, read.employer_name, read.employer_phone) == (
        "employee", "株式会社 見本", "0312345678")
    assert (read.annual_income, read.other_count, read.other_balance, read.requested_limit) == (
        4_000_000, 1, 200_000, 500_000)
    assert read.income_proof is None
    assert read.phones == ("09012345678", "0312345678")


@pytest.mark.parametrize(
    ("typed", "kana"),
    [("やまだ たろう", "ヤマダ タロウ"), ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
     ("ヤマダ　　タロウ ", "ヤマダ タロウ"), ("ｺｰﾋｰ", "コーヒー"), ("コ-ヒ‐", "コーヒー"),
     ("スミス・ジョン", "スミス ジョン"), ("ｽﾐｽ･ｼﾞｮﾝ", "スミス ジョン"), ("ゔぁ", "ヴァ"),
     ("キャッシュ", "キャッシュ")],
)
def test_kana_names(typed: str, kana: str) -> None:
    assert pf.kana_name(typed) == kana


@pytest.mark.parametrize("typed", ["Yamada", "山田", "ヤマダ1", "ヤマダ〜", "ー ー", "・", "   "])
def test_kana_names_refused(typed: str) -> None:
    with pytest.raises(pf.FieldRefused) as caught:
        pf.kana_name(typed)
    assert caught.value.code in {"not_kana", "required"}


@pytest.mark.parametrize(("typed", "name"), [("山田　太郎", "山田 太郎"), ("佐々木 一", "佐々木 一"),
                                             ("Ｓｍｉｔｈ　John", "Smith John"),
                                             ("O'Brien-Tanaka", "O'Brien-Tanaka")])
def test_names_as_written(typed: str, name: str) -> None:
    assert pf.kanji_name(typed) == name


@pytest.mark.parametrize("typed", ["山田3郎", "山田<b>", "-", "x" * 41])
def test_names_refused(typed: str) -> None:
    with pytest.raises(pf.FieldRefused):
        pf.kanji_name(typed)


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("090-1234-5678", "09012345678"), ("０９０－１２３４－５６７８", "09012345678"),
     ("+81 90 1234 5678", "09012345678"), ("(03) 1234-5678", "0312345678"),
     ("0312345678", "0312345678"), ("050-1234-5678", "05012345678"),
     ("070ー1234ー5678", "07012345678"), ("0120-123-456", "0120123456"),
     ("0800-123-4567", "08001234567")],
)
def test_phones(typed: str, digits: str) -> None:
    assert pf.phone(typed) == digits


@pytest.mark.parametrize(
    "typed", ["090-1234-567", "080-1234-56789", "03-1234-56789", "03-1234-567", "1234567890",
              "001-234-5678", "090-1234-abcd", "0"],
)
def test_phones_refused(typed: str) -> None:
    with pytest.raises(pf.FieldRefused) as caught:
        pf.phone(typed)
    assert caught.value.code == "invalid_phone"


@pytest.mark.parametrize("typed", ["〒150-0001", "１５００００１", "150 0001", "〒１５０ー０００１"])
def test_postal_codes(typed: str) -> None:
    assert pf.postal_code(typed) == "1500001"


@pytest.mark.parametrize("typed", ["150-001", "1500-0001", "15O-0001"])
def test_postal_codes_refused(typed: str) -> None:
    with pytest.raises(pf.FieldRefused):
        pf.postal_code(typed)


@pytest.mark.parametrize(
    ("typed", "day"),
    [("1990-04-01", date(1990, 4, 1)), ("1990/4/1", date(1990, 4, 1)),
     ("1990年4月1日", date(1990, 4, 1)), ("19900401", date(1990, 4, 1)),
     ("２００８年２月２９日", date(2008, 2, 29)), (date(1990, 4, 1), date(1990, 4, 1)),
     ("2026-12-01", TODAY)],
)
def test_birth_dates(typed: Any, day: date) -> None:
    assert pf.birth_date(typed, TODAY) == day


@pytest.mark.parametrize(
    ("typed", "code"),
    [("2007-02-29", "invalid_date"), ("1990-13-01", "invalid_date"), ("1.4.1990", "invalid_date"),
     ("2026-12-02", "in_future"), ("1899-12-31", "too_early"), ("", "required"), (19900401, "invalid")],
)
def test_birth_dates_refused(typed: Any, code: str) -> None:
    with pytest.raises(pf.FieldRefused) as caught:
        pf.birth_date(typed, TODAY)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("typed", "value"),
    [("４，０００，０００円", 4_000_000), ("¥1,000", 1000), ("0", 0), (0, 0),
     (" 300 000 ", 300_000), (1_000_000_000, 1_000_000_000)],
)
def test_yen(typed: Any, value: int) -> None:
    assert pf.whole_number(typed, 0, 1_000_000_000) == value


@pytest.mark.parametrize(
    ("typed", "code"),
    [(-1, "out_of_range"), ("-1", "not_whole_number"), (1.5, "not_whole_number"),
     (True, "not_whole_number"), ("1e6", "not_whole_number"), ("三百万", "not_whole_number"),
     (1_000_000_001, "out_of_range"), ("9" * 30, "out_of_range"), ("", "required"),
     (None, "required")],
)
def test_yen_refused(typed: Any, code: str) -> None:
    with pytest.raises(pf.FieldRefused) as caught:
        pf.whole_number(typed, 0, 1_000_000_000)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("limit", "code"),
    [(10_000, None), (5_000_000, None), (9_999, "out_of_range"), (0, "out_of_range"),
     (15_000, "not_in_steps"), (5_010_000, "out_of_range"), ("５０万", "not_whole_number")],
)
def test_the_requested_limit_is_10_000_to_5_000_000_in_steps_of_10_000(
    limit: Any, code: str | None,
) -> None:
    if code is None:
        assert read_application(form(requested_limit=limit), TODAY).requested_limit == limit
    else:
        assert refusals(form(requested_limit=limit)) == {"requested_limit": code}


@pytest.mark.parametrize(("count", "code"), [(0, None), (99, None), (100, "out_of_range"),
                                             (-1, "out_of_range")])
def test_other_count_0_to_99(count: int, code: str | None) -> None:
    if code is None:
        assert read_application(form(other_count=count), TODAY).other_count == count
    else:
        assert refusals(form(other_count=count)) == {"other_count": code}


@pytest.mark.parametrize("employment", EMPLOYMENTS)
def test_the_employer_is_asked_of_everyone_but_pensioners_and_the_unemployed(
    employment: str,
) -> None:
    without = form(employment=employment, employer_name=None, employer_phone="")
    if employment in {"pension_only", "unemployed"}:
        read = read_application(form(employment=employment), TODAY)  # sent, but not kept
        assert (read.employer_name, read.employer_phone) == (None, None)
        assert read.phones == ("09012345678",)
        assert read_application(without, TODAY).employer_name is None
    else:
        assert refusals(without) == {"employer_name": "required", "employer_phone": "required"}


def test_an_unknown_employment_is_named() -> None:
    assert refusals(form(employment="会社員")) == {"employment": "unknown_choice"}


@pytest.mark.parametrize("kind", PROOF_KINDS)
def test_income_proof_of_each_kind(kind: str) -> None:
    read = read_application(form(income_proof={"kind": kind, "annual_income": "３,０００,０００"}),
                            TODAY)
    assert read.income_proof == IncomeProof(kind, 3_000_000)
    applicant = read.applicant(datetime(2026, 12, 1, 3, tzinfo=UTC))
    assert applicant.income == 3_000_000 and applicant.annual_income == 4_000_000


@pytest.mark.parametrize("absent", [None, {}])
def test_no_income_proof(absent: Any) -> None:
    assert read_application(form(income_proof=absent), TODAY).income_proof is None


def test_a_wrong_income_proof_names_its_nested_fields() -> None:
    assert refusals(form(income_proof={"kind": "diary"})) == {
        "income_proof.kind": "unknown_choice", "income_proof.annual_income": "required"}
    assert refusals(form(income_proof="yes")) == {"income_proof": "invalid"}


def test_the_documents_step_reads_a_proof_alone() -> None:
    assert read_income_proof({"kind": "tax_return", "annual_income": 5_200_000}) == IncomeProof(
        "tax_return", 5_200_000)
    with pytest.raises(ShunfuriError) as caught:
        read_income_proof({"kind": "payslip", "annual_income": -5})
    assert [(e["field"], e["code"]) for e in caught.value.extra["errors"]] == [
        ("annual_income", "out_of_range")]


def test_every_wrong_field_at_once_in_the_forms_order_without_repeating_values() -> None:
    planted = "ｼﾞｮﾝ・ﾄﾞｩ1"
    raw = form(name_kanji="", name_kana=planted, birth_date="2099-01-01", phone="12345",
               postal_code="99", address=None, annual_income="沢山", other_balance=-5)
    with pytest.raises(ShunfuriError) as caught:
        read_application(raw, TODAY)
    body = catalogue.problem(caught.value)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("name_kanji", "required"), ("name_kana", "not_kana"), ("birth_date", "in_future"),
        ("phone", "invalid_phone"), ("postal_code", "invalid_postal_code"),
        ("address", "required"), ("annual_income", "not_whole_number"),
        ("other_balance", "out_of_range"),
    ]
    for item in body["errors"]:
        assert item["message"] and item["message_ja"].endswith("。")
    text = str(body)
    for value in (planted, "2099", "12345", "沢山"):
        assert value not in text


def test_the_whole_body_must_be_an_object() -> None:
    with pytest.raises(ShunfuriError) as caught:
        read_application(["not", "an", "object"], TODAY)  # type: ignore[arg-type]
    assert caught.value.extra["errors"][0]["code"] == "invalid"


def test_japanese_for_each_field_and_code() -> None:
    cases = {
        ("name_kana", "not_kana"): "フリガナは全角カタカナで",
        ("requested_limit", "out_of_range", 10_000, 5_000_000):
            "ご希望の利用限度額は1万円から500万円までで",
        ("other_count", "out_of_range", 0, 99): "他社からのお借入れ件数は0件から99件までで",
        ("annual_income", "out_of_range", 0, 1_000_000_000): "年収は0円から10億円までで",
        ("employment", "required"): "ご職業を選んでください。",
        ("address", "required"): "ご住所を入力してください。",
        ("name_kanji", "too_long"): "お名前は40文字以内で",
    }
    for key, expected in cases.items():
        field, code, *bounds = key
        params: dict[str, Any] = {"max": 40}
        if bounds:
            params = {"low": bounds[0], "high": bounds[1]}
        assert expected in messages.field_error_ja(field, code, **params)
    assert "1万円単位" in messages.field_error_ja("requested_limit", "not_in_steps", step=10_000)


# --- お試し診断's form -----------------------------------------------------------------


def test_eligibility_form() -> None:
    read = read_eligibility({"birth_date": "1990/4/1", "annual_income": "３００００００",
                             "other_borrowing": 0}, TODAY)
    assert (read.birth_date, read.annual_income, read.other_borrowing) == (
        date(1990, 4, 1), 3_000_000, 0)
    with pytest.raises(ShunfuriError) as caught:
        read_eligibility({"birth_date": "1990-02-30", "annual_income": 1.5}, TODAY)
    assert [(e["field"], e["code"]) for e in caught.value.extra["errors"]] == [
        ("birth_date", "invalid_date"), ("annual_income", "not_whole_number"),
        ("other_borrowing", "required")]


# --- anything at all -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
# Every field present with any value, or the typed form with one field replaced.
bodies = st.one_of(
    st.fixed_dictionaries({key: json_values for key in TYPED}),
    st.builds(lambda key, value: form(**{key: value}),
              st.sampled_from([*TYPED, "income_proof"]), json_values),
    json_values,
)


@settings(max_examples=examples(400), deadline=None)
@given(raw=bodies)
def test_any_body_is_read_or_refused_as_validation_error(raw: Any) -> None:
    for reader in (lambda r: read_application(r, TODAY), lambda r: read_eligibility(r, TODAY),
                   read_income_proof):
        try:
            reader(raw)
        except ShunfuriError as refused:
            assert refused.code == "validation_error"
            assert all(item["message_ja"] for item in refused.extra["errors"])
