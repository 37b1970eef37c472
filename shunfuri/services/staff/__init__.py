"""The staff console's people and record: `accounts` (staff accounts, TOTP, roles and
what each may do, console sessions), `desk` (finding a member and their overview) and
`audit` (the append-only record every staff action leaves)."""
