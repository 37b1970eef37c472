"""Stop `make test` at once, with the remedy, when PostgreSQL or Redis is missing.

The suite runs against the real services; it never skips silently without them.
"""

from __future__ import annotations

import sys

from tests.services import TEST_BROKER_URL, TEST_DATABASE_URL, check_database, check_redis

HELP = f"""
make test needs a real PostgreSQL and a real Redis.

  PostgreSQL at TEST_DATABASE_URL={TEST_DATABASE_URL}
  Redis      at TEST_BROKER_URL={TEST_BROKER_URL}

Start them (Debian / this project's CI machine):
  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
or point the variables above at servers you have, e.g.
  make test TEST_DATABASE_URL=postgresql://user@host:5432/db TEST_BROKER_URL=redis://host:6379/15
(the PostgreSQL user must be allowed to CREATE DATABASE: each run gets its own).
"""


def main() -> int:
    problems = [p for p in (check_database(), check_redis()) if p]
    if problems:
        print("\n".join(f"preflight: {p}" for p in problems), file=sys.stderr)
        print(HELP, file=sys.stderr)
        return 2
    print("preflight: PostgreSQL and Redis answer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
