"""Becoming a member: お試し診断, the application, screening in the workers, the screener,
the contract (spec/application.md; the rules are `shunfuri.domain`'s, this package runs
them against the database, the credit bureau and the outbox).

What it offers, by module (each function's docstring says what it commits and refuses):

- `intake`: `check_eligibility(raw, now=)` (お試し診断: writes and logs nothing),
  `read_form(raw, today)`, `submit(session, raw, idempotency_key=, now=, wall=, pepper=)`
  -> `Submitted(application, token, created)`.
- `access`: `authorised(session, id, token, for_update=)` (404 for anything but the right
  token), `read(session, id, token)` -> the public view.
- `views`: `view(row)` (the public view: `{id, status, offer?, reason_code?, detail_ja,
  expires_at?, documents?}`), `applicant_of(row)`, `bureau_answer_of(row)`, `phones_of(row)`.
- `documents`: `send_documents(session, id, token, raw, now=, wall=)`.
- `contract`: `terms(session, id, token, now=, wall=)` -> `OpenOffer` (the page before
  acceptance), `contract(session, id, token, agree=, pin=, due_day=, web_id=, password=,
  now=, wall=, pepper=)` -> `Contracted(member_id, card_number)`.
- `review` (the screener): `queue(session)`, `waiting_documents(session)`,
  `review_item(session, id)` -> `ReviewItem`,
  `approve(session, id, credit_limit=, actor=, now=, wall=)`,
  `decline(session, id, reason=, actor=, now=, wall=)`.
- `screening` (the worker): `Context`, `screen(ctx, id)`.
- `sweep` (the beat): `redrive_and_wake(sessions, wall=, redrive_after=)`,
  `expire(sessions, now=, wall=)`.
- `erasure` (the beat): `erase(sessions, now=, wall=)` - the 180-day erasure of declined
  and expired applications' personal fields, keeping the decision.
- `transitions`: `move(row, Move, now=, wall=)`, `expire_due(session, now=, wall=)` - the
  one door for every status change.
- `facts`: `known_person(session, member_id)` (birth date and phones, for the PIN rule).
- `events`: `announce(changes)` (metrics by status + the long-polls' event), `wake(ids)`.
- `tokens`, `contract_mail`: the follow-up token; the contract document and the address.

Personal data: nothing here logs, counts or raises with a field the applicant typed;
errors name fields, never values.
"""
