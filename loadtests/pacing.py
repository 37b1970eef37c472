"""When each Locust user sends: fixed slots in time, evenly spaced across users.

Kept apart from the locustfile (which imports Locust, and so gevent's monkey-patching)
so the schedule can be tested on its own.
"""

from __future__ import annotations


def phase(index: int, users: int, period: float) -> float:
    """User `index` of `users` starts this far into the period: evenly spaced, so the
    offered rate is smooth (`users / period` per second) from the first second."""
    users = max(1, users)
    return period * ((index % users) + 0.5) / users


def wait_for_slot(first_at: float, slot: int, period: float, now: float) -> float:
    """Seconds until slot `slot` (at `first_at + slot * period`); 0 when already late.

    Slots are fixed in time: a slow transfer delays that user's next request (sent at
    once when late) but never shifts its later slots, so users cannot drift into step
    with each other and turn a steady rate into bursts.
    """
    return max(0.0, first_at + slot * period - now)
