"""A member's transfers: `accept` (accepting and cancelling, the API's fast path, the
transfer's view), `reads` (one transfer, the history page by page), `confirm` (the member
site's review-then-confirm), `availability` (the answer `GET /v1/availability` and
`shunfuri quote` share) and `settlement` (the worker's side: hold credit, pay the bank,
settle, exactly once)."""
