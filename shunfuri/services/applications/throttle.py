"""Per-address rate limits for becoming a member: the login's sliding window
(`members.login_rate`) under scopes of their own, so an applicant's posts never use up a
member's login budget, nor the other way round.

- `ELIGIBILITY`: お試し診断 (`POST /v1/eligibility` and the page `/shindan`, one budget).
  It keeps the address's window in Redis: the address, never an input.
- `APPLICATION`: a new application (`POST /v1/applications` and the page's final
  submission, one budget). Each one costs an inquiry at the credit bureau.
- `PAGES`: every other post of the applicant's pages (the form's steps, 続きから, the
  documents, the contract).

Over the limit: `too_many_requests` (429, `retry_after`). Redis unreachable: admitted, as
for logins (the limit protects capacity, not money).
"""

from __future__ import annotations

from shunfuri.services.members import login_rate
from shunfuri.settings import get_settings

ELIGIBILITY, APPLICATION, PAGES = "eligibility", "application", "apply_pages"

def check(address: str, scope: str) -> None:
    """Count one request from `address` in `scope`; `too_many_requests` over the limit,
    its words (`too_many_requests:<scope>`) saying what and how long to wait."""
    settings = get_settings()
    rate = {ELIGIBILITY: settings.eligibility_rate, APPLICATION: settings.application_rate,
            PAGES: settings.apply_pages_rate}[scope]
    # Each scope's words (`too_many_requests:<scope>`) say what was counted.
    login_rate.check(address, rate, scope=scope)
