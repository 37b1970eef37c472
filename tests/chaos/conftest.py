"""Fixtures of the chaos suite: one real system (`shunfuri up`) on a PRIVATE PostgreSQL
cluster and a PRIVATE redis-server, both started here so that the scenarios can stop
and restart them without touching the machine's own services.

`--profile short|full` (registered in tests/conftest.py) sets how long each fault and
the load last; `make chaos PROFILE=short` is the bounded CI run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from shunfuri.db.session import normalise_url
from shunfuri.mail.sink import Sink
from tests.chaos.harness import RECOVERY_BOUND_S, Harness, Result, format_table
from tests.chaos.servers import PrivatePostgres, PrivateRedis
from tests.e2e.conftest import new_member
from tests.system import ROOT, running_system

# A Tuesday, 10:00 JST: every bank is open, so every transfer is instant.
START = "2026-12-01T10:00:00+09:00"

RESULTS: list[Result] = []


@dataclass(frozen=True)
class Profile:
    name: str
    load_s: float  # load before and after each fault
    rate: float  # transfers per second offered
    kills: int  # kill -9 of a worker pool process, this many times
    kill_every_s: float
    redis_down_s: float
    bank_slow_s: float
    bank_transient_s: float
    bank_down_s: float
    lost_answers_s: float
    pg_down_s: float
    beat_load_s: float
    doubt_s: float  # how long answers stay lost (and cancels are tried) in the doubt scenarios
    apply_rate: float  # applications per second (test_chaos_apply)
    bureau_down_s: float  # the credit bureau refuses every inquiry this long,
    bureau_lost_s: float  # then loses every answer this long


PROFILES = {
    "short": Profile("short", load_s=3, rate=8, kills=4, kill_every_s=2.5, redis_down_s=5,
                     bank_slow_s=4, bank_transient_s=4, bank_down_s=8, lost_answers_s=6,
                     pg_down_s=5, beat_load_s=5, doubt_s=5,
                     apply_rate=1, bureau_down_s=10, bureau_lost_s=6),
    "full": Profile("full", load_s=10, rate=15, kills=15, kill_every_s=3, redis_down_s=20,
                    bank_slow_s=20, bank_transient_s=20, bank_down_s=30, lost_answers_s=30,
                    pg_down_s=20, beat_load_s=20, doubt_s=20,
                    apply_rate=2, bureau_down_s=60, bureau_lost_s=30),
}


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    return PROFILES[request.config.getoption("--profile")]


@pytest.fixture(scope="session")
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def private_pg():
    server = PrivatePostgres()
    server.start()
    yield server
    server.destroy()


class ChaosSink:
    """The system's SMTP server, owned by the test process so a scenario can stop it and
    start it again on the same port (the embedded one is a child of `shunfuri up`, whose
    supervisor would stop the whole system with it)."""

    def __init__(self, maildir: Path) -> None:
        from shunfuri.mail.sink import start_sink

        self.maildir = maildir
        self.sink: Sink | None = start_sink(maildir)
        self.port = self.sink.controller.port
        self.url = f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.sink is not None:
            self.sink.stop()
            self.sink = None

    def start(self) -> None:
        from shunfuri.mail.sink import start_sink

        if self.sink is None:
            self.sink = start_sink(self.maildir, port=self.port)


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory: pytest.TempPathFactory):
    sink = ChaosSink(tmp_path_factory.mktemp("chaos-mail") / "mail")
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def system(private_pg: PrivatePostgres, private_redis: PrivateRedis, smtp_sink: ChaosSink):
    database_url = private_pg.create_database("shunfuri_chaos")
    with running_system(
        clock=START, database_url=database_url, broker_url=private_redis.url,
        SHUNFURI_TOKEN_TTL_SECONDS="86400", SMTP_URL=smtp_sink.url,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def engine(system):
    eng = create_engine(normalise_url(system.database_url), pool_size=3, pool_pre_ping=True)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def members(system) -> list[dict]:
    # Enough credit that the load never runs out: the limit check is exercised by the
    # e2e suite; here "over limit" must stay 0 whatever fails.
    return [new_member(system, credit_limit=5_000_000) for _ in range(6)]


@pytest.fixture(scope="session")
def harness(system, engine, members, profile: Profile) -> Harness:
    return Harness(system, engine, members, rate=profile.rate, results=RESULTS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not RESULTS:
        return
    profile = session.config.getoption("--profile")
    table = format_table(RESULTS)
    print(f"\n\nChaos results (profile {profile}; every transfer final within "
          f"{RECOVERY_BOUND_S:.0f} s of the fault being cleared)\n{table}\n", flush=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = ROOT / "chaos" / "results" / stamp
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps([r.summary() for r in RESULTS], indent=2) + "\n")
    (out / "table.txt").write_text(f"profile {profile}\n{table}\n")
    details = [{**r.summary(), "refused": r.refused, "max_latency_s": r.max_latency_s,
                "http_5xx_unclear": r.http_5xx_unclear, "problems": r.problems}
               for r in RESULTS]
    (out / "details.json").write_text(json.dumps(details, indent=2, default=str) + "\n")
    print(f"written: {Path(out, 'summary.json').relative_to(ROOT)}", flush=True)
