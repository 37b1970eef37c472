"""Members and their access: `accounts` (create, PIN reset, suspension, lost card,
credit limit: the staff actions on a member, audited), `security` (the member's own Web-ID
and password), `login` + `login_rate` (logging in, the per-address rate limit), `tokens`
(bearer tokens and sessions), `passwords` (argon2id hashing) and `payees`."""
