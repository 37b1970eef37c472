"""The system as a cluster of hosts on one machine, a seeded nemesis, and a checker.

`shunfuri cluster up|down|status` runs PostgreSQL, Redis, two API hosts, three worker
hosts, the bank simulator and Prometheus each in a network namespace of its own, joined
by a bridge over real TCP (root on Linux only). `shunfuri nemesis --seed N --minutes M`
draws a schedule of overlapping faults from the seed, runs clients that record a
Jepsen-style history, heals, drains and checks the history against the bank's record.
See docs/reliability.md, "The cluster and the nemesis".

Nothing in the core `shunfuri` package imports this one (`lint-imports` holds it): the
cluster starts the system's processes by their command lines, and the checker reads the
recorded history and the bank simulator's own record, not the code under test.
"""
