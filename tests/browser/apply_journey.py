"""Becoming a member in the browser: what the browser tests and `make screenshots` share
(the applicant's answers, walking the /apply steps, the contract, the first payee)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

import httpx
from playwright.sync_api import expect

_phones = itertools.count(1)
PIN = "2580"
KANA = "ヤマダ ハナコ"

# (label, value) per step, as an applicant on a phone may type them: full-width digits,
# hyphens and hiragana are read as the API reads them.
STEPS: dict[str, list[tuple[str, str]]] = {
    "name": [("お名前", "山田　花子"), ("お名前（フリガナ）", "やまだ はなこ"),
             ("生年月日", "１９９０／４／１")],
    "contact": [("電話番号", ""), ("メールアドレス", "hanako@example.jp"),
                ("郵便番号", "１５０－０００１"), ("ご住所", "東京都渋谷区神宮前１－２－３")],
    "work": [("会社員", "check"), ("お勤め先の名称", "株式会社サンプル"),
             ("お勤め先の電話番号", "０３－１２３４－５６７８")],
    "income": [("年収（税込み・円）", "４，０００，０００"), ("他社からのお借入れ件数", "０"),
               ("他社からのお借入れ残高の合計（円）", "0")],
    "limit": [("ご希望の利用限度額（円）", "３００，０００")],
}


USED_PHONES: list[str] = []  # every number typed, to look for in the logs afterwards


def new_phone() -> str:
    """A mobile number of this run alone (the bureau simulator answers 'no record')."""
    number = f"090-{os.getpid() % 10_000:04d}-{next(_phones):04d}"
    USED_PHONES.append(number)
    return number


def fill(page, fields: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    for label, value in fields:
        target = page.get_by_label(label, exact=True)
        if value == "check":
            target.check()
        else:
            target.fill(value)


def answers(phone: str, **changes: list[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    steps = {key: list(fields) for key, fields in STEPS.items()}
    steps["contact"][0] = ("電話番号", phone)
    steps.update(changes)
    return steps


def walk(page, steps: dict, *, skip_filled: tuple[str, ...] = (),  # type: ignore[no-untyped-def]
         on_step: Callable[[str], None] | None = None) -> None:
    """From the first step (already open) to the confirmation page. `skip_filled`:
    labels already filled (by お試し診断)."""
    for key, fields in steps.items():
        expect(page.locator("ol.steps [aria-current=step]")).to_be_visible()
        fill(page, [(label, value) for label, value in fields if label not in skip_filled])
        if on_step:
            on_step(key)
        button = "入力内容を確認する" if key == "limit" else "次へ進む"
        page.get_by_role("button", name=button).click()
    expect(page.get_by_role("heading", name="入力内容の確認")).to_be_visible()


def submit(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("審査のため、信用情報機関に", exact=False).check()
    page.get_by_role("button", name="この内容で申し込む").click()
    expect(page.get_by_role("heading", name="お申し込みの状況")).to_be_visible()


def accept(page, *, pin: str = PIN, due_day: str = "毎月25日") -> str:  # type: ignore[no-untyped-def]
    """From the status page of an approved application: the document, the acceptance;
    the card number shown once."""
    page.get_by_role("link", name="契約内容を確認する").click()
    expect(page.get_by_role("heading", name="ご契約の内容（契約締結前書面）")).to_be_visible()
    page.get_by_role("link", name="内容を確認して、契約の手続きへ進む").click()
    agree_and_pin(page, pin, due_day)
    page.get_by_role("button", name="同意して契約する").click()
    expect(page.get_by_role("heading", name="ご契約が完了しました")).to_be_visible()
    return page.locator("#card-number").inner_text().replace(" ", "")


def agree_and_pin(page, pin: str, due_day: str = "毎月25日") -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("契約締結前書面の内容を確認し、契約の内容に同意します。").check()
    page.get_by_label("契約締結時書面などの書面を、メールで受け取ること（電子交付）に同意します。").check()
    page.get_by_label("暗証番号（4桁）", exact=True).fill(pin)
    page.get_by_label("暗証番号（確認のためもう一度）").fill(pin)
    page.get_by_label(due_day, exact=True).check()


def own_payee(page, pin: str = PIN) -> None:  # type: ignore[no-untyped-def]
    """Register an SMBC account in the applicant's own name (the payee form asks the PIN)."""
    page.goto("/payees/new?bank=0009&branch=001")
    page.get_by_label("口座番号（7桁まで）").fill("１２３４５６７")
    page.get_by_label("口座名義（カナ）").fill("ヤマダ　ハナコ")
    page.get_by_role("button", name="確認する").click()
    page.get_by_label("暗証番号（4桁）").fill(pin)
    page.get_by_role("button", name="この内容で登録する").click()
    expect(page.get_by_role("status")).to_contain_text("振込先口座を登録しました")


def bureau_record(system, phone: str, **figures: object) -> None:  # type: ignore[no-untyped-def]
    url = system.env_of_children()["SHUNFURI_BUREAU_URL"]
    r = httpx.put(f"{url}/v1/bureau/records", timeout=10, json={
        "kana_name": KANA, "birth_date": "1990-04-01", "phone": phone, "other_balance": 0,
        "other_count": 0, "delinquent": False, **figures})
    assert r.status_code == 200, r.text
