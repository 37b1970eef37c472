"""The bank master: Zengin codes, the real-time table as data, refusals of bad codes."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from shunfuri import catalogue
from shunfuri.domain.banks import Bank, Branch, get_bank, get_branch, realtime_table
from shunfuri.domain.windows import WeeklyWindow, YearlyWindow
from shunfuri.errors import ShunfuriError


def test_real_time_banks() -> None:
    smbc = get_bank("0009")
    assert smbc.realtime and smbc.code == "0009" and smbc.name == "三井住友"
    assert smbc.maintenance == (
        WeeklyWindow.parse("Sun 21:00", "Mon 07:00"),
        YearlyWindow.parse("01-01 00:00", "01-02 00:00"),
    )
    paypay = get_bank("0033")
    assert paypay.realtime and "ＰａｙＰａｙ" in paypay.name
    assert paypay.maintenance == (
        WeeklyWindow.parse("Mon 00:00", "Mon 07:00"),
        YearlyWindow.parse("01-01 00:00", "01-02 00:00"),
    )


@pytest.mark.parametrize("code", ["0001", "0005", "0010", "0017", "0036", "0038"])
def test_other_zengin_banks_are_standard(code: str) -> None:
    bank = get_bank(code)
    assert isinstance(bank, Bank) and not bank.realtime and bank.maintenance == ()
    assert bank.name


def test_the_table_is_the_data_file() -> None:
    raw = json.loads(
        resources.files("shunfuri").joinpath("data", "realtime_banks.json").read_text("utf-8")
    )
    codes = [entry["code"] for entry in raw["banks"]]
    assert codes == list(realtime_table())
    for code in codes:
        assert get_bank(code).realtime  # every real-time bank is in the Zengin master


def test_bank_is_frozen() -> None:
    with pytest.raises(AttributeError):
        get_bank("0009").realtime = False  # type: ignore[misc]


@pytest.mark.parametrize(
    "code",
    ["9999", "0000", "009", "00009", "", " 0009", "0009 ", "0009\n", "abcd", "０００９",
     "٠٠٠٩", "0x09", "-009", "0009; DROP TABLE banks", "0" * 10_000, None, 9, 9.0,
     ["0009"], b"0009"],
)
def test_unknown_banks(code: object) -> None:
    with pytest.raises(ShunfuriError) as info:
        get_bank(code)  # type: ignore[arg-type]
    assert info.value.code == "unknown_bank"
    assert catalogue.status(info.value) == 422
    json.dumps(catalogue.problem(info.value))  # the code echoed back stays serialisable


def test_unknown_bank_names_the_code() -> None:
    with pytest.raises(ShunfuriError) as info:
        get_bank("9999")
    assert info.value.extra == {"bank_code": "9999"}


def test_branches() -> None:
    assert get_branch("0009", "001") == Branch(code="001", name="神保町")
    branch = get_branch("0033", "001")
    assert branch.code == "001" and branch.name


@pytest.mark.parametrize("branch_code", ["999", "01", "0001", "", "abc", "００１", None, 1])
def test_unknown_branches(branch_code: object) -> None:
    with pytest.raises(ShunfuriError) as info:
        get_branch("0009", branch_code)  # type: ignore[arg-type]
    assert info.value.code == "unknown_branch"
    assert info.value.extra["bank_code"] == "0009"


def test_branch_of_an_unknown_bank() -> None:
    with pytest.raises(ShunfuriError) as info:
        get_branch("9999", "001")
    assert info.value.code == "unknown_bank"


def test_bank_codes_are_the_zengin_master() -> None:
    from shunfuri.domain.banks import bank_codes

    codes = bank_codes()
    assert len(codes) > 1000 and "0009" in codes and "0033" in codes
    assert all(len(c) == 4 and c.isdigit() for c in codes)
    assert get_bank(codes[-1]).code == codes[-1]
