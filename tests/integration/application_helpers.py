"""Helpers for the application tests: a form, the bureau simulator as a real process, a
screening context on it, and the business clock standing still."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shunfuri.clock import SimulatedClock, get_clock, set_clock, wall_now
from shunfuri.db.applications import Application
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from shunfuri.gateway.bureau import HttpBureauGateway
from shunfuri.services.applications import screening
from tests.bureau_simulator import BureauProcess, running_bureau

TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=JST)
_phones = itertools.count(10_000_000)


def new_phone() -> str:
    """A mobile number no other test uses (the bureau's records outlive a test)."""
    return f"090{next(_phones):08d}"


def form(**changes: Any) -> dict[str, Any]:
    """An application the rules approve at ¥300,000 (income ¥4,000,000, no other debt)."""
    body: dict[str, Any] = {
        "name_kanji": "山田 花子", "name_kana": "ヤマダ ハナコ", "birth_date": "1990-04-01",
        "phone": new_phone(), "email": "hanako@example.jp", "postal_code": "150-0001",
        "address": "東京都渋谷区神宮前1-2-3", "employment": "employee",
        "employer_name": "株式会社サンプル", "employer_phone": "03-1234-5678",
        "annual_income": 4_000_000, "other_count": 0, "other_balance": 0,
        "requested_limit": 300_000,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stand(instant: datetime) -> None:
    """The business clock at `instant`, all but stopped."""
    set_clock(SimulatedClock(start=instant, speed=0.0001))


@pytest.fixture()
def at() -> Iterator[Any]:
    stand(TUESDAY)
    yield stand
    set_clock(None)


@pytest.fixture(scope="module")
def bureau_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BureauProcess]:
    folder: Path = tmp_path_factory.mktemp("bureau")
    with running_bureau(folder) as bureau:
        yield bureau


@pytest.fixture()
def bureau(bureau_process: BureauProcess) -> Iterator[BureauProcess]:
    """The module's bureau process, without faults for each test."""
    bureau_process.calm()
    yield bureau_process
    bureau_process.calm()


def context(bureau: BureauProcess, *, timeout: float = 2.0, **changes: Any) -> screening.Context:
    values: dict[str, Any] = dict(
        sessions=session_factory(), bureau=HttpBureauGateway(bureau.url, timeout=timeout),
        now=lambda: get_clock().now(), wall=wall_now)
    values.update(changes)
    return screening.Context(**values)


def application(application_id: str) -> Application:
    with session_factory()() as session:
        row = session.get(Application, application_id)
        assert row is not None
        session.expunge(row)
        return row


def count_applications() -> int:
    with session_factory()() as session:
        return session.scalar(select(func.count()).select_from(Application)) or 0
