"""`web`: the instant scenario's API load, and beside it members using the pages: page
p50/p95/p99 (per page and over all) and their own accept -> settled."""

from __future__ import annotations

import math

from loadtests import report
from loadtests.context import Run
from loadtests.databases import pg_counters, pg_per_transfer
from loadtests.figures import collect, cpu_figures, finish
from loadtests.locust_run import run_locust
from loadtests.scenarios import PAGES_PER_WEB_TRANSFER
from loadtests.seeding import create_members, members_file, members_needed

# Not the 瞬フリ pages proper: the one-off login and payee set-up, and the status panel's
# long-poll, which is held open until the transfer moves by design.
NOT_FLOW = ("/login", "/payees", "panel")


def drive(run: Run) -> dict:
    opts = run.opts
    api_users = opts.users or max(1, math.ceil(opts.rate))
    pages_per_s = opts.web_rate if opts.web_rate is not None else opts.scenario.extra["web_rate"]
    flows_per_s = pages_per_s / PAGES_PER_WEB_TRANSFER
    web_users = max(1, math.ceil(flows_per_s))
    payees = opts.scenario.payees
    members = create_members(run.target, members_needed(api_users, opts.rate, opts.duration),
                             payees)
    web_members = create_members(
        run.target, members_needed(web_users, flows_per_s, opts.duration), payees
    )
    mfile = members_file(run.out / "members.json", members)
    wfile = members_file(run.out / "web-members.json", web_members)
    pg_before = pg_counters(run.target.database_url)
    total = api_users + web_users
    lr = run_locust(
        run, folder=run.out, members_file=mfile, users=total,
        # Locust spreads the offered rate over every user; the API users must offer
        # `opts.rate` on their own, so the per-user rate is taken over the API users.
        rate=opts.rate * total / api_users, seconds=opts.duration, label="web",
        extra_env={
            "LOADTEST_WEB_MEMBERS": str(wfile),
            "LOADTEST_WEB_USERS": str(web_users),
            "LOADTEST_WEB_USER_RATE": f"{flows_per_s / web_users:.6f}",
        },
    )
    summary, samples = collect(run.out, "web", speed=run.target.speed)
    web_samples = report.read_samples(run.out / "samples", pattern="web-samples-*.csv")
    web_summary = report.summarise(web_samples, scenario="web")
    pages = {k: v for k, v in summary["locust"].items() if " WEB " in f" {k} "}
    locust_json = run.out / "locust.json"
    flow = [k for k in pages if not any(x in k for x in NOT_FLOW)]
    flow_requests = sum(pages[k]["requests"] for k in flow) + sum(
        pages[k]["requests"] for k in pages if "panel" in k)
    page_times = report.locust_json_all(locust_json, prefix="WEB ", exclude=NOT_FLOW)
    login_times = report.locust_json_all(locust_json, prefix="WEB POST /login")
    summary.update(
        {
            "offered_rate": opts.rate,
            "users": api_users,
            "duration_s_requested": opts.duration,
            "locust_exit_code": lr.returncode,
            # per settled transfer of the API users and the pages together
            **cpu_figures(lr, [*samples, *web_samples]),
            "postgres": pg_per_transfer(
                pg_before, pg_counters(run.target.database_url), summary["accepted"]
            ),
            "web": {
                **web_summary,
                "users": web_users,
                "offered_pages_per_s": pages_per_s,
                "pages_ms": report.distribution(page_times),
                "login_ms": report.distribution(login_times),
                "pages_per_s": round(flow_requests / web_summary["duration_s"], 2)
                if web_summary["duration_s"] else 0.0,
                "by_page": pages,
            },
        }
    )
    return finish(run.target, summary, samples, run.out)
