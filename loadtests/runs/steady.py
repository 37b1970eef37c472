"""`instant` and `distributed`: one steady run at the offered rate (`distributed`: a Locust
master and N worker processes)."""

from __future__ import annotations

import math

from loadtests.context import Run
from loadtests.databases import pg_counters, pg_per_transfer
from loadtests.figures import collect, cpu_figures, finish
from loadtests.locust_run import run_locust
from loadtests.seeding import create_members, members_file, members_needed


def drive(run: Run) -> dict:
    opts = run.opts
    workers = opts.workers if opts.scenario.name == "distributed" else 0
    users = opts.users or max(1, math.ceil(opts.rate))
    members = create_members(
        run.target, members_needed(users, opts.rate, opts.duration), opts.scenario.payees
    )
    mfile = members_file(run.out / "members.json", members)
    pg_before = pg_counters(run.target.database_url)
    lr = run_locust(run, folder=run.out, members_file=mfile, users=users, rate=opts.rate,
                    seconds=opts.duration, label=opts.scenario.name, workers=workers)
    summary, samples = collect(run.out, opts.scenario.name, speed=run.target.speed)
    summary.update(
        {
            "offered_rate": opts.rate,
            "users": users,
            "duration_s_requested": opts.duration,
            "locust_exit_code": lr.returncode,
            "locust_workers": workers,
            **cpu_figures(lr, samples),
            "postgres": pg_per_transfer(
                pg_before, pg_counters(run.target.database_url), summary["accepted"]
            ),
        }
    )
    return finish(run.target, summary, samples, run.out)
