"""A member's month (ご利用明細) as JSON-ready data and as CSV.

The lines are the replayed ledger's (`domain.statement`): every advance, repayment (with
its split) and interest period closed in that JST month, with the balances after each;
the closing balances show the open period's interest accrued through the month's last day
(or today) without closing it.

CSV: UTF-8 with a byte-order mark (so spreadsheet software opens the Japanese headers
as UTF-8), CRLF line ends (RFC 4180), one header row; money in whole yen.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from shunfuri.domain.ledger import Line
from shunfuri.domain.statement import Statement, statement
from shunfuri.errors import ShunfuriError
from shunfuri.services.repayments.dues import events_of

# The years the calendar covers (2000-2999), stated as the OpenAPI `pattern` too.
MONTH_PATTERN = r"^(2[0-9]{3})-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN, re.ASCII)

KIND_JA = {"advance": "ご融資（瞬フリ）", "repayment": "ご返済", "interest": "利息",
           "rate_change": "年率変更", "due_day_change": "返済日変更"}


def parse_month(raw: str) -> tuple[int, int]:
    match = _MONTH.match(raw or "")
    if not match:
        raise ShunfuriError(
            "validation_error:month",
            errors=[{"field": "month", "message": "expected YYYY-MM"}],
        )
    return int(match.group(1)), int(match.group(2))


def month_statement(session: Session, member_id: int, month: str, now: datetime) -> Statement:
    year, mon = parse_month(month)
    return statement(events_of(session, member_id), year, mon, now)


def _line(line: Line) -> dict[str, Any]:
    seg = line.segment
    return {
        "kind": line.kind, "day": line.day.isoformat(), "amount": line.amount,
        "to_interest": line.to_interest, "to_principal": line.to_principal,
        "principal_after": line.principal_after, "interest_due_after": line.interest_due_after,
        "ref": line.ref,
        "period_from": seg.start.isoformat() if seg else None,
        "period_to": seg.end.isoformat() if seg else None,
        "days": seg.days if seg else None,
        "rate_bp": line.rate_bp, "year_days": seg.year_days if seg else None,
        "interest_free": seg.interest_free if seg else None, "due_day": line.due_day,
    }


def as_dict(s: Statement) -> dict[str, Any]:
    return {
        "month": f"{s.year:04d}-{s.month:02d}", "through": s.through.isoformat(),
        "opening_principal": s.opening_principal,
        "opening_interest_due": s.opening_interest_due,
        "lines": [_line(line) for line in s.lines],
        "closing_principal": s.closing_principal,
        "closing_interest_due": s.closing_interest_due,
        "accruing": s.accruing, "closing_payoff": s.closing_payoff,
        "due_dates": [
            {"due_date": o.due_date.isoformat(), "required": o.required, "paid": o.paid,
             "shortfall": o.shortfall, "met": o.met}
            for o in s.due_outcomes
        ],
    }


CSV_HEADER = ("日付", "内容", "金額", "利息充当", "元金充当", "利息期間（から）",
              "利息期間（まで）", "日数", "年率（bp）", "元金残高", "未払利息")


def as_csv(s: Statement) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerow([_first(s), "前月からの繰越", "", "", "", "", "", "", "",
                     s.opening_principal, s.opening_interest_due])
    for line in s.lines:
        d = _line(line)
        writer.writerow([
            d["day"], KIND_JA[line.kind], line.amount,
            line.to_interest if line.kind == "repayment" else "",
            line.to_principal if line.kind == "repayment" else "",
            d["period_from"] or "", d["period_to"] or "", d["days"] or "",
            line.rate_bp if line.rate_bp is not None else "",
            line.principal_after, line.interest_due_after,
        ])
    writer.writerow([s.through.isoformat(), "月末（本日）時点の残高（経過利息を含む）", "", "", "",
                     "", "", "", "", s.closing_principal, s.closing_interest_due + s.accruing])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _first(s: Statement) -> str:
    return date(s.year, s.month, 1).isoformat()
