"""The ongoing review (途上与信, spec/application.md "Ongoing review"): asking the credit
bureau about each member with a balance every review month, stopping new advances when
the rule fails (`domain.credit_review`), the member's new income proof, and a screener's
lift. The rule is the domain's; this room runs it against the database and the bureau.

What it offers, by module (each function's docstring says what it commits and refuses):

- `facts`: `bureau_key(session, member_id)` (who to ask about: the member's kana name,
  the application's birth date and phone), `known_income(session, member_id)` (the
  application's income, or the newest proof a screener lifted on).
- `periods`: `open_period(session, today=, now=, wall=, policy=)` - one periodic review per
  member with a balance and a bureau key per review month (`INSERT ... ON CONFLICT DO
  NOTHING`: two beats open it once).
- `worker`: `Context`, `run(ctx, budget_s=)` - claim a due review under a lease, ask the
  bureau outside any transaction, record the answer fenced by the claim's attempt; no
  answer decides nothing.
- `outcome`: `record_answer(session, row, member, answer, ...)` - what an answer does to
  the review and to the member (the stop, audited).
- `proofs`: `send_proof(session, member_id, raw, now=, wall=)` - a stopped member's new
  income proof becomes a lift request for the bureau and then a screener.
- `lifts`: the screener's side: `open_items`, `item`, `lift`, `keep` (audited).
- `stops`: `is_stopped(member)`, `stop_of(session, member)` (the stop as staff see it),
  `refusal()` (the transfer refusal's words).

Personal data: nothing here logs, counts or raises with an income, a bureau figure or a
name; audit rows carry review ids and reason codes only (the desk reads a member's audit).
"""
