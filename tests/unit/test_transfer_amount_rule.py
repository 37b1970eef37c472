"""The transfer form states the amount rule the service enforces, from the settings."""

from __future__ import annotations

import pytest

from shunfuri.domain.credit import validate_amount
from shunfuri.settings import get_settings
from web.routes.transfer import amount_rule


@pytest.fixture()
def rule(monkeypatch):
    def with_settings(minimum: int, step: int) -> dict[str, str]:
        monkeypatch.setenv("SHUNFURI_AMOUNT_MINIMUM", str(minimum))
        monkeypatch.setenv("SHUNFURI_AMOUNT_STEP", str(step))
        get_settings.cache_clear()
        return amount_rule()
    yield with_settings
    get_settings.cache_clear()


def test_the_default_rule_is_1000_yen_steps(rule) -> None:
    said = rule(1000, 1000)
    assert said["hint"] == "1,000円単位で入力してください（例：30000 または 30,000）。"
    assert said["error"] == "金額は1,000円以上、1,000円単位で入力してください。"


def test_other_settings_change_what_the_form_says(rule) -> None:
    said = rule(50_000, 7_000)
    assert "7,000円単位" in said["hint"] and "1,000円" not in said["hint"]
    assert said["error"] == "金額は50,000円以上、7,000円単位で入力してください。"
    example = int(said["hint"].split("例：")[1].split(" ")[0])
    assert validate_amount(example, minimum=50_000, step=7_000) == example
