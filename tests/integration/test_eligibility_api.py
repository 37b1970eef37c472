"""お試し診断 (`POST /v1/eligibility`): the spec's rule on the business clock's JST day, one of
two fixed sentences, and nothing of its inputs anywhere: no row in any table, no key in
Redis, no log line (every logger at DEBUG, SQLAlchemy's echo included), nothing in
/metrics."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from shunfuri.broker import get_redis
from shunfuri.db.models import Base
from shunfuri.db.session import session_factory
from shunfuri.domain.instants import JST
from tests.integration import application_helpers as helpers
from tests.integration.application_helpers import stand

# Fixtures (pytest finds them by these names).
at = helpers.at

# Planted values that appear nowhere else in a test run.
BIRTH, INCOME, OTHER = "1987-06-23", 7_654_321, 123_457
TRACES = ("1987-06-23", "19870623", "1987/6/23", "7654321", "7,654,321", "123457", "123,457")


def row_counts() -> dict[str, int]:
    with session_factory()() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def check(client, **body):
    return client.post("/v1/eligibility", json=body)


def test_the_rule_and_its_two_sentences(client, at):
    ok = check(client, birth_date="2000-01-01", annual_income=300_000, other_borrowing=0)
    assert ok.status_code == 200
    assert ok.json() == {"eligible": True, "message_ja": "ご融資可能と思われます"}
    # 18 on the day (JST 1 Dec 2026): born 1 Dec 2008 is 18, born 2 Dec 2008 is 17.
    assert check(client, birth_date="2008-12-01", annual_income=300_000,
                 other_borrowing=0).json()["eligible"] is True
    no = check(client, birth_date="2008-12-02", annual_income=300_000, other_borrowing=0)
    assert no.json() == {"eligible": False, "message_ja": "ご希望に添えない可能性があります"}
    # Room: 30,000 / 3 - 0 = 10,000 is enough; 29,997 / 3 = 9,999 is not.
    assert check(client, birth_date="1990-01-01", annual_income=30_000,
                 other_borrowing=0).json()["eligible"] is True
    assert check(client, birth_date="1990-01-01", annual_income=29_997,
                 other_borrowing=0).json()["eligible"] is False
    # The day is JST's: at 23:30 UTC on 30 Nov it is already 1 Dec in Japan.
    stand(datetime(2026, 12, 1, 8, 30, tzinfo=JST))
    assert check(client, birth_date="2008-12-01", annual_income=300_000,
                 other_borrowing=0).json()["eligible"] is True


def test_refusals_are_field_by_field(client, at):
    r = check(client, birth_date="1990-13-01", annual_income="lots", other_borrowing=-1)
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == ["annual_income"]  # a number as text is refused by the shape first
    r = check(client, birth_date="1990-13-01", annual_income=1, other_borrowing=-1)
    assert [e["field"] for e in r.json()["errors"]] == ["birth_date", "other_borrowing"]
    assert all(e["message_ja"] for e in r.json()["errors"])


def test_nothing_of_the_inputs_is_kept_logged_or_counted(client, at, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    client.get("/metrics")
    rows, keys = row_counts(), get_redis().dbsize()
    bodies = [
        check(client, birth_date=BIRTH, annual_income=INCOME, other_borrowing=OTHER),
        check(client, birth_date="１９８７年６月２３日", annual_income=INCOME,
              other_borrowing=OTHER),
        check(client, birth_date="1987/6/23", annual_income=INCOME, other_borrowing=-OTHER),
        check(client, birth_date="19870623x", annual_income=INCOME, other_borrowing=OTHER),
    ]
    assert [b.status_code for b in bodies] == [200, 200, 422, 422]
    assert bodies[0].json()["eligible"] is True
    assert row_counts() == rows and get_redis().dbsize() == keys
    logged = "\n".join(record.getMessage() for record in caplog.records)
    scraped = client.get("/metrics").text
    for trace in TRACES:
        assert trace not in logged, trace
        assert trace not in scraped, trace
        assert all(trace not in b.text for b in bodies), trace
