"""The system under load: started here on a fresh database and the scenario's simulated
clock (and stopped at the end), or a running one named with `--host`.

Settings reach the system through the environment of its processes, built here as a
dict; this process's own environment is only read.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from loadtests.context import Options, Target
from loadtests.databases import create_database, drop_database, flush_redis
from loadtests.system import shunfuri_up

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_BROKER = "redis://127.0.0.1:6379/3"
# Passed on to the system when set here: the same secrets make tokens and PINs agree.
PASSED_SECRETS = ("SHUNFURI_PIN_PEPPER", "SHUNFURI_TOKEN_SECRET")
# Ready means a worker answered too (`/readyz?deep=1`); on a loaded machine the workers'
# start-up (imports, warm-up) alone can take a minute.
READY_TIMEOUT_S = 180


@contextmanager
def system_under_load(opts: Options, out: Path,
                      environ: Mapping[str, str] = os.environ) -> Iterator[Target]:
    """A running system: started here (and stopped at the end) unless `--host` was given."""
    if opts.host:
        yield named_target(opts, environ)
    else:
        with started_target(opts, out, environ) as target:
            yield target


def named_target(opts: Options, environ: Mapping[str, str]) -> Target:
    """`--host URL`: the staff key, database and clock come from this environment."""
    from shunfuri.clock import parse_clock_spec
    from shunfuri.settings import DEV_ADMIN_KEY

    anchor = environ.get("SHUNFURI_CLOCK_ANCHOR")
    clock = environ.get("SHUNFURI_CLOCK")
    start = speed = None
    if clock and anchor:
        start, speed = parse_clock_spec(clock)
    return Target(
        host=opts.host.rstrip("/") if opts.host else "",
        admin_key=environ.get("SHUNFURI_ADMIN_KEY", DEV_ADMIN_KEY),
        database_url=environ.get("LOADTEST_DATABASE_URL") or environ.get("DATABASE_URL"),
        speed=speed or opts.speed or opts.scenario.speed,
        clock_anchor=float(anchor) if anchor else None,
        clock_start=start,
        env=dict(environ),
    )


@contextmanager
def started_target(opts: Options, out: Path, environ: Mapping[str, str]) -> Iterator[Target]:
    """`shunfuri up` on its own database (or on the embedded defaults), the scenario's
    clock, the login rate limit off; the database is dropped afterwards unless kept."""
    from shunfuri.clock import parse_clock_spec
    from shunfuri.settings import DEV_ADMIN_KEY

    speed = opts.speed or opts.scenario.speed
    admin_key = environ.get("SHUNFURI_ADMIN_KEY", DEV_ADMIN_KEY)
    embedded = opts.embedded or use_embedded(environ)
    env = {k: v for k, v in environ.items()
           if not k.startswith(("SHUNFURI_", "LOADTEST_")) and k not in ("DATABASE_URL",
                                                                        "BROKER_URL")}
    database_url: str | None = None
    if not embedded:
        server = environ.get("LOADTEST_DATABASE_URL", DEFAULT_SERVER)
        # Unique per run: two runs (two `make test` on one machine) never share a database.
        name = f"shunfuri_load_{out.name.replace('-', '_').lower()}_{uuid.uuid4().hex[:8]}"
        database_url = create_database(server, name)
        broker = environ.get("LOADTEST_BROKER_URL", DEFAULT_BROKER)
        flush_redis(broker)
        env.update(DATABASE_URL=database_url, BROKER_URL=broker)
    clock_spec = f"{opts.scenario.clock}@{speed:g}"
    env.update({
        "SHUNFURI_ENV": "development",
        "SHUNFURI_CLOCK": clock_spec,
        "SHUNFURI_LOGIN_RATE_LIMIT": "0",
        "SHUNFURI_ELIGIBILITY_RATE_LIMIT": "0",
        "SHUNFURI_APPLICATION_RATE_LIMIT": "0",
        "SHUNFURI_APPLY_PAGES_RATE_LIMIT": "0",
        "SHUNFURI_ADMIN_KEY": admin_key,
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: environ[k] for k in PASSED_SECRETS if k in environ})
    args: list[str] = []
    if opts.api_workers:
        args += ["--api-workers", str(opts.api_workers)]
    if opts.worker_concurrency:
        args += ["--worker-concurrency", str(opts.worker_concurrency)]
    data_dir = Path(tempfile.mkdtemp(prefix="shunfuri-load-"))
    # `shunfuri up` migrates first; the clock anchor is set just before its processes
    # start, so simulated time here and in the system agree to a few milliseconds.
    anchor = time.time()
    env["SHUNFURI_CLOCK_ANCHOR"] = repr(anchor)
    start, _ = parse_clock_spec(clock_spec)
    try:
        with shunfuri_up(env=env, data_dir=data_dir, log=out / "system.log", args=args,
                         embedded=embedded, ready_timeout=READY_TIMEOUT_S) as up:
            yield Target(
                host=up.url,
                admin_key=admin_key,
                # `up` says where its private PostgreSQL listens
                database_url=up.ports()["DATABASE_URL"] if embedded else database_url,
                speed=speed,
                clock_anchor=anchor,
                clock_start=start,
                data_dir=data_dir,
                env=env,
                pid=up.process.pid,
                embedded=embedded,
            )
    finally:
        if database_url is not None and not opts.keep_db:
            drop_database(database_url)
        if not (embedded and opts.keep_db):
            shutil.rmtree(data_dir, ignore_errors=True)


def use_embedded(environ: Mapping[str, str]) -> bool:
    """The embedded defaults, unless a PostgreSQL server is named or answers at the default."""
    if environ.get("LOADTEST_DATABASE_URL"):
        return False
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        return True
    return False
