"""Pure rules: calendar, windows, banks, limits. No I/O; `now` is always an argument."""
