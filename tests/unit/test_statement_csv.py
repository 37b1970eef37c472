"""The statement's CSV and the month parameter, from a replayed ledger (no database)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from shunfuri.domain.instants import JST
from shunfuri.domain.ledger import AdvanceSettled, RepaymentSettled
from shunfuri.domain.statement import statement
from shunfuri.errors import ShunfuriError
from shunfuri.services.repayments.statements import CSV_HEADER, as_csv, as_dict, parse_month


def test_the_csv_has_the_header_the_lines_and_the_balances():
    # Spec: a transfer settled on 1 December accrues from 2 December; the first advance's
    # 30 days after it are free, so a repayment on 10 January pays 10 days of interest.
    events = [AdvanceSettled(datetime(2026, 12, 1, 10, tzinfo=JST), 100_000, "t1"),
              RepaymentSettled(datetime(2027, 1, 10, 10, tzinfo=JST), 10_000, "r1")]
    s = statement(events, 2027, 1, date(2027, 1, 31))
    raw = as_csv(s)
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert rows[1][1:] == ["前月からの繰越", "", "", "", "", "", "", "", "100000", "0"]
    interest = 100_000 * 1780 * 10 // 3_650_000  # 1 .. 10 Jan 2027 (Y = 365)
    repaid = [r for r in rows if r[1] == "ご返済"][0]
    assert repaid[:5] == ["2027-01-10", "ご返済", "10000", str(interest), str(10_000 - interest)]
    assert rows[-1][0] == "2027-01-31" and rows[-1][9] == str(100_000 - 10_000 + interest)
    body = as_dict(s)
    assert body["month"] == "2027-01" and body["closing_principal"] == 90_000 + interest


@pytest.mark.parametrize("raw", ["2026-13", "2026-1", "26-01", "", "2026-01-01", "１２３４-01", "２０２６-01"])
def test_a_month_is_yyyy_mm(raw):
    with pytest.raises(ShunfuriError) as refused:
        parse_month(raw)
    assert refused.value.code == "validation_error"


def test_a_good_month():
    assert parse_month("2028-02") == (2028, 2)
