"""The load test counts the PostgreSQL cluster of its own database: the postmaster and
its background processes, and the sessions of that database, not other databases'."""

from __future__ import annotations

import psutil
import psycopg
from sqlalchemy.engine import make_url

from loadtests import cpu
from loadtests.databases import libpq_url
from tests.services import create_database, drop_database

LASTING = ("checkpointer", "background writer", "walwriter")


def _cmdline(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # exited, or a zombie, since it was listed
        return ""


def test_only_the_sessions_of_the_run_database_are_counted():
    ours_url, other_url = create_database(), create_database()
    try:
        with psycopg.connect(libpq_url(ours_url)) as ours, \
                psycopg.connect(libpq_url(other_url)) as other:
            ours_pid = ours.execute("SELECT pg_backend_pid()").fetchone()[0]
            other_pid = other.execute("SELECT pg_backend_pid()").fetchone()[0]
            name = make_url(ours_url).database
            chosen = {p.pid for p in cpu._postgres_of(name, psutil.process_iter())}
            assert ours_pid in chosen
            assert other_pid not in chosen
            postmaster = psutil.Process(ours_pid).ppid()
            assert postmaster in chosen  # and the cluster's own processes
            # The cluster's lasting processes only: other runs' sessions and autovacuum
            # workers come and go (a backend exiting meanwhile is a zombie: CI, once).
            background = [c.pid for c in psutil.Process(postmaster).children()
                          if any(k in _cmdline(c) for k in LASTING)]
            assert background and set(background) <= chosen
            snap = cpu.snapshot([], database=name, machine_redis=False)
            assert snap.by_pid[ours_pid][0] == "postgresql"
            assert other_pid not in snap.by_pid
    finally:
        drop_database(ours_url)
        drop_database(other_url)
