"""The bank simulator: a separate HTTP process that pays (keyed by transfer id) and
collects from members' accounts (keyed by repayment id), and gives its statement.

A stand-in for a bank, not an adapter: it sits outside the layers on purpose.

It keeps its own record of what it paid and collected (`books`: tables
`bank_sim_payments` and `bank_sim_collections`, in its own database or tables of ours it
alone writes and reads). The system reconciles against the bank's statement, asked over
HTTP like everything else (`statement`: `GET /v1/statements` lists the booking days,
`GET /v1/statements/{day}?after=&limit=` gives a day's lines page by page). Faults are
switchable at run time through `POST /v1/control` for load and chaos tests: latency,
transient-error rate, an outage, "paid but the answer was lost", and "paid but the
answer is a 200 nobody can read" (`garbage_rate`, with `garbage_body` saying which kind
of garbage); they apply to payments, collections and status inquiries alike (the
statement honours latency, transient errors and the outage). `GET /v1/stats` counts what
happened (answers lost or garbled, inquiries).

Permanent-error cases are fixed account numbers, so tests can ask for them:
  9999999 -> account_closed, 9999998 -> name_mismatch.
Each order of a batch is checked on its own: one the bank cannot read is refused
(`invalid_order`, recorded like any refusal) and the others are paid (`orders`).

Status inquiry (after ISO 20022 pacs.028 / Mojaloop `GET /transfers/{id}`):
`GET /v1/payments/{transfer_id}` answers the recorded payment (paid or rejected, with
its reference) or 404 `payment_not_found` (never received); `POST
/v1/payments:inquire` asks about several ids at once.

Collections (internet repayment: the bank debits the member's registered account) are
the same book with other names: `POST /v1/collections:batch` (`{"collections": [...]}`,
each keyed by `repayment_id`), `GET /v1/collections/{repayment_id}` (404
`collection_not_found`), `POST /v1/collections:inquire` (`{"repayment_ids": [...]}`),
recorded in `bank_sim_collections`, with the same fault controls and the same
fixed-account refusals. Answers say `paid` for a collection the bank made.

`shunfuri bank-simulator` runs `create_app` (the uvicorn factory
`simulators.bank:create_app`).
"""

from simulators.bank.app import create_app
from simulators.bank.books import collections, metadata, payments

__all__ = ["collections", "create_app", "metadata", "payments"]
