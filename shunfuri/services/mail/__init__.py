"""Member mail: `settings` (the address, its confirmation, the four settings), `events`
(which mail an event queues, once) and `outbox` (queueing at most once, sending through
SMTP with retries). Composing and the SMTP client are the adapter `shunfuri.mail`."""
