"""How many examples a property test tries: `HYPOTHESIS_PROFILE=deep` or not.

The count written at each test is the deep run's: `HYPOTHESIS_PROFILE=deep make test`
tries every one of them (and 1000 where a test names none). Otherwise (`make test`) a
test tries a fifth of its count, at least 25: the same properties over fewer random
cases, so the suite stays quick; run deep before a release or after changing the rules.
"""

from __future__ import annotations

import os

from hypothesis import settings

DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
settings.register_profile("deep", max_examples=1000)
if DEEP:
    settings.load_profile("deep")


def examples(written: int) -> int:
    """`written` on a deep run; else a fifth of it, at least 25 (never more than written)."""
    return written if DEEP else min(written, max(25, written // 5))
