"""Per-client-address login rate limit: a sliding-window log in Redis (also used to
throttle asking whether a Web-ID is free: `web_id_throttle`).

`SHUNFURI_LOGIN_RATE_LIMIT=N/period` allows N attempts from one address in any
window of that length (a true sliding window, not fixed buckets, so there is no
2N burst at a bucket boundary). It is checked before anything is parsed or hashed,
so it bounds both guessing across many identifiers and the argon2 work one address
can make the server do. A refused attempt is not recorded, and `retry_after` is the
whole seconds until the oldest counted attempt leaves the window.

The window uses real time, never the simulated clock: an attacker's requests arrive
in real seconds whatever the demo clock says.

If Redis is unreachable the check fails open (and logs a warning): the per-identifier
lock in the database still stops guessing, and logins should not depend on a cache.
"""

from __future__ import annotations

import logging
import math
import secrets
import time

import redis

from shunfuri.broker import get_redis
from shunfuri.errors import ShunfuriError

log = logging.getLogger("shunfuri.login_rate")

KEY = "shunfuri:ratelimit:{scope}:{address}"

# KEYS[1] the log; ARGV: now (s), period (s), limit, member id.
# Returns 0 when the attempt is admitted, else the seconds until a slot frees up.
_SLIDING_WINDOW = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, math.ceil(period) + 1)
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + period - now)
"""


def check(
    address: str,
    rate: tuple[int, int] | None,
    *,
    scope: str = "login",
    client: redis.Redis | None = None,
    now: float | None = None,
) -> None:
    """Count one attempt from `address` (any key: an address, `member:<id>`) in `scope`;
    raise `too_many_requests:<scope>` (its words name what is counted) over `rate`."""
    if rate is None:
        return
    limit, period = rate
    if limit <= 0:
        return
    try:
        r = client or get_redis()
        wait = float(
            r.eval(
                _SLIDING_WINDOW,
                1,
                KEY.format(scope=scope, address=address),
                repr(time.time() if now is None else now),
                str(period),
                str(limit),
                secrets.token_hex(8),
            )
        )
    except redis.RedisError as exc:
        log.warning("rate limit unavailable (%s); admitting the attempt", type(exc).__name__)
        return
    if wait > 0:
        retry_after = max(1, math.ceil(wait))
        raise ShunfuriError(f"too_many_requests:{scope}", retry_after=retry_after)


def web_id_throttle(member_id: int, address: str, rate: tuple[int, int] | None) -> None:
    """Setting a Web-ID answers whether someone else has it (`web_id_taken`): a member
    could test names one after another. Bounded per member and per client address."""
    check(f"member:{member_id}", rate, scope="web_id")
    check(address, rate, scope="web_id_address")
