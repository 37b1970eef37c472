"""Who may be locked out by whose failures: the article's in-person lock for the member's
own devices, and OWASP's device-cookie lockout for everyone else (pure; `now` is given).

A client the member has logged in from before (a browser with our device cookie, an app
sending its `Device-Token`) is *known*. Only known clients' wrong secrets count toward the
article's rule: 3 in a row lock the login until an in-person reset. Failures from any
other client (a stranger, or the member on a new browser) lock out only *untrusted*
clients of that identifier, for a while, never the member's known ones: a stranger who
knows a card number or a Web-ID can no longer send the member to an automatic contract
machine. (OWASP, "Slow Down Online Guessing Attacks with Device Cookies".)

The untrusted lockout must still bound guessing of a 4-digit PIN, so it grows: after
`failures` failures from untrusted clients the identifier is closed to them for
`lockout`, each further lockout doubles it, up to `max_lockout`; only `forget_after`
without any untrusted failure starts the count and the doubling afresh. A success does
not restart the doubling (a stranger cannot produce one, but the member logging in
daily must not hand a stranger a fresh budget each day). With the defaults (3, 15 min,
24 h, 7 days) a stranger gets 21 guesses in the first 32 hours and 3 a day after that:
about 1,100 of the 10,000 PINs in a year, every lockout mailed to the member.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

# The article's rule: this many wrong secrets in a row from the member's own devices
# lock the login until the in-person reset.
KNOWN_DEVICE_FAILURES = 3


@dataclass(frozen=True)
class UntrustedPolicy:
    failures: int = 3
    lockout: timedelta = timedelta(minutes=15)
    max_lockout: timedelta = timedelta(hours=24)
    forget_after: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class Untrusted:
    """One identifier's record of failures from untrusted clients."""

    failures: int = 0  # toward the next lockout
    lockouts: int = 0  # lockouts since the record was last forgotten
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


def retry_after(state: Untrusted, now: datetime) -> int | None:
    """Whole seconds until untrusted clients may try again, or None when they may now."""
    if state.locked_until is None or state.locked_until <= now:
        return None
    return max(1, math.ceil((state.locked_until - now).total_seconds()))


def lockout_length(lockouts: int, policy: UntrustedPolicy) -> timedelta:
    """The `lockouts`-th lockout's length (1-based): doubled each time, capped."""
    doubling: int = 2 ** min(max(lockouts - 1, 0), 32)  # 2**32 lockouts of 1 s outlast any cap
    return min(policy.lockout * doubling, policy.max_lockout)


def forgotten(state: Untrusted, now: datetime, policy: UntrustedPolicy) -> Untrusted:
    """The record as it stands at `now`: wiped once `forget_after` passed quietly."""
    last = state.last_failure_at
    if last is not None and now - last >= policy.forget_after:
        return Untrusted()
    return state


def after_failure(state: Untrusted, now: datetime, policy: UntrustedPolicy) -> Untrusted:
    """The record after one more untrusted failure at `now` (which the caller admitted,
    so no lockout was running). The failure that reaches `policy.failures` starts a
    lockout (`locked_until` set, the count back to 0)."""
    state = forgotten(state, now, policy)
    failures = state.failures + 1
    if failures < policy.failures:
        return replace(state, failures=failures, last_failure_at=now)
    lockouts = state.lockouts + 1
    return Untrusted(failures=0, lockouts=lockouts, last_failure_at=now,
                     locked_until=now + lockout_length(lockouts, policy))


def after_success(state: Untrusted) -> Untrusted:
    """An untrusted client with the right secret (the member on a new browser): their own
    earlier slips no longer count toward a lockout; the doubling stays."""
    return replace(state, failures=0)
