"""Say which PostgreSQL and Redis `make test` will use, and stop at once, with the remedy,
when one that was named (or that answers on its default port) cannot be used.

Nothing answering is fine: the test session then starts private servers of its own.
"""

from __future__ import annotations

import sys

from tests.services import Choice, check_database, check_redis

HELP = """
Either let the tests start their own servers (unset TEST_DATABASE_URL / TEST_BROKER_URL
and leave nothing on 127.0.0.1:5432 / :6379), or point the variables at servers you have:
  make test TEST_DATABASE_URL=postgresql://user@host:5432/db TEST_BROKER_URL=redis://host:6379
(the PostgreSQL user must be allowed to CREATE DATABASE: each run gets its own).
"""


def main() -> int:
    choice = Choice.make()
    for line in choice.lines():
        print(f"preflight: {line}")
    problems = [
        problem
        for problem in (
            choice.database and check_database(choice.database),
            choice.broker and check_redis(choice.broker),
        )
        if problem
    ]
    if problems:
        print("\n".join(f"preflight: {p}" for p in problems), file=sys.stderr)
        print(HELP, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
